"""An external plugin package, discovered through the ``pinconsole.plugins`` entry point.

The package in tests/fixtures/plugins/hello_plugin is made visible the way pip installs it: its
source on sys.path and a ``*.dist-info`` with ``entry_points.txt`` beside it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pinconsole.plugins import registry as registry_module
from pinconsole.plugins.registry import Registry

PLUGIN_SRC = Path(__file__).resolve().parents[1] / "fixtures" / "plugins" / "hello_plugin"


@pytest.fixture
def hello_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    dist = tmp_path / "hello_plugin-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: hello-plugin\nVersion: 0.1.0\n")
    (dist / "entry_points.txt").write_text("[pinconsole.plugins]\nhello = hello_plugin:plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(PLUGIN_SRC))
    registry_module.get_registry.cache_clear()
    yield
    registry_module.get_registry.cache_clear()
    sys.modules.pop("hello_plugin", None)
    sys.modules.pop("hello_plugin.ui", None)


def test_entry_point_plugin_contributes_page_and_tab(hello_installed: None) -> None:
    registry = Registry()
    registry.load_builtin()
    registry.load_entry_points()
    assert "hello" in registry.plugins and not registry.errors
    assert "/hello" in [p.route for p in registry.pages]
    assert "/hello" in [p.route for p in registry.nav]
    tab = next(t for t in registry.entity_tabs if t.id == "hello-runbook")
    assert tab.predicate({"kind": "Component", "spec": {"type": "service"}})
    assert not tab.predicate({"kind": "API", "spec": {"type": "openapi"}})
    assert "hello-ping" in [j.name for j in registry.jobs]
    # Built-ins register through the same registry.
    assert {"core", "catalog", "org", "compute"} <= set(registry.plugins)


def test_app_serves_the_plugin_page_and_entity_page_shows_its_tab(hello_installed: None) -> None:
    from reflex_base.registry import RegistrationContext

    from pinconsole.pinconsole import create_app
    from pinconsole.state.entity import _visible_tabs

    # The module already built the console's app; a second app needs its own context.
    token = RegistrationContext._context_var.set(RegistrationContext.get().fork())
    try:
        app = create_app()
    finally:
        RegistrationContext._context_var.reset(token)
    assert "hello" in app._unevaluated_pages
    service = {"kind": "Component", "metadata": {"name": "x"}, "spec": {"type": "service"}}
    assert "hello-runbook" in [t.id for t in _visible_tabs(service)]
    assert "hello-runbook" not in [t.id for t in _visible_tabs({"kind": "Group", "spec": {}})]


def test_entity_tab_bar_holds_each_plugin_tab_once_behind_a_condition(
    hello_installed: None,
) -> None:
    """One bar whatever the number of plugin tabs (not one per combination of them)."""
    from pinconsole.pages.entity import _tab_bar

    bar = str(_tab_bar().render())
    for label in ("Overview", "Relations", "Definition", "Workloads", "Runbook"):
        assert bar.count(f'"{label}"') == 1, label
    assert bar.count("plugin_tab_ids") >= 2  # Workloads and Runbook each wait for the state


def test_a_broken_external_plugin_is_reported_not_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = tmp_path / "broken_plugin-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.1.0\n")
    (dist / "entry_points.txt").write_text("[pinconsole.plugins]\nbroken = no_such_module:plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry()
    registry.load_entry_points()
    assert "broken" in registry.errors and "no_such_module" in registry.errors["broken"]


def test_the_plugin_routes_and_health_check_are_served_under_api_v1(
    hello_installed: None, db: str
) -> None:
    """Its routes behind the token, its public route without one, its check in the health."""
    from fastapi.testclient import TestClient

    from pinconsole.access.tokens import create_token
    from pinconsole.api.app import create_api

    registry = Registry()
    registry.load_entry_points()
    with TestClient(create_api(registry)) as client:
        assert client.get("/api/v1/hello").status_code == 401
        token = create_token("hello-bot")
        answer = client.get("/api/v1/hello", headers={"Authorization": f"Bearer {token}"})
        ping = client.get("/api/v1/hello/ping")
        health = client.get("/api/v1/health").json()
    assert answer.status_code == 200 and answer.json() == {"hello": "hello-bot"}
    assert ping.status_code == 200 and ping.json() == {"pong": "hello"}
    assert health["checks"]["hello"] == {"status": "ok"}


def test_a_public_route_never_shadows_a_protected_one() -> None:
    """A plugin's public router naming a protected path does not open it."""
    from fastapi import APIRouter
    from fastapi.testclient import TestClient

    from pinconsole.api.app import create_api
    from pinconsole.plugins import Plugin

    public = APIRouter()

    @public.get("/me")
    def me() -> dict[str, str]:
        return {"name": "anyone"}

    registry = Registry()
    registry.register(Plugin(name="sneaky", public_api_routers=[public]))
    with TestClient(create_api(registry)) as client:
        assert client.get("/api/v1/me").status_code == 401


def test_lazy_pages_are_built_when_asked_and_a_failing_external_one_is_reported() -> None:
    from pinconsole.plugins import PageSpec, Plugin

    built: list[str] = []

    def pages() -> list[PageSpec]:
        built.append("pages")
        return [PageSpec(route="/lazy", title="Lazy", component=lambda: None)]

    def broken() -> list[PageSpec]:
        raise RuntimeError("no such page module")

    registry = Registry()
    registry.register(Plugin(name="lazy", pages=pages))
    registry.register(Plugin(name="broken", pages=broken), external=True)
    assert built == []  # registering built nothing
    assert [p.route for p in registry.pages] == ["/lazy"]
    assert [p.route for p in registry.pages] == ["/lazy"] and built == ["pages"]  # once
    assert "no such page module" in registry.errors["broken"]
    builtin = Registry()
    builtin.register(Plugin(name="core-ish", pages=broken))
    with pytest.raises(RuntimeError, match="no such page module"):
        _ = builtin.pages  # a built-in's fault is a fault
