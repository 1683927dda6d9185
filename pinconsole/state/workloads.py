"""The /workloads list's state. Thin: it calls ``pinconsole.compute`` through ``_run`` (the
UI's thread pool, ``state/guard.py``) and keeps one page of rows, refreshed while the page is
open (``state/live.py``). The PinApp page's states are in ``state/pinapp.py`` and
``state/pod_logs.py``, the Workloads entity tab's in ``state/entity_workloads.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from pinconsole.compute import queries, tenancy
from pinconsole.compute.display import display_row, stale_notes
from pinconsole.errors import DomainError
from pinconsole.state.base import AppState
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
    """The first of these groups that owns a namespace ("" if none)."""
    owners = {o for owners in tenancy.namespace_owners().values() for o in owners}
    return next((g for g in groups if g in owners), "")


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

    @guarded
    async def load(self):  # type: ignore[no-untyped-def]
        params = self.router.page.params
        self.f_team = params.get("team", "")
        self.f_health = params.get("health", "")
        self.page = 0
        await self._turn()
        return WorkloadsState.live

    async def _refilter(self) -> None:
        self.page = 0
        await self._turn()

    @guarded
    async def set_cluster(self, value: str):  # type: ignore[no-untyped-def]
        self.f_cluster = "" if value == "all" else value
        await self._refilter()

    @guarded
    async def set_namespace(self, value: str):  # type: ignore[no-untyped-def]
        self.f_namespace = "" if value == "all" else value
        await self._refilter()

    @guarded
    async def set_team(self, value: str):  # type: ignore[no-untyped-def]
        self.f_team = value.strip()
        await self._refilter()

    @guarded
    async def set_health(self, value: str):  # type: ignore[no-untyped-def]
        self.f_health = "" if value in ("all", self.f_health) else value
        await self._refilter()

    @guarded
    async def set_text(self, value: str):  # type: ignore[no-untyped-def]
        self.f_text = value
        await self._refilter()

    @guarded
    async def mine(self):  # type: ignore[no-untyped-def]
        """My team's workloads: the first of my groups that owns a namespace."""
        self.f_team = await self._run(_team_of_principal, list(self.groups))
        await self._refilter()
