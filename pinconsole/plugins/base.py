"""What a plugin may contribute. Built-in features use exactly these types too.

A plugin is a ``Plugin`` object (or a zero-argument callable returning one) exposed through the
``pinconsole.plugins`` entry-point group, e.g. in the plugin's ``pyproject.toml``::

    [project.entry-points."pinconsole.plugins"]
    hello = "hello_plugin:plugin"
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class NavEntry:
    """A link in the side navigation."""

    label: str
    icon: str = "circle"  # a lucide icon name
    section: str = "Explore"  # nav group heading
    order: int = 100


@dataclass(frozen=True)
class PageSpec:
    """A page: ``component`` builds its body; the app wraps it in the shell."""

    route: str
    title: str
    component: Callable[[], Any]
    on_load: Any = None  # an event handler or a list of them
    nav: NavEntry | None = None
    admin_only: bool = False


@dataclass(frozen=True)
class EntityTab:
    """A tab on entity pages, shown when ``predicate(entity_body)`` is true.

    ``entity_body`` is the Backstage-shaped descriptor dict (apiVersion, kind, metadata, spec).
    ``on_load`` runs when the tab's entity page loads (e.g. to fetch the tab's data).
    """

    id: str
    label: str
    predicate: Callable[[Mapping[str, Any]], bool]
    component: Callable[[], Any]
    order: int = 100
    on_load: Any = None


@dataclass(frozen=True)
class Job:
    """A background job run every ``interval_seconds`` by the backend's scheduler.

    ``run`` is blocking code; it runs in a worker thread. Jobs that must not run twice across
    workers take their own lock (advisory lock on PostgreSQL, file lock on SQLite).
    """

    name: str
    interval_seconds: float | Callable[[], float]
    run: Callable[[], Any]
    run_at_start: bool = False


@dataclass
class Plugin:
    """Everything one feature adds to PinConsole."""

    name: str
    pages: list[PageSpec] = field(default_factory=list)
    entity_tabs: list[EntityTab] = field(default_factory=list)
    api_routers: list[Any] = field(default_factory=list)  # fastapi.APIRouter, under /api/v1
    jobs: list[Job] = field(default_factory=list)
    cli: Mapping[str, Any] = field(default_factory=dict)  # command group name -> typer.Typer
    home_modules: list[Callable[[], Any]] = field(default_factory=list)
    description: str = ""
