"""States of the workloads pages: the /workloads list, the PinApp page (live charts, actions,
logs) and the Workloads entity tab. Thin: they call ``pinconsole.compute`` and keep one page of
data. Live updates run in background events that poll the caches' change counter and stop when
the page is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from datetime import UTC, datetime
from typing import Any

import plotly.graph_objects as go
import reflex as rx
import yaml

from pinconsole.compute import actions, logs, queries, tenancy
from pinconsole.errors import Conflict, DomainError
from pinconsole.state.base import AppState, principal_of

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

    def _fetch(self) -> None:
        try:
            rows, total, summary = queries.list_pinapps(
                self.f_cluster or None,
                self.f_namespace or None,
                self.f_team or None,
                self.f_health or None,
                self.f_text or None,
                limit=PAGE_SIZE,
                offset=self.page * PAGE_SIZE,
            )
            statuses = queries.cluster_statuses()
        except DomainError as exc:
            self.error, self.rows, self.total = str(exc), [], 0
            return
        self.error = ""
        self.rows = [_display_row(r) for r in rows]
        self.total, self.summary = total, summary
        self.stale = _stale_notes(statuses)
        self.cluster_names = [s["name"] for s in statuses]
        self.namespace_names = queries.namespaces()
        self._version = queries.changes_version()
        self.loaded = True

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        params = self.router.page.params
        self.f_team = params.get("team", "")
        self.f_health = params.get("health", "")
        self.page = 0
        self._fetch()
        return WorkloadsState.live

    @rx.event(background=True)
    async def live(self):  # type: ignore[no-untyped-def]
        """Refresh while /workloads is open; a newer loop (reload) or leaving the page ends it."""
        token = time.monotonic()
        async with self:
            self._live_token = token
        while True:
            await asyncio.sleep(LIVE_SECONDS)
            async with self:
                if self._live_token != token or self.router.page.path != "/workloads":
                    return
                if queries.changes_version() != self._version:
                    self._fetch()

    def _refilter(self) -> None:
        self.page = 0
        self._fetch()

    @rx.event
    def set_cluster(self, value: str):  # type: ignore[no-untyped-def]
        self.f_cluster = "" if value == "all" else value
        self._refilter()

    @rx.event
    def set_namespace(self, value: str):  # type: ignore[no-untyped-def]
        self.f_namespace = "" if value == "all" else value
        self._refilter()

    @rx.event
    def set_team(self, value: str):  # type: ignore[no-untyped-def]
        self.f_team = value.strip()
        self._refilter()

    @rx.event
    def set_health(self, value: str):  # type: ignore[no-untyped-def]
        self.f_health = "" if value in ("all", self.f_health) else value
        self._refilter()

    @rx.event
    def set_text(self, value: str):  # type: ignore[no-untyped-def]
        self.f_text = value
        self._refilter()

    @rx.event
    def mine(self):  # type: ignore[no-untyped-def]
        """My team's workloads: the first of my groups that owns a namespace."""
        owners = {o for owners in tenancy.namespace_owners().values() for o in owners}
        mine = [g for g in self.groups if g in owners]
        self.f_team = mine[0] if mine else ""
        self._refilter()

    @rx.event
    def next_page(self):  # type: ignore[no-untyped-def]
        if self.has_next:
            self.page += 1
            self._fetch()

    @rx.event
    def prev_page(self):  # type: ignore[no-untyped-def]
        if self.page:
            self.page -= 1
            self._fetch()


def _chart(
    samples: list[dict[str, Any]],
    series: list[tuple[str, str]],
    title: str,
    second_axis: str | None = None,
    *,
    counts: bool = False,
) -> go.Figure:
    """A time chart (times in UTC); the series named ``second_axis`` gets its own y axis on the
    right. ``counts`` keeps the y ticks on whole numbers (replicas, restarts)."""
    fig = go.Figure()
    xs = [datetime.fromtimestamp(s["t"], UTC).strftime("%Y-%m-%dT%H:%M:%S") for s in samples]
    for key, label in series:
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=[s.get(key) for s in samples],
                name=label,
                mode="lines+markers",
                marker={"size": 4},
                # Desired is dashed and drawn over Ready, so both show when they are equal.
                line={
                    "shape": "hv" if key in ("desired", "ready") else "linear",
                    "dash": "dash" if key == "desired" else "solid",
                },
                yaxis="y2" if key == second_axis else "y",
            )
        )
    layout: dict[str, Any] = {
        "title": {"text": title, "font": {"size": 14}},
        "height": 240,
        "margin": {"l": 44, "r": 44, "t": 36, "b": 30},
        "legend": {"orientation": "h", "y": -0.3},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        # The first and last time labels would overflow the plot into the y axes' labels.
        "xaxis": {
            "type": "date",
            "tickformat": "%H:%M:%S",
            "ticklabeloverflow": "hide past domain",
        },
        "yaxis": {"rangemode": "tozero"},
    }
    if counts:
        top = max(
            (float(s.get(k) or 0) for s in samples for k, _label in series),
            default=1.0,
        )
        layout["yaxis"].update(tick0=0, dtick=max(1, math.ceil(top / 4)), tickformat="d")
    if second_axis:
        layout["yaxis2"] = {"overlaying": "y", "side": "right", "rangemode": "tozero"}
    fig.update_layout(**layout)
    return fig


def _live_charts(history: dict[str, Any]) -> tuple[go.Figure, go.Figure, bool]:
    """Replicas/restarts and CPU/memory figures from a PinApp's sampled history."""
    samples = history["samples"]
    replicas = _chart(
        samples,
        [("ready", "Ready"), ("desired", "Desired"), ("restarts", "Restarts")],
        "Replicas and restarts",
        counts=True,
    )
    usage = _chart(
        samples,
        [("cpu_millicores", "CPU (millicores)"), ("memory_mib", "Memory (MiB, right)")],
        "CPU and memory",
        second_axis="memory_mib",
    )
    return replicas, usage, history["has_metrics_api"] is not False


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


# Optimistic concurrency on the PinApp page. Each form or button stands on one version of its
# object: the resourceVersion it sends, and the value it showed there. Forms: "replicas" (the
# scale input), "limits" (the PinScaler's min and max), "schedules" (its YAML); buttons:
# "paused" and "restarted" (the PinApp's pause state and last restart stamp).
PINAPP_FORMS = ("replicas", "paused", "restarted")


def form_values(pinapp: dict[str, Any], scaler: dict[str, Any] | None) -> dict[str, tuple]:
    """Per form or button: ``(resourceVersion, the value it shows)`` in these objects."""
    spec = pinapp.get("spec") or {}
    rv = str((pinapp.get("metadata") or {}).get("resourceVersion", ""))
    template = ((spec.get("template") or {}).get("metadata") or {}).get("annotations") or {}
    values: dict[str, tuple] = {
        "replicas": (rv, str(spec.get("replicas", ""))),
        "paused": (rv, bool(spec.get("paused"))),
        "restarted": (rv, str(template.get(actions.RESTARTED_AT, ""))),
    }
    if scaler:
        sspec = scaler.get("spec") or {}
        srv = str((scaler.get("metadata") or {}).get("resourceVersion", ""))
        limits = [str(sspec.get("minReplicas", "")), str(sspec.get("maxReplicas", ""))]
        values["limits"] = (srv, limits)
        values["schedules"] = (srv, yaml.safe_dump(sspec.get("schedules", []), sort_keys=False))
    return values


def follow_versions(
    basis: dict[str, dict[str, Any]], values: dict[str, tuple], touched: set[str]
) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """The versions the forms stand on after reading ``values``, and the forms to refill.

    A form the user has not touched follows its object (refilled with what it holds now). A
    touched one moves on to a newer version only while that version still holds what the form
    was filled from (a controller wrote status, someone edited another field): if someone else
    changed the value the user is editing, the form stays on the version the user saw and its
    save gets a Conflict instead of silently overwriting the other change.
    """
    new: dict[str, dict[str, Any]] = {}
    refill: set[str] = set()
    for key, (rv, value) in values.items():
        old = basis.get(key)
        if old is None or key not in touched:
            new[key] = {"rv": rv, "value": value}
            refill.add(key)
        elif old["value"] == value:
            new[key] = {"rv": rv, "value": value}
        else:
            new[key] = old
    return new, refill


def after_write(
    basis: dict[str, dict[str, Any]], key: str, old_rv: str, new_rv: str, value: Any
) -> dict[str, dict[str, Any]]:
    """The versions after this page's own write of ``key`` (from ``old_rv`` to ``new_rv``): the
    other forms on the same version of that object stand on the new one (the write changed only
    ``key``'s field), so the next action does not conflict with the user's own write."""
    new = {k: ({**b, "rv": new_rv} if b["rv"] == old_rv else b) for k, b in basis.items()}
    new[key] = {"rv": new_rv, "value": value}
    return new


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

    def _fetch(self) -> None:
        cluster, namespace, name = self._key()
        try:
            detail = queries.get_pinapp(cluster, namespace, name)
            history = queries.pinapp_history(cluster, namespace, name)
        except DomainError as exc:
            self.error, self.loaded = str(exc), True
            return
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
        self.replicas_chart, self.usage_chart, self.has_metrics_api = _live_charts(history)
        if self.user_name:
            self.can_act = tenancy.can_act(principal_of(self), cluster, namespace)
        self._version = queries.changes_version()
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

    def _version_for(self, key: str) -> str:
        """The resourceVersion an action of ``key`` sends: the version whose value the user saw,
        moved on to the cache's newest only if that still holds the same value (so status
        written by controllers since the last refresh is no conflict)."""
        cluster, namespace, name = self._key()
        with contextlib.suppress(DomainError):
            detail = queries.get_pinapp(cluster, namespace, name)
            values = form_values(detail["pinapp"], detail["scaler"])
            self._basis, _ = follow_versions(self._basis, values, set(values))
        return str((self._basis.get(key) or {}).get("rv") or "")

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
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
        self._fetch()
        return PinAppState.live

    @rx.event(background=True)
    async def live(self):  # type: ignore[no-untyped-def]
        """Charts and status every few seconds while this PinApp's page is open."""
        token = time.monotonic()
        async with self:
            self._live_token = token
            path = self.router.page.raw_path
        while True:
            await asyncio.sleep(LIVE_SECONDS)
            async with self:
                if self._live_token != token or self.router.page.raw_path != path:
                    self.following = False
                    if self.router.page.raw_path != path:
                        self._loaded_path = ""  # left the page: a later visit starts fresh
                    return
                if queries.changes_version() != self._version:
                    self._fetch()

    # ---- actions ----------------------------------------------------------------------------
    def _act(self, key: str, write: Any, value: Any, done: str) -> Any:
        """Run ``write(principal, cluster, namespace, resource_version)`` standing on the
        version form ``key`` was filled from; on success the form shows ``value(result)``."""
        cluster, namespace, _name = self._key()
        self.conflict = False
        rv = self._version_for(key)
        try:
            if not rv:  # never without a version: that would overwrite blindly
                raise Conflict("this page has not loaded the object yet; reload and try again")
            result = write(principal_of(self), cluster, namespace, rv)
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

    @rx.event
    def reload_forms(self):  # type: ignore[no-untyped-def]
        """After a conflict: drop the edits and show the newest version in every form."""
        self._basis = {}
        self.action_error = self.scaler_error = ""
        self.conflict = False
        self._fetch()

    @rx.event
    def set_replicas_input(self, value: str):  # type: ignore[no-untyped-def]
        self.replicas_input = value

    @rx.event
    def scale(self):  # type: ignore[no-untyped-def]
        try:
            replicas = int(self.replicas_input)
        except ValueError:
            self.action_error = "Replicas must be a whole number."
            return None
        name = self._key()[2]
        return self._act(
            "replicas",
            lambda p, c, n, rv: actions.scale_pinapp(p, c, n, name, replicas, resource_version=rv),
            lambda _result: str(replicas),
            f"Scaled to {replicas}",
        )

    @rx.event
    def restart(self):  # type: ignore[no-untyped-def]
        name = self._key()[2]
        return self._act(
            "restarted",
            lambda p, c, n, rv: actions.restart_pinapp(p, c, n, name, resource_version=rv),
            lambda result: form_values(result, None)["restarted"][1],
            "Restart started",
        )

    @rx.event
    def toggle_pause(self):  # type: ignore[no-untyped-def]
        # What the button showed decides, not what the cluster holds now (a Conflict if those
        # differ): the "paused" basis is the version the button was drawn from.
        pause = not self._basis.get("paused", {}).get("value", self.app.get("paused") == "True")
        name = self._key()[2]
        return self._act(
            "paused",
            lambda p, c, n, rv: actions.set_paused(p, c, n, name, pause, resource_version=rv),
            lambda _result: pause,
            "Paused" if pause else "Resumed",
        )

    @rx.event
    def set_scaler_min(self, value: str):  # type: ignore[no-untyped-def]
        self.scaler_min = value

    @rx.event
    def set_scaler_max(self, value: str):  # type: ignore[no-untyped-def]
        self.scaler_max = value

    @rx.event
    def set_schedules_text(self, value: str):  # type: ignore[no-untyped-def]
        self.schedules_text = value

    @rx.event
    def save_scaler(self):  # type: ignore[no-untyped-def]
        if not self.scaler:
            return None
        scaler = self.scaler["name"]
        low, high = self.scaler_min, self.scaler_max

        def write(p: Any, c: str, n: str, rv: str) -> dict[str, Any]:
            return actions.scale_pinscaler(
                p, c, n, scaler, int(low), int(high), resource_version=rv
            )

        return self._act(
            "limits",
            write,
            lambda result: form_values({}, result)["limits"][1],
            "PinScaler updated",
        )

    @rx.event
    def save_schedules(self):  # type: ignore[no-untyped-def]
        if not self.scaler:
            return None
        scaler = self.scaler["name"]
        text = self.schedules_text

        def write(p: Any, c: str, n: str, rv: str) -> dict[str, Any]:
            schedules = yaml.safe_load(text) or []
            if not isinstance(schedules, list):
                raise ValueError("schedules must be a YAML list")
            return actions.set_schedules(p, c, n, scaler, schedules, resource_version=rv)

        return self._act(
            "schedules",
            write,
            lambda result: form_values({}, result)["schedules"][1],
            "Schedules saved",
        )

    # ---- logs -------------------------------------------------------------------------------
    @rx.event
    def open_logs(self, pod: str):  # type: ignore[no-untyped-def]
        cluster, namespace, _name = self._key()
        self.following = False
        self.log_pod = pod
        try:
            self.log_containers = logs.containers_of(cluster, namespace, pod)
        except DomainError as exc:
            self.log_error = str(exc)
            return
        self.log_container = self.log_containers[0] if self.log_containers else ""
        self._read_logs()

    def _read_logs(self) -> None:
        cluster, namespace, _name = self._key()
        try:
            tail = max(1, min(logs.MAX_LINES, int(self.log_tail or 200)))
            self.log_lines = logs.pod_logs(
                cluster,
                namespace,
                self.log_pod,
                self.log_container or None,
                tail,
                self.log_search or None,
            )
            self.log_error = ""
        except (DomainError, ValueError) as exc:
            self.log_error = str(exc)

    @rx.event
    def set_log_container(self, value: str):  # type: ignore[no-untyped-def]
        self.log_container = value
        self._read_logs()

    @rx.event
    def set_log_tail(self, value: str):  # type: ignore[no-untyped-def]
        self.log_tail = value
        self._read_logs()

    @rx.event
    def set_log_search(self, value: str):  # type: ignore[no-untyped-def]
        self.log_search = value
        self._read_logs()

    @rx.event
    def close_logs(self):  # type: ignore[no-untyped-def]
        self.log_pod, self.log_lines, self.following = "", [], False

    @rx.event
    def toggle_follow(self):  # type: ignore[no-untyped-def]
        self.following = not self.following
        if self.following:
            return PinAppState.follow
        return None

    @rx.event(background=True)
    async def follow(self):  # type: ignore[no-untyped-def]
        """Stream new lines in a worker thread; stop on toggle, pod change or leaving the page.

        Lines are sent to the browser in batches at most once a second (each change of
        ``log_lines`` is sent whole); stopping closes the stream's socket, freeing the thread.
        """
        token = time.monotonic()
        async with self:
            self._follow_token = token
            cluster, namespace, _name = self._key()
            pod, container, search = self.log_pod, self.log_container, self.log_search
            path = self.router.page.raw_path
        try:
            stream = await asyncio.to_thread(
                logs.follow_pod_logs, cluster, namespace, pod, container or None, 0, search or None
            )
        except DomainError as exc:
            async with self:
                self.log_error, self.following = str(exc), False
            return
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def pump() -> None:
            try:
                for line in stream:
                    loop.call_soon_threadsafe(queue.put_nowait, line)
            except Exception as exc:  # the stream broke or the cluster went away
                loop.call_soon_threadsafe(queue.put_nowait, f"-- log stream ended: {exc}")
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, None)

        worker = asyncio.ensure_future(asyncio.to_thread(pump))
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
                        return
                    if batch:
                        self.log_lines = (self.log_lines + batch)[-logs.MAX_LINES :]
                    if ended:
                        self.following = False
        finally:
            stream.close()  # unblocks the worker thread
            with contextlib.suppress(Exception):
                await asyncio.wait_for(worker, 5)


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

    def _fetch(self) -> None:
        try:
            rows = queries.workloads_for_entity(self._body)
        except DomainError as exc:
            self.error, self.rows = str(exc), []
            return
        self.rows = [_display_row(r) for r in rows]
        self.error = ""
        keys = {f"{r['cluster']}/{r['namespace']}/{r['name']}": r for r in rows}
        if self.chart_app not in keys:
            self.chart_app = next(iter(keys), "")
        if self.chart_app:
            r = keys[self.chart_app]
            try:
                history = queries.pinapp_history(r["cluster"], r["namespace"], r["name"])
            except DomainError as exc:
                self.error = str(exc)
            else:
                self.replicas_chart, self.usage_chart, self.has_metrics_api = _live_charts(history)
        self._version = queries.changes_version()
        self.loaded = True

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        from pinconsole.catalog.query import get_entity, read_scope

        params = self.router.page.params
        try:
            with read_scope() as session:
                detail = get_entity(
                    session,
                    params.get("kind", ""),
                    params.get("namespace", ""),
                    params.get("name", ""),
                )
            self._body = dict(detail.entity.body)
        except (DomainError, AttributeError) as exc:
            self.error, self.rows, self.loaded = str(exc), [], True
            return None
        self.chart_app = ""
        self._fetch()
        return EntityWorkloadsState.live

    @rx.event
    def show_chart(self, key: str):  # type: ignore[no-untyped-def]
        self.chart_app = key
        self._fetch()

    @rx.event(background=True)
    async def live(self):  # type: ignore[no-untyped-def]
        token = time.monotonic()
        async with self:
            self._live_token = token
            path = self.router.page.raw_path
        while True:
            await asyncio.sleep(LIVE_SECONDS)
            async with self:
                if self._live_token != token or self.router.page.raw_path != path:
                    return
                if queries.changes_version() != self._version:
                    self._fetch()
