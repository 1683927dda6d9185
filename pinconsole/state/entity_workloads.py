"""The Workloads tab of an entity page: the entity's PinApps with live charts of one of them,
refreshed while the tab is open (``state/live.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pinconsole.components.charts import Figure
from pinconsole.compute import queries
from pinconsole.compute.display import display_row
from pinconsole.errors import DomainError
from pinconsole.state.base import AppState
from pinconsole.state.guard import guarded
from pinconsole.state.live import LiveRefresh
from pinconsole.state.pinapp import live_charts


def _entity_body(kind: str, namespace: str, name: str) -> dict[str, Any]:
    from pinconsole.catalog.query import get_entity, read_scope

    with read_scope() as session:
        return dict(get_entity(session, kind, namespace, name).entity.body)


def _entity_workloads(body: dict[str, Any], chart_app: str) -> dict[str, Any]:
    """The entity's PinApps and the charts of one of them (``chart_app``, else the first)."""
    version = queries.changes_version()  # before reading: a change while reading is seen next
    rows = queries.workloads_for_entity(body)
    keys = {f"{r['cluster']}/{r['namespace']}/{r['name']}": r for r in rows}
    if chart_app not in keys:
        chart_app = next(iter(keys), "")
    charts, error = None, ""
    if chart_app:
        r = keys[chart_app]
        try:
            charts = live_charts(queries.pinapp_history(r["cluster"], r["namespace"], r["name"]))
        except DomainError as exc:
            error = str(exc)
    return {
        "rows": [display_row(r) for r in rows],
        "chart_app": chart_app,
        "charts": charts,
        "error": error,
        "version": version,
    }


class EntityWorkloadsState(LiveRefresh, AppState):
    """The Workloads tab of an entity page: the entity's PinApps, refreshed while open."""

    rows: list[dict[str, str]] = []
    error: str = ""
    loaded: bool = False
    # Live charts of one PinApp of the entity (the first, or the one the user picked).
    chart_app: str = ""
    replicas_chart: Figure = {}
    usage_chart: Figure = {}
    has_metrics_api: bool = True
    _body: dict[str, Any] = {}

    def _show(self, view: dict[str, Any] | DomainError) -> None:
        if isinstance(view, DomainError):
            self.error, self.rows = str(view), []
            return
        shown = {"rows": view["rows"], "chart_app": view["chart_app"], "error": view["error"]}
        if view["charts"] is not None:
            replicas_chart, usage_chart, has_metrics_api = view["charts"]
            shown |= {
                "replicas_chart": replicas_chart,
                "usage_chart": usage_chart,
                "has_metrics_api": has_metrics_api,
            }
        self._publish(shown | {"loaded": True})
        self._version = view["version"]

    async def _fetch(self) -> None:
        try:
            view = await self._run(_entity_workloads, self._body, self.chart_app)
        except DomainError as exc:
            self._show(exc)
            return
        self._show(view)

    # the live loop's hook (LiveRefresh)
    def _live_query(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return _entity_workloads, (self._body, self.chart_app)

    @guarded
    async def load(self):  # type: ignore[no-untyped-def]
        params = self.router.page.params
        try:
            self._body = await self._run(
                _entity_body,
                params.get("kind", ""),
                params.get("namespace", ""),
                params.get("name", ""),
            )
        except (DomainError, AttributeError) as exc:
            self.error, self.rows, self.loaded = str(exc), [], True
            return None
        self.chart_app = ""
        await self._fetch()
        return EntityWorkloadsState.live

    @guarded
    async def show_chart(self, key: str):  # type: ignore[no-untyped-def]
        self.chart_app = key
        await self._fetch()
