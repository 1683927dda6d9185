"""The on-call home page's wiring: the compute plugin's workload module through the plugin seam
(the page works without it), its labels, and its PinApps joining "recent changes"."""

from __future__ import annotations

from typing import Any

import pytest
import reflex as rx

from pinconsole.plugins import get_registry


def js(component: Any) -> str:
    return str(component.render())


def test_the_home_page_works_without_the_compute_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    from pinconsole.pages.home import home_page

    assert "Workload health" in js(home_page())
    monkeypatch.delitem(get_registry().plugins, "compute")
    code = js(home_page())
    assert "Workload health" not in code
    for title in ("My services", "Failing checks", "Recent changes"):
        assert f'"{title}"' in code


def test_a_crash_looping_app_and_a_service_without_workloads_are_labelled() -> None:
    from pinconsole.state.home_workloads import _service

    app = {
        "name": "api",
        "health": "down",
        "crash_looping": True,
        "ready": 2,
        "desired": 3,
        "restarts": 4,
        "url": "/workloads/c/ns/api",
    }
    looping = _service(
        {
            "name": "s",
            "title": "S",
            "url": "/u",
            "health": "down",
            "kind": "critical",
            "apps": [app],
        }
    )
    assert (looping.label, looping.kind) == ("Crash-looping", "critical")
    assert (looping.apps[0].label, looping.apps[0].kind) == ("Crash-looping", "critical")
    assert looping.apps[0].replicas == "2/3 ready"
    quiet = {**app, "health": "degraded", "crash_looping": False}
    degraded = _service(
        {
            "name": "s",
            "title": "S",
            "url": "/u",
            "health": "degraded",
            "kind": "warning",
            "apps": [quiet],
        }
    )
    assert (degraded.label, degraded.apps[0].kind) == ("Degraded", "warning")
    empty = _service(
        {"name": "d", "title": "D", "url": "/d", "health": "none", "kind": "unknown", "apps": []}
    )
    assert (empty.label, empty.kind, empty.apps) == ("No workloads", "unknown", [])


async def test_a_plugins_targets_join_recent_changes_before_or_after_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pinconsole.state.home as home_state

    asked: list[list[str]] = []

    def changes(targets: list[str], more: list[str]) -> list[dict[str, Any]]:
        asked.append([*targets, *more])
        return [{"actor": "bob", "action": "pinapp.scale", "target": t} for t in more]

    monkeypatch.setattr(home_state, "_changes", changes)
    root = rx.State(_reflex_internal_init=True)  # type: ignore[call-arg]
    home = root.get_substate(home_state.HomeState.get_full_name().split(".")[1:])
    home._change_targets = ["component:default/ledger"]

    await home._add_targets(["pinapp:c/ns/a"])  # before the page's load: kept for it
    assert asked == [] and home._activity_targets == ["pinapp:c/ns/a"]

    home.loaded = True  # after it: read again, with both
    await home._add_targets(["pinapp:c/ns/b", "pinapp:c/ns/b"])
    assert asked == [["component:default/ledger", "pinapp:c/ns/b"]]
    assert home.activity == [{"actor": "bob", "action": "pinapp.scale", "target": "pinapp:c/ns/b"}]
