"""The PinApp page's state: the PinApp's detail from the cluster cache, live charts and the
actions (scale, restart, pause, the PinScaler's limits and schedules), each standing on the
version its form was filled from (``compute/versions.py``). Scale, restart and pause ask for a
confirmation first (``state/confirm.py``, ``compute/guardrails.py``), and what they wrote shows
at once and stays while the cache lags behind (``compute/own_writes.py``). Thin: reads and
writes run in the UI's thread pool through ``_run``; the pod logs are ``state/pod_logs.py``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import reflex as rx
import yaml

from pinconsole.access.principal import Principal
from pinconsole.components.charts import Figure, time_chart
from pinconsole.compute import actions, queries, tenancy
from pinconsole.compute.catalog_link import entity_of_pinapp
from pinconsole.compute.display import (
    app_header,
    as_strings,
    conditions_rows,
    scaler_summary,
    spec_rows,
    stale_notes,
)
from pinconsole.compute.guardrails import Preview, ScalerRange, preview, scaler_range
from pinconsole.compute.own_writes import (
    as_written,
    follow_writes,
    remember_write,
    rv_of,
    written_view,
)
from pinconsole.compute.quantities import PodResources, pod_resources
from pinconsole.compute.series import pinapp_charts
from pinconsole.compute.versions import PINAPP_FORMS, after_write, follow_versions, form_values
from pinconsole.errors import Conflict, DomainError, Invalid
from pinconsole.state.base import AppState, principal_of
from pinconsole.state.confirm import ConfirmAction
from pinconsole.state.guard import guarded
from pinconsole.state.live import LiveRefresh, page_path
from pinconsole.state.pinapp_view import PinAppView


def live_charts(
    history: dict[str, Any], resources: PodResources | None = None
) -> tuple[Figure, Figure, bool]:
    """The PinApp's two live chart figures and whether the cluster has a metrics API."""
    replicas, usage, has_metrics_api = pinapp_charts(history, resources)
    return time_chart(replicas), time_chart(usage), has_metrics_api


def _pinapp_view(
    cluster: str, namespace: str, name: str, principal: Principal, window: float = 3600
) -> dict[str, Any]:
    """What the PinApp page shows, as the values of its vars (``shown``), with the PinApp and
    PinScaler the forms stand on; built in the UI's thread pool, so that publishing it on the
    event loop only assigns (the owners are a query, the charts and YAML take a while)."""
    version = queries.changes_version()  # before reading: a change while reading is seen next
    detail = queries.get_pinapp(cluster, namespace, name)
    replicas_chart, usage_chart, has_metrics_api = live_charts(
        queries.pinapp_history(cluster, namespace, name, window=window),
        pod_resources(detail["spec"]),
    )
    row = detail["row"]
    entity = entity_of_pinapp(str(row.get("kubernetes_id") or ""), str(row.get("service") or ""))
    scaler, scaler_schedules = scaler_summary(detail["scaler"])
    shown = {
        "app": app_header(detail["row"]),
        "spec_rows": spec_rows(detail["spec"], detail["status"]),
        "conditions": conditions_rows(detail["conditions"]),
        "pods": as_strings(detail["pods"]),
        "events": as_strings(detail["events"]),
        "scaler": scaler,
        "scaler_schedules": scaler_schedules,
        "scaler_yaml": detail["scaler_yaml"],
        "yaml_text": detail["yaml"],
        "stale": stale_notes([detail["cluster"]]),
        "replicas_chart": replicas_chart,
        "usage_chart": usage_chart,
        "has_metrics_api": has_metrics_api,
        "entity_url": entity["url"] if entity else "",
        "entity_ref": entity["ref"] if entity else "",
        "can_act": tenancy.can_act(principal, cluster, namespace),
        "error": "",
        "loaded": True,
    }
    return {
        "shown": shown,
        "row": detail["row"],
        "status": detail["status"],
        "pinapp": detail["pinapp"],
        "scaler": detail["scaler"],
        "version": version,
    }


class PinAppState(PinAppView, ConfirmAction, LiveRefresh, AppState):
    """The PinApp page: detail from the cache, live charts and the actions (the pod logs are
    ``PodLogsState``)."""

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
    replicas_chart: Figure = {}
    usage_chart: Figure = {}
    entity_url: str = ""  # the catalog entity the PinApp belongs to ("" if none is known)
    entity_ref: str = ""
    replicas_input: str = ""
    scaler_min: str = ""
    scaler_max: str = ""
    action_error: str = ""
    scaler_error: str = ""
    conflict: bool = False  # the last action's error was a Conflict: offer to reload the forms
    restarted_at: str = ""  # the last restart's stamp, as the restart button stands on it
    _loaded_path: str = ""
    _basis: dict[str, dict[str, Any]] = {}
    _pending: dict[str, Any] = {}  # this page's writes the cache has not shown (own_writes)
    _seen_rv: str = ""  # the PinApp's version last shown
    _row: dict[str, Any] = {}  # the cache row the header was drawn from
    _spec: dict[str, Any] = {}  # the PinApp's spec and status the page shows
    _status: dict[str, Any] = {}
    _range: dict[str, Any] = {}  # the replica range its PinScaler owns (a ScalerRange's fields)
    _asked: str = ""  # the replica count the open dialog confirms

    def _key(self) -> tuple[str, str, str]:
        params = self.router.page.params
        return params.get("cluster", ""), params.get("namespace", ""), params.get("name", "")

    async def _fetch(self) -> None:
        cluster, namespace, name = self._key()
        try:
            view = await self._run(
                _pinapp_view, cluster, namespace, name, principal_of(self), self._window()
            )
        except DomainError as exc:
            self._show(exc)
            return
        self._show(view)

    def _show(self, view: dict[str, Any] | DomainError) -> None:
        """Publish a ``_pinapp_view`` (or the error reading it raised); while the cache still
        serves a version older than this page's own write, with what the page wrote."""
        if isinstance(view, DomainError):
            self.error, self.loaded = str(view), True
            return
        pinapp, self._pending = follow_writes(self._pending, view["pinapp"])
        self._seen_rv = rv_of(view["pinapp"])
        self._row, self._spec, self._status = view["row"], pinapp["spec"], view["status"]
        self._range = dict(vars(r)) if (r := scaler_range(view["scaler"])) else {}
        written = self._pending and written_view(self._row, pinapp, self._status)
        self._publish({**view["shown"], **(written or {})})
        self._follow(pinapp, view["scaler"])
        self._version = view["version"]

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
            elif key == "restarted":
                self.restarted_at = value

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
            pinapp, self._pending = follow_writes(self._pending, detail["pinapp"])
            values = form_values(pinapp, detail["scaler"])
            self._basis, _ = follow_versions(self._basis, values, set(values))
        return str((self._basis.get(key) or {}).get("rv") or "")

    @guarded
    async def load(self):  # type: ignore[no-untyped-def]
        # A websocket reconnect runs on_load again: keep inputs and the open log of this page
        # (for the same user: signing in as someone else in this tab starts fresh).
        path = f"{self.user_name}@{page_path(self)}"  # the tab and range are no other page
        if path != self._loaded_path:
            self._loaded_path = path
            self.loaded = False
            self.replicas_input = self.scaler_min = self.scaler_max = self.schedules_text = ""
            self._basis, self._pending = {}, {}
            self.action_error = self.scaler_error = ""
            self.conflict = False
            self.confirming = ""
        self._open_view()
        await self._fetch()
        return PinAppState.live

    # the live loop's hooks (LiveRefresh)
    def _live_query(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return _pinapp_view, (*self._key(), principal_of(self), self._window())

    def _live_left(self) -> None:
        self._loaded_path = ""  # left the page: a later visit starts fresh (the log's follow
        # loop ends by itself when the path changes)

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
        new_rv = rv_of(result)
        self._basis = after_write(self._basis, key, rv, new_rv, value(result))
        self._refill({key})
        self.action_error = self.scaler_error = ""
        if key in PINAPP_FORMS:  # shown at once, and kept until the cache has caught up
            self._pending = remember_write(
                self._pending, self._seen_rv, rv, new_rv, key, value(result)
            )
            written = as_written({"spec": self._spec}, self._pending)
            self._publish(written_view(self._row, written, self._status))
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

    # the confirmation's hooks (ConfirmAction): what the buttons' dialogs show and run
    async def _preview(self, action: str) -> Preview:
        self.action_error, self.conflict = "", False
        self._asked = self.replicas_input  # what Confirm scales to, whatever refills the form
        _cluster, namespace, name = self._key()
        return preview(
            action,
            namespace,
            name,
            replicas=self.replicas_input,
            current=str(self._basis.get("replicas", {}).get("value", "")),
            pods=len(self.pods),
            # what the button was drawn from decides, not what the cluster holds now (a
            # Conflict if those differ)
            paused=bool(self._basis.get("paused", {}).get("value")),
            restarted=self.restarted_at,
            scaler=ScalerRange(**self._range) if self._range else None,
        )

    def _refuse(self, error: Invalid) -> None:
        self.action_error = error.message

    async def _confirmed(self, action: str) -> Any:
        name = self._key()[2]
        if action == "restart":
            return await self._act(
                "restarted",
                lambda p, c, n, rv: actions.restart_pinapp(p, c, n, name, resource_version=rv),
                lambda result: form_values(result, None)["restarted"][1],
                "Restart started",
            )
        if action in ("pause", "resume"):
            pause = action == "pause"
            return await self._act(
                "paused",
                lambda p, c, n, rv: actions.set_paused(p, c, n, name, pause, resource_version=rv),
                lambda _result: pause,
                "Paused" if pause else "Resumed",
            )
        return await self._scale(self._asked)

    @guarded
    async def scale(self):  # type: ignore[no-untyped-def]
        """The scale itself: the page's button asks first (``confirm``); scripted clients of
        the page's events send this."""
        return await self._scale(self.replicas_input)

    async def _scale(self, typed: str) -> Any:
        try:
            replicas = int(typed)
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
