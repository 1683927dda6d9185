"""States of the workloads pages: the /workloads list, the PinApp page (live charts, actions,
logs) and the Workloads entity tab. Thin: they call ``pinconsole.compute`` through ``_run`` (the
UI's thread pool, ``state/guard.py``) and keep one page of data. Live updates run in background
events that poll the caches' change counter, read in the pool and take the state lock only to
publish; they stop when the page is left or the session ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
import reflex as rx
import yaml

from pinconsole.access.principal import Principal
from pinconsole.components.charts import time_chart
from pinconsole.compute import actions, logs, queries, tenancy
from pinconsole.compute.series import pinapp_charts
from pinconsole.compute.versions import PINAPP_FORMS, after_write, follow_versions, form_values
from pinconsole.errors import Conflict, DomainError, Unauthenticated
from pinconsole.state.base import AppState, principal_of
from pinconsole.state.guard import Outage, guarded, run_blocking

PAGE_SIZE = 25
LIVE_SECONDS = 3.0
HEALTH_KIND = {"healthy": "ok", "degraded": "warning", "down": "critical", "paused": "unknown"}


def _display_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: str(v) for k, v in row.items()},
        "replicas": f"{row['ready']}/{row['desired']}",
        "status_kind": HEALTH_KIND.get(row["health"], "unknown"),
        "url": f"/workloads/{row['cluster']}/{row['namespace']}/{row['name']}",
        "key": f"{row['cluster']}/{row['namespace']}/{row['name']}",
        "team_name": str(row.get("team", "")).rsplit("/", 1)[-1],
    }


def _stale_notes(statuses: list[dict[str, Any]]) -> list[str]:
    return [
        f"Cluster {s['name']} is unreachable since {s['stale_since'] or '?'}: {s['error']}. "
        "Showing what it last reported."
        for s in statuses
        if s["stale"]
    ]


def _page_path(state: Any) -> str:
    """The browser's path without its query (what a live loop stays on)."""
    return str(state.router.page.raw_path).split("?", 1)[0]


async def refresh_while_open(state: Any) -> Any:
    """The live loop of a page: every ``LIVE_SECONDS`` while the page that started it is open,
    re-check the session and, when a cluster cache changed, read what the page shows in the
    UI's thread pool and publish it under the state lock.

    The state provides ``_version`` (the change counter its data was read at),
    ``_live_token``, ``_live_query()`` (under the lock: the blocking read, as ``(fn, args)``),
    ``_show(result)`` (under the lock: a result or the ``DomainError`` the read raised) and
    may provide ``_live_left()`` (the page was left). A newer loop (a reload) ends this one.
    """
    token = time.monotonic()
    async with state:
        state._live_token = token
        path = _page_path(state)
    while True:
        await asyncio.sleep(LIVE_SECONDS)
        async with state:
            if state._live_token != token:
                return None
            if _page_path(state) != path:
                if (left := getattr(state, "_live_left", None)) is not None:
                    left()
                return None
            try:
                await state._principal()
            except Unauthenticated as exc:
                return state._answer(exc)
            except DomainError as exc:  # an outage: the banner, and the next round tries again
                state._answer(exc)
                continue
            seen, (fn, args) = state._version, state._live_query()
        result: Any
        try:
            if await run_blocking(queries.changes_version) == seen:
                continue  # nothing changed in any cluster cache
            result = await run_blocking(fn, *args)
        except DomainError as exc:
            result = exc
        async with state:
            if state._live_token != token:
                return None
            if isinstance(result, Outage):
                state._answer(result)
                continue
            if state.outage:
                state.outage = ""
            state._show(result)


def _workloads_page(filters: tuple[str | None, ...], offset: int) -> dict[str, Any]:
    """One page of /workloads: rows, total, health counts, clusters and namespaces."""
    version = queries.changes_version()  # before reading: a change while reading is seen next
    rows, total, summary = queries.list_pinapps(*filters, limit=PAGE_SIZE, offset=offset)
    statuses = queries.cluster_statuses()
    return {
        "rows": [_display_row(r) for r in rows],
        "total": total,
        "summary": summary,
        "stale": _stale_notes(statuses),
        "cluster_names": [s["name"] for s in statuses],
        "namespace_names": queries.namespaces(),
        "version": version,
    }


def _team_of_principal(groups: list[str]) -> str:
    """The first of these groups that owns a namespace ("" if none)."""
    owners = {o for owners in tenancy.namespace_owners().values() for o in owners}
    return next((g for g in groups if g in owners), "")


class WorkloadsState(AppState):
    """``/workloads``: filters (prefixed ``f_``: route args own ``cluster``/``namespace``)."""

    f_cluster: str = ""
    f_namespace: str = ""
    f_team: str = ""
    f_health: str = ""
    f_text: str = ""
    page: int = 0
    total: int = 0
    rows: list[dict[str, str]] = []
    summary: dict[str, int] = {}
    stale: list[str] = []
    cluster_names: list[str] = []
    namespace_names: list[str] = []
    error: str = ""
    loaded: bool = False
    _version: int = -1
    _live_token: float = 0.0

    @rx.var
    def page_label(self) -> str:
        if not self.total:
            return "No PinApps"
        first = self.page * PAGE_SIZE + 1
        return f"{first:,}-{min(self.total, first + PAGE_SIZE - 1):,} of {self.total:,}"

    @rx.var
    def has_prev(self) -> bool:
        return self.page > 0

    @rx.var
    def has_next(self) -> bool:
        return (self.page + 1) * PAGE_SIZE < self.total

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
        self.error = ""
        self.rows, self.total, self.summary = page["rows"], page["total"], page["summary"]
        self.stale = page["stale"]
        self.cluster_names, self.namespace_names = page["cluster_names"], page["namespace_names"]
        self._version = page["version"]
        self.loaded = True

    async def _fetch(self) -> None:
        try:
            page = await self._run(_workloads_page, self._filters(), self.page * PAGE_SIZE)
        except DomainError as exc:
            self._show(exc)
            return
        self._show(page)

    # the live loop's hooks (refresh_while_open)
    def _live_query(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return _workloads_page, (self._filters(), self.page * PAGE_SIZE)

    @guarded
    async def load(self):  # type: ignore[no-untyped-def]
        params = self.router.page.params
        self.f_team = params.get("team", "")
        self.f_health = params.get("health", "")
        self.page = 0
        await self._fetch()
        return WorkloadsState.live

    @guarded(background=True)
    async def live(self):  # type: ignore[no-untyped-def]
        """Refresh while /workloads is open; a newer loop (reload) or leaving the page ends it."""
        return await refresh_while_open(self)

    async def _refilter(self) -> None:
        self.page = 0
        await self._fetch()

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

    @guarded
    async def next_page(self):  # type: ignore[no-untyped-def]
        if self.has_next:
            self.page += 1
            await self._fetch()

    @guarded
    async def prev_page(self):  # type: ignore[no-untyped-def]
        if self.page:
            self.page -= 1
            await self._fetch()


def _live_charts(history: dict[str, Any]) -> tuple[go.Figure, go.Figure, bool]:
    """The PinApp's two live chart figures and whether the cluster has a metrics API."""
    replicas, usage, has_metrics_api = pinapp_charts(history)
    return time_chart(replicas), time_chart(usage), has_metrics_api


def _spec_rows(spec: dict[str, Any], status: dict[str, Any]) -> list[dict[str, str]]:
    """Spec and status fields as label/value rows, one row per container, its env and ports."""
    rows = [
        {"field": "Image", "value": str(spec.get("image", ""))},
        {"field": "Replicas", "value": str(spec.get("replicas", ""))},
        {"field": "Tier", "value": str(spec.get("tier", ""))},
        {"field": "Service", "value": str(spec.get("service", ""))},
        {"field": "Paused", "value": "yes" if spec.get("paused") else "no"},
    ]
    ports = [
        f"{p.get('name') + ' ' if p.get('name') else ''}{p.get('containerPort')}/"
        f"{p.get('protocol', 'TCP')}"
        for p in spec.get("ports") or []
    ]
    if ports:
        rows.append({"field": "Ports", "value": ", ".join(ports)})
    for c in spec.get("containers") or []:
        resources = c.get("resources") or {}
        parts = [
            f"{kind} " + ", ".join(f"{k}={v}" for k, v in (resources.get(kind) or {}).items())
            for kind in ("requests", "limits")
            if resources.get(kind)
        ]
        if c.get("image"):
            parts.insert(0, str(c["image"]))
        rows.append({"field": f"Container {c.get('name', '')}", "value": "; ".join(parts) or "-"})
        env = [f"{e.get('name')}={e.get('value', '')}" for e in c.get("env") or []]
        if env:
            rows.append({"field": f"Env of {c.get('name', '')}", "value": ", ".join(env)})
    rows += [
        {"field": "Current image", "value": str(status.get("currentImage", ""))},
        {"field": "Updated replicas", "value": str(status.get("updatedReplicas", ""))},
        {"field": "Observed generation", "value": str(status.get("observedGeneration", ""))},
    ]
    return rows


def _metrics_label(metrics: list[dict[str, Any]]) -> str:
    """``CPU 70%, requests_per_second 500`` for the PinScaler's metric targets."""
    out = []
    for m in metrics:
        if m.get("type") == "cpu":
            out.append(f"CPU {m.get('targetUtilization')}%")
        else:
            out.append(f"{m.get('name')} {m.get('targetValue')}")
    return ", ".join(out) or "none"


def _pinapp_view(cluster: str, namespace: str, name: str, principal: Principal) -> dict[str, Any]:
    """What the PinApp page shows: the cache's detail, the charts and whether the principal
    may act (in the UI's thread pool: the charts take a while, the owners are a query)."""
    version = queries.changes_version()  # before reading: a change while reading is seen next
    detail = queries.get_pinapp(cluster, namespace, name)
    charts = _live_charts(queries.pinapp_history(cluster, namespace, name))
    can_act = tenancy.can_act(principal, cluster, namespace)
    return {"detail": detail, "charts": charts, "can_act": can_act, "version": version}


def _pod_containers(cluster: str, namespace: str, name: str, pod: str) -> list[str]:
    """Containers of ``pod``, which must be one of PinApp ``namespace/name``'s pods: the page
    of one PinApp reads no other workload's logs (the check the REST API makes)."""
    queries.require_pod_of(cluster, namespace, name, pod)
    return logs.containers_of(cluster, namespace, pod)


def _pod_log_lines(
    cluster: str,
    namespace: str,
    name: str,
    pod: str,
    container: str | None,
    tail: int,
    search: str | None,
) -> list[str]:
    """The last ``tail`` lines of a pod of PinApp ``namespace/name`` (see ``_pod_containers``)."""
    queries.require_pod_of(cluster, namespace, name, pod)
    return logs.pod_logs(cluster, namespace, pod, container, tail, search)


def _follow_pod(
    cluster: str, namespace: str, name: str, pod: str, container: str | None, search: str | None
) -> Any:
    """A follow stream of a pod of PinApp ``namespace/name`` (see ``_pod_containers``)."""
    queries.require_pod_of(cluster, namespace, name, pod)
    return logs.follow_pod_logs(cluster, namespace, pod, container, 0, search)


class PinAppState(AppState):
    """The PinApp page: detail from the cache, live charts, actions, logs."""

    app: dict[str, str] = {}
    spec_rows: list[dict[str, str]] = []
    conditions: list[dict[str, str]] = []
    pods: list[dict[str, str]] = []
    events: list[dict[str, str]] = []
    scaler: dict[str, str] = {}
    scaler_schedules: list[dict[str, str]] = []
    scaler_yaml: str = ""
    schedules_text: str = ""
    yaml_text: str = ""
    stale: list[str] = []
    error: str = ""
    loaded: bool = False
    can_act: bool = False
    has_metrics_api: bool = True
    replicas_chart: go.Figure = go.Figure()
    usage_chart: go.Figure = go.Figure()
    replicas_input: str = ""
    scaler_min: str = ""
    scaler_max: str = ""
    action_error: str = ""
    scaler_error: str = ""
    conflict: bool = False  # the last action's error was a Conflict: offer to reload the forms
    # logs
    log_pod: str = ""
    log_containers: list[str] = []
    log_container: str = ""
    log_tail: str = "200"
    log_search: str = ""
    log_lines: list[str] = []
    log_error: str = ""
    following: bool = False
    _version: int = -1
    _live_token: float = 0.0
    _follow_token: float = 0.0
    _loaded_path: str = ""
    _basis: dict[str, dict[str, Any]] = {}

    def _key(self) -> tuple[str, str, str]:
        params = self.router.page.params
        return params.get("cluster", ""), params.get("namespace", ""), params.get("name", "")

    async def _fetch(self) -> None:
        cluster, namespace, name = self._key()
        try:
            view = await self._run(_pinapp_view, cluster, namespace, name, principal_of(self))
        except DomainError as exc:
            self._show(exc)
            return
        self._show(view)

    def _show(self, view: dict[str, Any] | DomainError) -> None:
        """Publish a ``_pinapp_view`` (or the error reading it raised)."""
        if isinstance(view, DomainError):
            self.error, self.loaded = str(view), True
            return
        detail = view["detail"]
        self.error = ""
        row = detail["row"]
        self.app = {k: str(v) for k, v in row.items()}
        self.app["status_kind"] = HEALTH_KIND.get(row["health"], "unknown")
        self.app["replicas_label"] = f"{row['ready']}/{row['desired']}"
        spec = detail["spec"]
        self.spec_rows = _spec_rows(spec, detail["status"])
        self.conditions = [
            {k: str(c.get(k, "")) for k in ("type", "status", "reason", "message")}
            for c in detail["conditions"]
        ]
        self.pods = [{k: str(v) for k, v in p.items()} for p in detail["pods"]]
        self.events = [{k: str(v) for k, v in e.items()} for e in detail["events"]]
        scaler = detail["scaler"]
        if scaler:
            sspec = scaler.get("spec") or {}
            sstatus = scaler.get("status") or {}
            self.scaler = {
                "name": scaler["metadata"]["name"],
                "min": str(sspec.get("minReplicas", "")),
                "max": str(sspec.get("maxReplicas", "")),
                "current": str(sstatus.get("currentReplicas", "-")),
                "desired": str(sstatus.get("desiredReplicas", "-")),
                "last_scale": str(sstatus.get("lastScaleTime", "never")),
                "cooldown": str(sspec.get("cooldownSeconds", "")),
                "metrics": _metrics_label(sspec.get("metrics") or []),
                "resource_version": scaler["metadata"].get("resourceVersion", ""),
            }
            self.scaler_schedules = [
                {
                    "name": str(item.get("name", "")),
                    "cron": str(item.get("cron", "")),
                    "duration": str(item.get("duration", "")),
                    "min": str(item.get("minReplicas", "")),
                }
                for item in sspec.get("schedules") or []
            ]
        else:
            self.scaler, self.scaler_schedules = {}, []
        self.scaler_yaml = detail["scaler_yaml"]
        self.yaml_text = detail["yaml"]
        self.stale = _stale_notes([detail["cluster"]])
        self._follow(detail["pinapp"], scaler)
        self.replicas_chart, self.usage_chart, self.has_metrics_api = view["charts"]
        self.can_act = view["can_act"]
        self._version = view["version"]
        self.loaded = True

    def _touched(self) -> set[str]:
        """The forms whose inputs differ from what they were filled with."""
        shown = {
            "replicas": self.replicas_input,
            "limits": [self.scaler_min, self.scaler_max],
            "schedules": self.schedules_text,
        }
        return {k for k, v in shown.items() if k in self._basis and self._basis[k]["value"] != v}

    def _refill(self, keys: set[str]) -> None:
        for key in keys:
            value = self._basis[key]["value"]
            if key == "replicas":
                self.replicas_input = value
            elif key == "limits":
                self.scaler_min, self.scaler_max = value
            elif key == "schedules":
                self.schedules_text = value

    def _follow(self, pinapp: dict[str, Any], scaler: dict[str, Any] | None) -> None:
        """After a read: untouched forms and the buttons show the newest version."""
        self._basis, refill = follow_versions(
            self._basis, form_values(pinapp, scaler), self._touched()
        )
        self._refill(refill)

    async def _version_for(self, key: str) -> str:
        """The resourceVersion an action of ``key`` sends: the version whose value the user saw,
        moved on to the cache's newest only if that still holds the same value (so status
        written by controllers since the last refresh is no conflict)."""
        cluster, namespace, name = self._key()
        with contextlib.suppress(DomainError):
            detail = await self._run(queries.get_pinapp, cluster, namespace, name)
            values = form_values(detail["pinapp"], detail["scaler"])
            self._basis, _ = follow_versions(self._basis, values, set(values))
        return str((self._basis.get(key) or {}).get("rv") or "")

    @guarded
    async def load(self):  # type: ignore[no-untyped-def]
        # A websocket reconnect runs on_load again: keep inputs and the open log of this page
        # (for the same user: signing in as someone else in this tab starts fresh).
        path = f"{self.user_name}@{self.router.page.raw_path}"
        if path != self._loaded_path:
            self._loaded_path = path
            self.loaded = False
            self.replicas_input = self.scaler_min = self.scaler_max = self.schedules_text = ""
            self._basis = {}
            self.action_error = self.scaler_error = self.log_error = ""
            self.conflict = False
            self.log_lines, self.log_pod, self.following = [], "", False
        await self._fetch()
        return PinAppState.live

    # the live loop's hooks (refresh_while_open)
    def _live_query(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return _pinapp_view, (*self._key(), principal_of(self))

    def _live_left(self) -> None:
        self.following = False
        self._loaded_path = ""  # left the page: a later visit starts fresh

    @guarded(background=True)
    async def live(self):  # type: ignore[no-untyped-def]
        """Charts and status every few seconds while this PinApp's page is open."""
        return await refresh_while_open(self)

    # ---- actions ----------------------------------------------------------------------------
    async def _act(self, key: str, write: Any, value: Any, done: str) -> Any:
        """Run ``write(principal, cluster, namespace, resource_version)`` (in the UI's thread
        pool) standing on the version form ``key`` was filled from; on success the form shows
        ``value(result)``."""
        cluster, namespace, _name = self._key()
        self.conflict = False
        rv = await self._version_for(key)
        try:
            if not rv:  # never without a version: that would overwrite blindly
                raise Conflict("this page has not loaded the object yet; reload and try again")
            result = await self._run(write, principal_of(self), cluster, namespace, rv)
        except DomainError as exc:
            self.conflict = isinstance(exc, Conflict)
            self._show_error(key, str(exc))
            return rx.toast.error(exc.title, description=str(exc))
        except (ValueError, yaml.YAMLError) as exc:
            self._show_error(key, f"Not valid: {exc}")
            return None
        new_rv = str((result.get("metadata") or {}).get("resourceVersion", ""))
        self._basis = after_write(self._basis, key, rv, new_rv, value(result))
        self._refill({key})
        self.action_error = self.scaler_error = ""
        return rx.toast.success(done)

    def _show_error(self, key: str, message: str) -> None:
        if key in PINAPP_FORMS:
            self.action_error = message
        else:
            self.scaler_error = message

    @guarded
    async def reload_forms(self):  # type: ignore[no-untyped-def]
        """After a conflict: drop the edits and show the newest version in every form."""
        self._basis = {}
        self.action_error = self.scaler_error = ""
        self.conflict = False
        await self._fetch()

    @guarded
    async def set_replicas_input(self, value: str):  # type: ignore[no-untyped-def]
        self.replicas_input = value

    @guarded
    async def scale(self):  # type: ignore[no-untyped-def]
        try:
            replicas = int(self.replicas_input)
        except ValueError:
            self.action_error = "Replicas must be a whole number."
            return None
        name = self._key()[2]
        return await self._act(
            "replicas",
            lambda p, c, n, rv: actions.scale_pinapp(p, c, n, name, replicas, resource_version=rv),
            lambda _result: str(replicas),
            f"Scaled to {replicas}",
        )

    @guarded
    async def restart(self):  # type: ignore[no-untyped-def]
        name = self._key()[2]
        return await self._act(
            "restarted",
            lambda p, c, n, rv: actions.restart_pinapp(p, c, n, name, resource_version=rv),
            lambda result: form_values(result, None)["restarted"][1],
            "Restart started",
        )

    @guarded
    async def toggle_pause(self):  # type: ignore[no-untyped-def]
        # What the button showed decides, not what the cluster holds now (a Conflict if those
        # differ): the "paused" basis is the version the button was drawn from.
        pause = not self._basis.get("paused", {}).get("value", self.app.get("paused") == "True")
        name = self._key()[2]
        return await self._act(
            "paused",
            lambda p, c, n, rv: actions.set_paused(p, c, n, name, pause, resource_version=rv),
            lambda _result: pause,
            "Paused" if pause else "Resumed",
        )

    @guarded
    async def set_scaler_min(self, value: str):  # type: ignore[no-untyped-def]
        self.scaler_min = value

    @guarded
    async def set_scaler_max(self, value: str):  # type: ignore[no-untyped-def]
        self.scaler_max = value

    @guarded
    async def set_schedules_text(self, value: str):  # type: ignore[no-untyped-def]
        self.schedules_text = value

    @guarded
    async def save_scaler(self):  # type: ignore[no-untyped-def]
        if not self.scaler:
            return None
        scaler = self.scaler["name"]
        low, high = self.scaler_min, self.scaler_max

        def write(p: Any, c: str, n: str, rv: str) -> dict[str, Any]:
            return actions.scale_pinscaler(
                p, c, n, scaler, int(low), int(high), resource_version=rv
            )

        return await self._act(
            "limits",
            write,
            lambda result: form_values({}, result)["limits"][1],
            "PinScaler updated",
        )

    @guarded
    async def save_schedules(self):  # type: ignore[no-untyped-def]
        if not self.scaler:
            return None
        scaler = self.scaler["name"]
        text = self.schedules_text

        def write(p: Any, c: str, n: str, rv: str) -> dict[str, Any]:
            schedules = yaml.safe_load(text) or []
            if not isinstance(schedules, list):
                raise ValueError("schedules must be a YAML list")
            return actions.set_schedules(p, c, n, scaler, schedules, resource_version=rv)

        return await self._act(
            "schedules",
            write,
            lambda result: form_values({}, result)["schedules"][1],
            "Schedules saved",
        )

    # ---- logs -------------------------------------------------------------------------------
    @guarded
    async def open_logs(self, pod: str):  # type: ignore[no-untyped-def]
        cluster, namespace, name = self._key()
        self.following = False
        self.log_pod = pod
        try:
            self.log_containers = await self._run(_pod_containers, cluster, namespace, name, pod)
        except DomainError as exc:
            self.log_containers, self.log_lines, self.log_error = [], [], str(exc)
            return
        self.log_container = self.log_containers[0] if self.log_containers else ""
        await self._read_logs()

    async def _read_logs(self) -> None:
        cluster, namespace, name = self._key()
        try:
            tail = max(1, min(logs.MAX_LINES, int(self.log_tail or 200)))
            self.log_lines = await self._run(
                _pod_log_lines,
                cluster,
                namespace,
                name,
                self.log_pod,
                self.log_container or None,
                tail,
                self.log_search or None,
            )
            self.log_error = ""
        except (DomainError, ValueError) as exc:
            self.log_lines, self.log_error = [], str(exc)

    @guarded
    async def set_log_container(self, value: str):  # type: ignore[no-untyped-def]
        self.log_container = value
        await self._read_logs()

    @guarded
    async def set_log_tail(self, value: str):  # type: ignore[no-untyped-def]
        self.log_tail = value
        await self._read_logs()

    @guarded
    async def set_log_search(self, value: str):  # type: ignore[no-untyped-def]
        self.log_search = value
        await self._read_logs()

    @guarded
    async def close_logs(self):  # type: ignore[no-untyped-def]
        self.log_pod, self.log_lines, self.following = "", [], False

    @guarded
    async def toggle_follow(self):  # type: ignore[no-untyped-def]
        self.following = not self.following
        if self.following:
            return PinAppState.follow
        return None

    @guarded(background=True)
    async def follow(self):  # type: ignore[no-untyped-def]
        """Stream new lines; stop on toggle, pod change, leaving the page or the session's end.

        The stream is opened in the UI's thread pool and read in a thread of its own (it lasts
        as long as the user follows: it must not hold one of the pool's threads). Lines are
        sent to the browser in batches at most once a second (each change of ``log_lines`` is
        sent whole); stopping closes the stream's socket, which ends the thread.
        """
        token = time.monotonic()
        async with self:
            self._follow_token = token
            cluster, namespace, name = self._key()
            pod, container, search = self.log_pod, self.log_container, self.log_search
            path = self.router.page.raw_path
        try:
            stream = await run_blocking(
                _follow_pod, cluster, namespace, name, pod, container or None, search or None
            )
        except DomainError as exc:
            async with self:
                self.log_error, self.following = str(exc), False
                return self._answer(exc) if isinstance(exc, Outage) else None
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        finished = asyncio.Event()

        def pump() -> None:
            try:
                for line in stream:
                    loop.call_soon_threadsafe(queue.put_nowait, line)
            except Exception as exc:  # the stream broke or the cluster went away
                loop.call_soon_threadsafe(queue.put_nowait, f"-- log stream ended: {exc}")
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, None)
                loop.call_soon_threadsafe(finished.set)

        threading.Thread(target=pump, name=f"pinconsole-log-{pod}", daemon=True).start()
        ended = False
        try:
            while not ended:
                batch: list[str] = []
                deadline = loop.time() + 1.0
                while (remaining := deadline - loop.time()) > 0:
                    try:
                        line = await asyncio.wait_for(queue.get(), remaining)
                    except TimeoutError:
                        break
                    if line is None:
                        ended = True
                        break
                    batch.append(line)
                async with self:
                    if (
                        self._follow_token != token
                        or not self.following
                        or self.log_pod != pod
                        or self.router.page.raw_path != path
                    ):
                        return None
                    try:  # a session that ended (revoked, signed out) stops reading here
                        await self._principal()
                    except Unauthenticated as exc:
                        return self._answer(exc)
                    except DomainError:
                        pass  # an outage of the session store: the stream itself still reads
                    if batch:
                        self.log_lines = (self.log_lines + batch)[-logs.MAX_LINES :]
                    if ended:
                        self.following = False
        finally:
            stream.close()  # unblocks the reading thread
            with contextlib.suppress(Exception):
                await asyncio.wait_for(finished.wait(), 5)
        return None


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
            charts = _live_charts(queries.pinapp_history(r["cluster"], r["namespace"], r["name"]))
        except DomainError as exc:
            error = str(exc)
    return {
        "rows": [_display_row(r) for r in rows],
        "chart_app": chart_app,
        "charts": charts,
        "error": error,
        "version": version,
    }


class EntityWorkloadsState(AppState):
    """The Workloads tab of an entity page: the entity's PinApps, refreshed while open."""

    rows: list[dict[str, str]] = []
    error: str = ""
    loaded: bool = False
    # Live charts of one PinApp of the entity (the first, or the one the user picked).
    chart_app: str = ""
    replicas_chart: go.Figure = go.Figure()
    usage_chart: go.Figure = go.Figure()
    has_metrics_api: bool = True
    _body: dict[str, Any] = {}
    _version: int = -1
    _live_token: float = 0.0

    def _show(self, view: dict[str, Any] | DomainError) -> None:
        if isinstance(view, DomainError):
            self.error, self.rows = str(view), []
            return
        self.rows, self.chart_app, self.error = view["rows"], view["chart_app"], view["error"]
        if view["charts"] is not None:
            self.replicas_chart, self.usage_chart, self.has_metrics_api = view["charts"]
        self._version = view["version"]
        self.loaded = True

    async def _fetch(self) -> None:
        try:
            view = await self._run(_entity_workloads, self._body, self.chart_app)
        except DomainError as exc:
            self._show(exc)
            return
        self._show(view)

    # the live loop's hooks (refresh_while_open)
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

    @guarded(background=True)
    async def live(self):  # type: ignore[no-untyped-def]
        return await refresh_while_open(self)
