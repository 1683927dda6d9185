"""A watch-fed, in-memory picture of one cluster's PinApps, PinScalers, pods and events.

Pages never list a cluster on request: they read this cache. Each resource kind has a thread that
lists once, then watches from the list's resourceVersion; a dropped connection reconnects with
exponential backoff (tenacity) from the last resourceVersion, and ``410 Gone`` relists. While a
cluster cannot be reached it is marked stale (since, error) and keeps serving what it last saw.

Pods and events are kept slim (only what the pages show) so 50,000 pods fit in tens of MB; PinApps
and PinScalers are kept whole for the YAML view. A sampler thread reads ``metrics.k8s.io``
PodMetrics every few seconds into a bounded history per PinApp.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from tenacity import RetryCallState, wait_exponential_jitter

from pinconsole.compute.constants import (
    GROUP,
    KUBE_ID_LABEL,
    PINAPP_LABEL,
    PINAPP_PLURAL,
    PINCONSOLE_ID_LABEL,
    PINSCALER_PLURAL,
    VERSION,
)
from pinconsole.compute.kubeclient import list_timeout, request_timeout
from pinconsole.compute.quantities import parse_cpu, parse_memory
from pinconsole.compute.watch import watch_events

log = logging.getLogger(__name__)

KINDS = (PINAPP_PLURAL, PINSCALER_PLURAL, "pods", "events")
HEALTHS = ("healthy", "degraded", "down", "paused")
HISTORY_FIELDS = ("t", "desired", "ready", "restarts", "cpu_millicores", "memory_mib")

Key = tuple[str, str]  # (namespace, name)


def health_of(desired: int, ready: int, paused: bool) -> str:
    """paused wins; no ready pod while some are wanted is down; fewer than wanted is degraded."""
    if paused:
        return "paused"
    if desired > 0 and ready == 0:
        return "down"
    if ready < desired:
        return "degraded"
    return "healthy"


@dataclass(slots=True)
class PodInfo:
    """What the PinApp page shows about a pod."""

    name: str
    namespace: str
    app: str | None
    phase: str
    ready: bool
    restarts: int
    node: str
    created: str
    containers: tuple[str, ...]
    reason: str
    kube_id: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "namespace": self.namespace,
            "phase": self.phase,
            "ready": self.ready,
            "restarts": self.restarts,
            "node": self.node,
            "created": self.created,
            "age": age_of(self.created),
            "containers": list(self.containers),
            "reason": self.reason,
        }


@dataclass(slots=True)
class EventInfo:
    name: str
    namespace: str
    kind: str
    object_name: str
    type: str
    reason: str
    message: str
    count: int
    last: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "reason": self.reason,
            "message": self.message,
            "count": self.count,
            "last": self.last,
            "age": age_of(self.last),
            "object": f"{self.kind}/{self.object_name}",
        }


def age_of(stamp: str | None) -> str:
    """``3d``, ``5h``, ``12m``, ``40s`` like kubectl."""
    if not stamp:
        return ""
    try:
        then = datetime.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return ""
    seconds = max(0, int((datetime.now(UTC) - then).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _pod_info(obj: dict[str, Any]) -> PodInfo:
    meta = obj.get("metadata", {})
    labels = meta.get("labels") or {}
    status = obj.get("status") or {}
    app = labels.get(PINAPP_LABEL)
    if app is None:
        for ref in meta.get("ownerReferences") or []:
            if ref.get("kind") == "PinApp":
                app = ref.get("name")
    statuses = status.get("containerStatuses") or []
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or []
    )
    reason = ""
    for cs in statuses:
        waiting = (cs.get("state") or {}).get("waiting")
        if waiting:
            reason = waiting.get("reason", "")
    return PodInfo(
        name=meta.get("name", ""),
        namespace=meta.get("namespace", ""),
        app=app,
        phase=status.get("phase", "Unknown"),
        ready=ready,
        restarts=sum(int(cs.get("restartCount", 0)) for cs in statuses),
        node=(obj.get("spec") or {}).get("nodeName", ""),
        created=meta.get("creationTimestamp", ""),
        containers=tuple(c.get("name", "") for c in (obj.get("spec") or {}).get("containers", [])),
        reason=reason,
        kube_id=labels.get(KUBE_ID_LABEL) or labels.get(PINCONSOLE_ID_LABEL),
    )


def _event_info(obj: dict[str, Any]) -> EventInfo:
    meta = obj.get("metadata", {})
    involved = obj.get("involvedObject") or {}
    return EventInfo(
        name=meta.get("name", ""),
        namespace=meta.get("namespace", ""),
        kind=involved.get("kind", ""),
        object_name=involved.get("name", ""),
        type=obj.get("type", "Normal"),
        reason=obj.get("reason", ""),
        message=obj.get("message", ""),
        count=int(obj.get("count") or 1),
        last=obj.get("lastTimestamp") or obj.get("eventTime") or meta.get("creationTimestamp", ""),
    )


# Older samples are kept coarser: one per COARSE_EVERY fine samples (a minute at 5 s), for
# COARSE_SIZE of them (six hours), so a 6 h chart costs 8 KB more per PinApp, not 100 KB.
COARSE_EVERY = 12
COARSE_SIZE = 360


def _coarse(rows: list[tuple[float, ...]]) -> tuple[float, ...]:
    """One sample standing for ``rows``: the last time, the most desired, the fewest ready
    (a dip stays visible), the most restarts, the mean CPU and memory of known values."""
    t = rows[-1][0]
    desired = max(r[1] for r in rows)
    ready = min(r[2] for r in rows)
    restarts = max(r[3] for r in rows)
    usage = []
    for i in (4, 5):
        known = [r[i] for r in rows if r[i] >= 0]
        usage.append(sum(known) / len(known) if known else -1.0)
    return (t, desired, ready, restarts, *usage)


class History:
    """A bounded series of samples in float32 arrays: the last ``maxlen`` as sampled, and
    before them ``COARSE_SIZE`` one-per-``COARSE_EVERY`` aggregates (``_coarse``). 5,000
    PinApps x (1 h fine + 6 h coarse) stays under 150 MB."""

    __slots__ = ("_coarse", "_data", "_pending", "maxlen")

    def __init__(self, maxlen: int) -> None:
        self.maxlen = maxlen
        self._data = array("f")
        self._coarse = array("f")
        self._pending: list[tuple[float, ...]] = []

    def append(self, sample: tuple[float, ...]) -> None:
        self._data.extend(sample)
        width = len(HISTORY_FIELDS)
        if len(self._data) > 2 * self.maxlen * width:  # trim in batches, amortised O(1)
            del self._data[: len(self._data) - self.maxlen * width]
        self._pending.append(tuple(float(v) for v in sample))
        if len(self._pending) == COARSE_EVERY:
            self._coarse.extend(_coarse(self._pending))
            self._pending = []
            if len(self._coarse) > 2 * COARSE_SIZE * width:
                del self._coarse[: len(self._coarse) - COARSE_SIZE * width]

    def samples(self, epoch: float, window: float | None = None) -> list[dict[str, float | None]]:
        """The samples of the last ``window`` seconds (None: the fine ones, the last
        ``maxlen``), oldest first: coarse ones where the fine ones do not reach back."""
        width = len(HISTORY_FIELDS)
        fine = self._rows(self._data[-self.maxlen * width :], epoch)
        if not fine:
            return fine
        if window is None:
            return fine
        since = fine[-1]["t"] - window  # type: ignore[operator]
        if fine[0]["t"] <= since:  # type: ignore[operator]
            return [r for r in fine if r["t"] >= since]  # type: ignore[operator]
        older = self._rows(self._coarse[-COARSE_SIZE * width :], epoch)
        first = fine[0]["t"]
        return [r for r in older if since <= r["t"] < first] + fine  # type: ignore[operator]

    @staticmethod
    def _rows(data: array[float], epoch: float) -> list[dict[str, float | None]]:
        width = len(HISTORY_FIELDS)
        out = []
        for i in range(0, len(data), width):
            row: dict[str, float | None] = dict(
                zip(HISTORY_FIELDS, data[i : i + width], strict=True)
            )
            row["t"] = epoch + float(row["t"] or 0)
            for k in ("cpu_millicores", "memory_mib"):
                if row[k] is not None and row[k] < 0:  # -1 marks "unknown"
                    row[k] = None
            out.append(row)
        return out


@dataclass
class ResourceState:
    """Sync state of one resource kind's list/watch loop."""

    resource_version: str | None = None
    listed_at: float | None = None
    lists: int = 0
    watch_events: int = 0
    failures: int = 0
    error: str | None = None
    failing_since: float | None = None


@dataclass
class ClusterCache:
    """The cache of one cluster. ``api_factory`` returns a fresh ``kubernetes.client.ApiClient``."""

    name: str
    api_factory: Callable[[], client.ApiClient]
    watch_timeout: int = 240
    metrics_interval: float = 5.0
    history_size: int = 720  # one hour at 5 s
    max_backoff: float = 30.0
    heartbeat_timeout: float = 5.0
    on_change: Callable[[str], None] | None = None

    pinapps: dict[Key, dict[str, Any]] = field(default_factory=dict)
    pinscalers: dict[Key, dict[str, Any]] = field(default_factory=dict)
    pods: dict[Key, PodInfo] = field(default_factory=dict)
    events: dict[Key, EventInfo] = field(default_factory=dict)
    rows: dict[Key, dict[str, Any]] = field(default_factory=dict)
    history: dict[Key, History] = field(default_factory=dict)
    has_metrics_api: bool | None = None
    version: int = 0
    epoch: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        # "heartbeat": the sampler's probe, which notices a cluster that stopped answering
        # while the watches still sit on open (half-dead) connections.
        self.state = {kind: ResourceState() for kind in (*KINDS, "heartbeat")}
        self.synced = {kind: threading.Event() for kind in KINDS}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._responses: dict[str, Any] = {}
        self._pods_by_app: dict[Key, set[str]] = {}
        self._events_by_object: dict[tuple[str, str, str], set[str]] = {}
        self._scaler_by_target: dict[Key, str] = {}
        self._by_kube_id: dict[str, set[Key]] = {}
        self._order: list[Key] | None = None
        self._api: client.ApiClient | None = None
        self.last_change_at: float | None = None

    # ---- lifecycle --------------------------------------------------------------------------
    def start(self, *, sampler: bool = True) -> ClusterCache:
        self._stop.clear()
        for kind in KINDS:
            t = threading.Thread(target=self._run, args=(kind,), name=f"k8s-{self.name}-{kind}")
            t.daemon = True
            t.start()
            self._threads.append(t)
        if sampler:
            t = threading.Thread(target=self._sample_loop, name=f"k8s-{self.name}-metrics")
            t.daemon = True
            t.start()
            self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()
        for resp in list(self._responses.values()):
            try:
                resp.shutdown()
                resp.close()
            except Exception:  # closing a half-dead socket may fail; we are leaving anyway
                pass
        for t in self._threads:
            t.join(timeout=5)
        self._threads.clear()

    def wait_synced(self, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        return all(ev.wait(max(0.0, deadline - time.monotonic())) for ev in self.synced.values())

    @property
    def stale(self) -> bool:
        return any(s.error is not None for s in self.state.values())

    def status(self) -> dict[str, Any]:
        # The heartbeat's error first: it says why, where dropped watches only say they broke.
        ordered = [self.state["heartbeat"], *(self.state[k] for k in KINDS)]
        failing = [s for s in ordered if s.error is not None]
        since = min((s.failing_since or 0) for s in failing) if failing else None
        return {
            "name": self.name,
            "stale": bool(failing),
            "stale_since": datetime.fromtimestamp(since, UTC).isoformat() if since else None,
            "error": failing[0].error if failing else None,
            "synced": all(ev.is_set() for ev in self.synced.values()),
            "pinapps": len(self.pinapps),
            "pods": len(self.pods),
            "has_metrics_api": self.has_metrics_api,
            "version": self.version,
        }

    # ---- API access -------------------------------------------------------------------------
    def api(self) -> client.ApiClient:
        if self._api is None:
            self._api = self.api_factory()
        return self._api

    def _reconnect(self) -> None:
        """Build the next client afresh from the cluster's settings: a kubeconfig rewritten
        while the cluster was unreachable (another server, a rotated token) takes effect."""
        self._api = None

    def _call(self, kind: str, **kwargs: Any) -> Any:
        """Start a list or watch request for ``kind`` and return the raw urllib3 response."""
        api = self.api()
        kwargs["_preload_content"] = False
        if kind in (PINAPP_PLURAL, PINSCALER_PLURAL):
            return client.CustomObjectsApi(api).list_cluster_custom_object(
                GROUP, VERSION, kind, **kwargs
            )
        core = client.CoreV1Api(api)
        if kind == "pods":
            return core.list_pod_for_all_namespaces(**kwargs)
        return core.list_event_for_all_namespaces(**kwargs)

    # ---- list and watch ---------------------------------------------------------------------
    def _run(self, kind: str) -> None:
        state = self.state[kind]
        wait = wait_exponential_jitter(multiplier=0.2, max=self.max_backoff, jitter=0.2)
        while not self._stop.is_set():
            try:
                if state.resource_version is None:
                    self._list(kind)
                self._watch(kind)
            except ApiException as exc:
                if exc.status == 410:
                    log.info("%s/%s: resourceVersion expired, relisting", self.name, kind)
                    state.resource_version = None
                    continue
                self._failed(kind, f"{exc.status} {exc.reason}", wait)
            except Exception as exc:  # network errors: mark stale, back off, try again
                if self._stop.is_set():
                    return
                self._failed(kind, f"{type(exc).__name__}: {exc}"[:300], wait)

    def _failed(self, kind: str, error: str, wait: Any) -> None:
        state = self.state[kind]
        state.failures += 1
        if state.error is None:
            state.failing_since = time.time()
            log.warning("cluster %s %s unreachable: %s", self.name, kind, error)
        state.error = error
        self._changed()
        self._reconnect()
        retry_state = RetryCallState(None, None, (), {})
        retry_state.attempt_number = state.failures
        self._stop.wait(wait(retry_state))

    def _recovered(self, kind: str) -> None:
        state = self.state[kind]
        if state.error is not None:
            log.info("cluster %s %s reachable again", self.name, kind)
            state.error = None
            state.failing_since = None
            self._changed()
        state.failures = 0

    def _list(self, kind: str) -> None:
        resp = self._call(kind, _request_timeout=list_timeout())
        try:
            data = json.loads(resp.data)
        finally:
            resp.release_conn()
        items = data.get("items") or []
        with self.lock:
            self._replace_all(kind, items)
        state = self.state[kind]
        state.resource_version = data.get("metadata", {}).get("resourceVersion")
        state.listed_at = time.time()
        state.lists += 1
        self._recovered(kind)
        self.synced[kind].set()
        self._changed()

    def _watch(self, kind: str) -> None:
        state = self.state[kind]
        resp = self._call(
            kind,
            watch=True,
            resource_version=state.resource_version,
            timeout_seconds=self.watch_timeout,
            allow_watch_bookmarks=True,
            _request_timeout=request_timeout(self.watch_timeout + 30),
        )
        self._responses[kind] = resp
        self._recovered(kind)
        try:
            for etype, obj in watch_events(resp, self._stop.is_set):
                rv = (obj.get("metadata") or {}).get("resourceVersion")
                if etype != "BOOKMARK":
                    with self.lock:
                        self._apply(kind, etype, obj)
                    state.watch_events += 1
                    self._changed()
                if rv:
                    state.resource_version = rv
        finally:
            self._responses.pop(kind, None)
            resp.release_conn()

    def _changed(self) -> None:
        self.version += 1
        self.last_change_at = time.time()
        if self.on_change is not None:
            self.on_change(self.name)

    # ---- store and indexes (called with the lock held) --------------------------------------
    def _replace_all(self, kind: str, items: list[dict[str, Any]]) -> None:
        if kind == PINAPP_PLURAL:
            self.pinapps.clear()
            self.rows.clear()
            self._by_kube_id.clear()
            self._order = None
        elif kind == PINSCALER_PLURAL:
            self.pinscalers.clear()
            self._scaler_by_target.clear()
        elif kind == "pods":
            self.pods.clear()
            self._pods_by_app.clear()
        else:
            self.events.clear()
            self._events_by_object.clear()
        for obj in items:
            self._apply(kind, "ADDED", obj, refresh=False)
        for key in list(self.pinapps):
            self._refresh_row(key)

    def _apply(self, kind: str, etype: str, obj: dict[str, Any], refresh: bool = True) -> None:
        meta = obj.get("metadata") or {}
        key = (meta.get("namespace") or "", meta.get("name") or "")
        deleted = etype == "DELETED"
        if kind == PINAPP_PLURAL:
            old = self.pinapps.get(key)
            if old is not None:
                self._index_kube_id(key, old, remove=True)
            if deleted:
                self.pinapps.pop(key, None)
                self.rows.pop(key, None)
                self._order = None
                return
            if old is None:
                self._order = None
            self.pinapps[key] = obj
            self._index_kube_id(key, obj)
            if refresh:
                self._refresh_row(key)
        elif kind == PINSCALER_PLURAL:
            old = self.pinscalers.get(key)
            if old is not None:
                target = ((old.get("spec") or {}).get("targetRef") or {}).get("name")
                self._scaler_by_target.pop((key[0], target or ""), None)
            if deleted:
                self.pinscalers.pop(key, None)
                return
            self.pinscalers[key] = obj
            target = ((obj.get("spec") or {}).get("targetRef") or {}).get("name")
            if target:
                self._scaler_by_target[(key[0], target)] = key[1]
        elif kind == "pods":
            old_pod = self.pods.pop(key, None)
            if old_pod is not None and old_pod.app:
                self._pods_by_app.get((key[0], old_pod.app), set()).discard(key[1])
            if not deleted:
                pod = _pod_info(obj)
                self.pods[key] = pod
                if pod.app:
                    self._pods_by_app.setdefault((key[0], pod.app), set()).add(key[1])
            app = (old_pod.app if old_pod else None) or (None if deleted else self.pods[key].app)
            if refresh and app and (key[0], app) in self.pinapps:
                self._refresh_row((key[0], app))
        else:
            old_ev = self.events.pop(key, None)
            if old_ev is not None:
                okey = (old_ev.namespace, old_ev.kind, old_ev.object_name)
                self._events_by_object.get(okey, set()).discard(key[1])
            if not deleted:
                ev = _event_info(obj)
                self.events[key] = ev
                okey = (ev.namespace, ev.kind, ev.object_name)
                self._events_by_object.setdefault(okey, set()).add(key[1])

    def _index_kube_id(self, key: Key, obj: dict[str, Any], remove: bool = False) -> None:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        for value in {labels.get(KUBE_ID_LABEL), labels.get(PINCONSOLE_ID_LABEL), key[1]}:
            if not value:
                continue
            if remove:
                self._by_kube_id.get(value, set()).discard(key)
            else:
                self._by_kube_id.setdefault(value, set()).add(key)

    def _refresh_row(self, key: Key) -> None:
        obj = self.pinapps[key]
        spec = obj.get("spec") or {}
        status = obj.get("status") or {}
        labels = (obj.get("metadata") or {}).get("labels") or {}
        pods = [
            self.pods[(key[0], n)]
            for n in self._pods_by_app.get(key, ())
            if (key[0], n) in self.pods
        ]
        desired = int(spec.get("replicas") or 0)
        ready = int(status.get("readyReplicas") or 0)
        paused = bool(spec.get("paused"))
        name = key[1]
        kube_id = labels.get(PINCONSOLE_ID_LABEL) or labels.get(KUBE_ID_LABEL) or name
        service = spec.get("service") or ""
        self.rows[key] = {
            "cluster": self.name,
            "namespace": key[0],
            "name": name,
            "kubernetes_id": kube_id,
            "service": service,
            "tier": spec.get("tier") or "",
            "image": spec.get("image") or "",
            "desired": desired,
            "ready": ready,
            "updated": int(status.get("updatedReplicas") or 0),
            "pods": len(pods),
            "restarts": sum(p.restarts for p in pods),
            "paused": paused,
            "health": health_of(desired, ready, paused),
            "created": (obj.get("metadata") or {}).get("creationTimestamp", ""),
            "resource_version": (obj.get("metadata") or {}).get("resourceVersion", ""),
            "_search": f"{name} {key[0]} {service} {kube_id} {spec.get('image') or ''}".lower(),
        }

    # ---- reads ------------------------------------------------------------------------------
    def ordered_rows(self) -> list[dict[str, Any]]:
        """Rows sorted by namespace and name; the order is rebuilt only when PinApps come or go."""
        with self.lock:
            if self._order is None:
                self._order = sorted(self.rows)
            rows = self.rows
            return [rows[k] for k in self._order if k in rows]

    def keys_for_kube_id(self, kube_id: str) -> set[Key]:
        with self.lock:
            return set(self._by_kube_id.get(kube_id, set()))

    def pods_of(self, key: Key) -> list[PodInfo]:
        with self.lock:
            names = sorted(self._pods_by_app.get(key, set()))
            return [self.pods[(key[0], n)] for n in names if (key[0], n) in self.pods]

    def events_of(self, key: Key, pod_names: list[str], limit: int = 50) -> list[EventInfo]:
        with self.lock:
            names: list[tuple[str, str, str]] = [(key[0], "PinApp", key[1])]
            names += [(key[0], "Pod", n) for n in pod_names]
            # The PinScaler's own (the HPA it made, a schedule raising the minimum, a missing
            # target) belong on the page of the PinApp it scales.
            scaler = self._scaler_by_target.get(key)
            if scaler:
                names.append((key[0], "PinScaler", scaler))
            found = [
                self.events[(key[0], ev)]
                for okey in names
                for ev in self._events_by_object.get(okey, set())
                if (key[0], ev) in self.events
            ]
        found.sort(key=lambda e: e.last, reverse=True)
        return found[:limit]

    def scaler_of(self, key: Key) -> dict[str, Any] | None:
        with self.lock:
            name = self._scaler_by_target.get(key)
            return self.pinscalers.get((key[0], name)) if name else None

    # ---- metrics sampling -------------------------------------------------------------------
    def _sample_loop(self) -> None:
        while not self._stop.wait(self.metrics_interval):
            if not self.heartbeat():
                continue
            # Until pods are listed too, every PinApp would sample as "no pods, no usage".
            if not all(ev.is_set() for ev in self.synced.values()):
                continue
            try:
                self.sample_metrics()
            except Exception:
                log.debug("metrics sample of %s failed", self.name, exc_info=True)

    def heartbeat(self) -> bool:
        """Probe ``/version`` with a short timeout; on failure mark the cluster stale and drop
        the open watches (they may hang on a dead connection until their read timeout), so the
        watch loops back off and reconnect. Any HTTP answer counts as reachable."""
        try:
            client.VersionApi(self.api()).get_code(
                _request_timeout=(self.heartbeat_timeout, self.heartbeat_timeout)
            )
        except ApiException:
            pass
        except Exception as exc:
            if self._stop.is_set():
                return False
            state = self.state["heartbeat"]
            state.failures += 1
            if state.error is None:
                state.failing_since = time.time()
                log.warning("cluster %s does not answer: %s", self.name, exc)
                state.error = f"no answer: {type(exc).__name__}: {exc}"[:300]
                self._changed()
                self._drop_watches()
            self._reconnect()
            return False
        self._recovered("heartbeat")
        return True

    def _drop_watches(self) -> None:
        for resp in list(self._responses.values()):
            with contextlib.suppress(Exception):  # already closed
                resp.shutdown()

    def _fetch_pod_metrics(self) -> dict[Key, tuple[float, float]] | None:
        """Usage per pod from metrics.k8s.io, or None when the cluster has no metrics API."""
        try:
            resp = client.CustomObjectsApi(self.api()).list_cluster_custom_object(
                "metrics.k8s.io",
                "v1beta1",
                "pods",
                _preload_content=False,
                _request_timeout=request_timeout(),
            )
        except ApiException as exc:
            if exc.status in (404, 503):
                return None
            raise
        try:
            data = json.loads(resp.data)
        finally:
            resp.release_conn()
        usage: dict[Key, tuple[float, float]] = {}
        for item in data.get("items") or []:
            meta = item.get("metadata") or {}
            cpu = mem = 0.0
            for c in item.get("containers") or []:
                cpu += parse_cpu((c.get("usage") or {}).get("cpu"))
                mem += parse_memory((c.get("usage") or {}).get("memory"))
            usage[(meta.get("namespace") or "", meta.get("name") or "")] = (cpu, mem)
        return usage

    def sample_metrics(self) -> None:
        """Append one sample (desired, ready, restarts, CPU, memory) to every PinApp's history."""
        usage = self._fetch_pod_metrics()
        self.has_metrics_api = usage is not None
        t = time.time() - self.epoch
        with self.lock:
            for key, row in self.rows.items():
                cpu = mem = -1.0  # -1: unknown (no metrics API, or no pod reported yet)
                if usage is not None:
                    pod_names = self._pods_by_app.get(key, ())
                    reported = [u for n in pod_names if (u := usage.get((key[0], n)))]
                    if reported or not pod_names:  # no pods at all really is zero usage
                        cpu = sum(u[0] for u in reported)
                        mem = sum(u[1] for u in reported) / 2**20
                hist = self.history.get(key)
                if hist is None:
                    hist = self.history[key] = History(self.history_size)
                hist.append((t, row["desired"], row["ready"], row["restarts"], cpu, mem))
            for key in [k for k in self.history if k not in self.rows]:
                del self.history[key]
        self._changed()

    def history_of(self, key: Key, window: float | None = None) -> list[dict[str, float | None]]:
        with self.lock:
            hist = self.history.get(key)
            return hist.samples(self.epoch, window) if hist else []


def iter_rows(caches: list[ClusterCache]) -> Iterator[dict[str, Any]]:
    for cache in caches:
        yield from cache.ordered_rows()
