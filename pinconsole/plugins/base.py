"""What a plugin may contribute. Built-in features use exactly these types too.

A plugin is a zero-argument function returning a ``Plugin`` (or a ``Plugin`` object), exposed
through the ``pinconsole.plugins`` entry-point group, e.g. in the plugin's ``pyproject.toml``::

    [project.entry-points."pinconsole.plugins"]
    hello = "hello_plugin:plugin"

The ``Plugin`` is the only seam: importing a plugin's modules registers nothing anywhere, and
everything a feature adds to the console (pages, tabs, routes, jobs, CLI groups, sign-in
backends, health checks, open actions) is a field here, collected by the registry. ``plugin()``
should import no Reflex: the CLI and the API load every plugin, and only the app assembly asks
for ``pages`` and ``entity_tabs``, which may therefore be functions returning the list (so the
states and pages they name are imported then).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

# A list, or a zero-argument function returning it (called once, when the app is assembled).
Lazy = list[T] | Callable[[], list[T]]


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

    ``run`` is blocking code; it runs in a worker thread. A shared job runs in one process of
    all workers and hosts, the holder of the scheduler's lease (``pinconsole.jobs``); one that
    a CLI command may run at the same time takes its own lock as well.

    ``every_host`` jobs tend something of their own process or host (a file under the data dir,
    the cluster caches): they run in every process, even where ``jobs_enabled`` is off, which
    switches off only the shared, cluster-wide jobs.
    """

    name: str
    interval_seconds: float | Callable[[], float]
    run: Callable[[], Any]
    run_at_start: bool = False
    every_host: bool = False


@dataclass(frozen=True)
class Authenticator:
    """The password sign-in of auth mode ``mode`` (e.g. ``ldap``).

    ``authenticate(user, password)`` returns the ``Principal`` or raises ``Unauthenticated``
    (blocking: it runs in a worker thread). ``still_present(user)`` says whether the directory
    still has the user (``None``: it cannot tell); open sessions ask it every 15 minutes and end
    when the answer is no.
    """

    mode: str
    authenticate: Callable[[str, str], Any]
    still_present: Callable[[str], bool | None] | None = None


@dataclass(frozen=True)
class HealthCheck:
    """A named part of ``/api/v1/health``: a blocking ``check()`` returning
    ``{"status": "ok" | "degraded" | "down", ...}`` (raising reports ``down``). Only the status is
    shown to anyone; what else it returns is for administrators."""

    name: str
    check: Callable[[], Mapping[str, Any]]


@dataclass
class Plugin:
    """Everything one feature adds to PinConsole.

    ``api_routers`` are mounted under ``/api/v1`` behind a principal; ``public_api_routers``
    under ``/api/v1`` without one (only for what must answer strangers: a probe, a webhook that
    checks its own signature). ``open_actions`` are non-admin ``authorize`` actions every
    signed-in principal may do (e.g. registering a URL location); ``admin.*`` never opens.
    """

    name: str
    pages: Lazy[PageSpec] = field(default_factory=list)
    entity_tabs: Lazy[EntityTab] = field(default_factory=list)
    api_routers: Lazy[Any] = field(default_factory=list)  # fastapi.APIRouter, under /api/v1
    public_api_routers: Lazy[Any] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    cli: Mapping[str, Any] = field(default_factory=dict)  # command group name -> typer.Typer
    home_modules: list[Callable[[], Any]] = field(default_factory=list)
    authenticators: list[Authenticator] = field(default_factory=list)
    health_checks: list[HealthCheck] = field(default_factory=list)
    open_actions: Collection[str] = ()
    description: str = ""
