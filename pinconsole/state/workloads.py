"""The /workloads list's state. Thin: it calls ``pinconsole.compute`` through ``_run`` (the
UI's thread pool, ``state/guard.py``) and keeps one page of rows, refreshed while the page is
open (``state/live.py``). The PinApp page's states are in ``state/pinapp.py`` and
``state/pod_logs.py``, the Workloads entity tab's in ``state/entity_workloads.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import urlencode

import reflex as rx

from pinconsole.catalog.query import entities_by_refs, read_scope
from pinconsole.compute import queries, tenancy
from pinconsole.compute.cache import HEALTHS
from pinconsole.compute.display import display_row, stale_notes
from pinconsole.errors import DomainError
from pinconsole.state.base import AppState
from pinconsole.state.catalog import short_ref
from pinconsole.state.guard import guarded
from pinconsole.state.live import LiveRefresh
from pinconsole.state.paging import GuardedPaging

PAGE_SIZE = 25


def _workloads_page(filters: tuple[str | None, ...], offset: int) -> dict[str, Any]:
    """One page of /workloads: rows, total, health counts, clusters and namespaces."""
    version = queries.changes_version()  # before reading: a change while reading is seen next
    rows, total, summary = queries.list_pinapps(*filters, limit=PAGE_SIZE, offset=offset)
    statuses = queries.cluster_statuses()
    return {
        "rows": [display_row(r) for r in rows],
        "total": total,
        "summary": summary,
        "stale": stale_notes(statuses),
        "cluster_names": [s["name"] for s in statuses],
        "namespace_names": queries.namespaces(),
        "version": version,
    }


def _team_of_principal(groups: list[str]) -> str:
    """The first of these groups that owns a namespace, as the team filter names it ("" if
    none)."""
    owners = {o for owners in tenancy.namespace_owners().values() for o in owners}
    return short_ref(next((g for g in groups if g in owners), ""))


def _team_choices() -> list[dict[str, str]]:
    """The team picker's options: every group that owns a namespace, by display name."""
    refs = sorted({o for owners in tenancy.namespace_owners().values() for o in owners})
    with read_scope() as session:
        titles = {e.ref: e.title or e.name for e in entities_by_refs(session, refs)}
    choices = [{"value": short_ref(r), "label": titles.get(r) or short_ref(r)} for r in refs]
    return sorted(choices, key=lambda c: (c["label"].lower(), c["value"]))


# The URL's query keys for the filters (``?team=payments&health=down``).
URL_FILTERS = ("cluster", "namespace", "team", "health", "text")


class WorkloadsState(GuardedPaging, LiveRefresh, AppState):
    """``/workloads``: filters (prefixed ``f_``: route args own ``cluster``/``namespace``)."""

    f_cluster: str = ""
    f_namespace: str = ""
    f_team: str = ""
    f_health: str = ""
    f_text: str = ""
    _page_size: ClassVar[int] = PAGE_SIZE
    _page_empty: ClassVar[str] = "No PinApps"
    rows: list[dict[str, str]] = []
    summary: dict[str, int] = {}
    stale: list[str] = []
    cluster_names: list[str] = []
    namespace_names: list[str] = []
    error: str = ""
    loaded: bool = False
    teams: list[dict[str, str]] = []  # the team picker's options (value, label)
    team_note: str = ""  # why "My team" selected nothing

    def _filters(self) -> tuple[str | None, ...]:
        return (
            self.f_cluster or None,
            self.f_namespace or None,
            self.f_team or None,
            self.f_health or None,
            self.f_text or None,
        )

    def _show(self, page: dict[str, Any] | DomainError) -> None:
        if isinstance(page, DomainError):
            self.error, self.rows, self.total = str(page), [], 0
            return
        shown = {k: page[k] for k in ("rows", "total", "summary", "stale")}
        shown |= {k: page[k] for k in ("cluster_names", "namespace_names")}
        self._publish(shown | {"error": "", "loaded": True})
        self._version = page["version"]

    async def _turn(self) -> None:
        try:
            page = await self._run(_workloads_page, self._filters(), self.page * PAGE_SIZE)
        except DomainError as exc:
            self._show(exc)
            return
        self._show(page)

    # the live loop's hook (LiveRefresh)
    def _live_query(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return _workloads_page, (self._filters(), self.page * PAGE_SIZE)

    def _replace_url(self) -> Any:
        """The filters in the address bar (a link reproduces the view), no history entry."""
        values = (self.f_cluster, self.f_namespace, self.f_team, self.f_health, self.f_text)
        params = {k: v for k, v in zip(URL_FILTERS, values, strict=True) if v}
        url = json.dumps("/workloads" + (f"?{urlencode(params)}" if params else ""))
        return rx.call_script(f"window.history.replaceState(window.history.state, '', {url})")

    @guarded
    async def load(self):  # type: ignore[no-untyped-def]
        query = self.router.url.query_parameters
        values = {k: str(query.get(k, "") or "").strip()[:200] for k in URL_FILTERS}
        self.f_cluster, self.f_namespace = values["cluster"], values["namespace"]
        self.f_team, self.f_text = values["team"], values["text"]
        self.f_health = values["health"] if values["health"] in HEALTHS else ""
        self.page = 0
        self.teams = await self._run(_team_choices)
        await self._turn()
        return WorkloadsState.live

    async def _refilter(self) -> Any:
        self.page = 0
        await self._turn()
        return self._replace_url()

    @guarded
    async def set_cluster(self, value: str):  # type: ignore[no-untyped-def]
        self.f_cluster = "" if value == "all" else str(value)[:200]
        return await self._refilter()

    @guarded
    async def set_namespace(self, value: str):  # type: ignore[no-untyped-def]
        self.f_namespace = "" if value == "all" else str(value)[:200]
        return await self._refilter()

    @guarded
    async def set_team(self, value: str):  # type: ignore[no-untyped-def]
        self.f_team = "" if value == "all" else str(value).strip()[:200]
        self.team_note = ""
        return await self._refilter()

    @guarded
    async def set_health(self, value: str):  # type: ignore[no-untyped-def]
        """A health tile: pressing the selected one again shows every health."""
        self.f_health = "" if value not in HEALTHS or value == self.f_health else value
        return await self._refilter()

    @guarded
    async def set_text(self, value: str):  # type: ignore[no-untyped-def]
        self.f_text = str(value)[:200]
        return await self._refilter()

    @guarded
    async def clear_filters(self):  # type: ignore[no-untyped-def]
        self.f_cluster = self.f_namespace = self.f_team = self.f_health = self.f_text = ""
        self.team_note = ""
        return await self._refilter()

    @guarded
    async def mine(self):  # type: ignore[no-untyped-def]
        """My team's workloads: the first of my groups that owns a namespace."""
        team = await self._run(_team_of_principal, list(self.groups))
        if not team:
            self.team_note = "None of your teams owns a namespace, so no workloads are yours."
            return None
        self.f_team, self.team_note = team, ""
        return await self._refilter()

    @rx.var
    def filtered(self) -> bool:
        return bool(
            self.f_cluster or self.f_namespace or self.f_team or self.f_health or self.f_text
        )
