"""Collects built-in and external plugins; everything that assembles the app reads from here.

The registry is the only place contributions meet: the app assembly, the API, the CLI, the job
scheduler and the access core (sign-in backends, open actions) all ask it, and nothing is
registered anywhere by importing a module.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any, TypeVar

from pinconsole.plugins.base import Authenticator, EntityTab, HealthCheck, Job, PageSpec, Plugin

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "pinconsole.plugins"

# Built-in features register exactly like external ones; only their discovery differs.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "pinconsole.core_plugin:plugin",
    "pinconsole.access.plugin:plugin",
    "pinconsole.catalog.plugin:plugin",
    "pinconsole.org.plugin:plugin",
    "pinconsole.compute.plugin:plugin",
)

T = TypeVar("T")


def _load(target: str) -> Plugin:
    module_name, _, attr = target.partition(":")
    obj = getattr(importlib.import_module(module_name), attr or "plugin")
    plugin = obj() if callable(obj) and not isinstance(obj, Plugin) else obj
    if not isinstance(plugin, Plugin):
        raise TypeError(f"{target} is not a pinconsole Plugin")
    return plugin


class Registry:
    def __init__(self) -> None:
        self.plugins: dict[str, Plugin] = {}
        self.errors: dict[str, str] = {}
        self._external: set[str] = set()
        # (id(plugin), field) -> (plugin, resolved list): lazy pages and tabs are built once.
        self._resolved: dict[tuple[int, str], tuple[Plugin, list[Any]]] = {}

    def register(self, plugin: Plugin, *, external: bool = False) -> None:
        if plugin.name in self.plugins:
            raise ValueError(f"plugin {plugin.name!r} is registered twice")
        self.plugins[plugin.name] = plugin
        if external:
            self._external.add(plugin.name)

    def load_builtin(self) -> None:
        for target in BUILTIN_PLUGINS:
            try:
                self.register(_load(target))
            except ModuleNotFoundError as exc:
                # A built-in whose module is not written yet; anything else is a real fault.
                if not exc.name or not target.startswith(exc.name):
                    raise
                log.debug("built-in plugin %s not present", target)

    def load_entry_points(self) -> None:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            try:
                self.register(_load(ep.value), external=True)
            except Exception as exc:  # a broken external plugin must not take the console down
                log.exception("plugin %s failed to load", ep.name)
                self.errors[ep.name] = str(exc)

    def _lazy(self, plugin: Plugin, name: str) -> list[Any]:
        """A ``Lazy`` field's list, built on first use (an external plugin's failure is
        reported in ``errors`` and contributes nothing; a built-in's is raised)."""
        value = getattr(plugin, name)
        if not callable(value):
            return list(value)
        key = (id(plugin), name)
        if key not in self._resolved:
            try:
                built = list(value())
            except Exception as exc:
                if plugin.name not in self._external:
                    raise
                log.exception("plugin %s: %s failed", plugin.name, name)
                self.errors[plugin.name] = f"{name}: {exc}"
                built = []
            self._resolved[key] = (plugin, built)
        return self._resolved[key][1]

    def _all(self, name: str) -> list[Any]:
        return [item for plugin in self.plugins.values() for item in self._lazy(plugin, name)]

    @property
    def pages(self) -> list[PageSpec]:
        return self._all("pages")

    @property
    def entity_tabs(self) -> list[EntityTab]:
        return sorted(self._all("entity_tabs"), key=lambda t: t.order)

    @property
    def jobs(self) -> list[Job]:
        return self._all("jobs")

    @property
    def api_routers(self) -> list[object]:
        return self._all("api_routers")

    @property
    def public_api_routers(self) -> list[object]:
        return self._all("public_api_routers")

    @property
    def home_modules(self) -> list[Callable[[], Any]]:
        return self._all("home_modules")

    @property
    def cli(self) -> list[tuple[str, str, Any]]:
        """``(plugin name, group name, typer.Typer)`` for every plugin's command groups."""
        return [(p.name, n, group) for p in self.plugins.values() for n, group in p.cli.items()]

    @property
    def authenticators(self) -> dict[str, Authenticator]:
        return _by_key(self._all("authenticators"), lambda a: a.mode, "auth mode")

    @property
    def health_checks(self) -> dict[str, HealthCheck]:
        return _by_key(self._all("health_checks"), lambda c: c.name, "health check")

    @property
    def open_actions(self) -> frozenset[str]:
        return frozenset(a for p in self.plugins.values() for a in p.open_actions)

    @property
    def nav(self) -> list[PageSpec]:
        pages = [p for p in self.pages if p.nav is not None]
        return sorted(pages, key=lambda p: (p.nav.order, p.title))  # type: ignore[union-attr]


def _by_key(items: list[T], key: Callable[[T], str], what: str) -> dict[str, T]:
    out: dict[str, T] = {}
    for item in items:
        name = key(item)
        if name in out:
            raise ValueError(f"{what} {name!r} is contributed by two plugins")
        out[name] = item
    return out


@lru_cache(maxsize=1)
def get_registry() -> Registry:
    """The process-wide registry: built-ins first, then entry-point plugins."""
    registry = Registry()
    registry.load_builtin()
    registry.load_entry_points()
    return registry


def is_assembled() -> bool:
    """Whether this process has built the registry yet (nothing may do so at import)."""
    return get_registry.cache_info().currsize > 0
