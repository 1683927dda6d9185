"""Collects built-in and external plugins; everything that assembles the app reads from here."""

from __future__ import annotations

import importlib
import logging
from functools import lru_cache
from importlib.metadata import entry_points

from pinconsole.plugins.base import EntityTab, Job, PageSpec, Plugin

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

    def register(self, plugin: Plugin) -> None:
        if plugin.name in self.plugins:
            raise ValueError(f"plugin {plugin.name!r} is registered twice")
        self.plugins[plugin.name] = plugin

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
                self.register(_load(ep.value))
            except Exception as exc:  # a broken external plugin must not take the console down
                log.exception("plugin %s failed to load", ep.name)
                self.errors[ep.name] = str(exc)

    @property
    def pages(self) -> list[PageSpec]:
        return [p for plugin in self.plugins.values() for p in plugin.pages]

    @property
    def entity_tabs(self) -> list[EntityTab]:
        tabs = [t for plugin in self.plugins.values() for t in plugin.entity_tabs]
        return sorted(tabs, key=lambda t: t.order)

    @property
    def jobs(self) -> list[Job]:
        return [j for plugin in self.plugins.values() for j in plugin.jobs]

    @property
    def api_routers(self) -> list[object]:
        return [r for plugin in self.plugins.values() for r in plugin.api_routers]

    @property
    def nav(self) -> list[PageSpec]:
        pages = [p for p in self.pages if p.nav is not None]
        return sorted(pages, key=lambda p: (p.nav.order, p.title))  # type: ignore[union-attr]


@lru_cache(maxsize=1)
def get_registry() -> Registry:
    """The process-wide registry: built-ins first, then entry-point plugins."""
    registry = Registry()
    registry.load_builtin()
    registry.load_entry_points()
    return registry
