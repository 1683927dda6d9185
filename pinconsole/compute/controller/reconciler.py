"""The reconciler of one cluster: PinApps into Deployments and Services, PinScalers into HPAs.

Level-based: a reconcile reads the informers' copies, computes what should exist
(``desired``), writes only what differs and the status, and is safe to repeat any number of
times. Anything that changes (a PinApp, a PinScaler, or the Deployment, Service or HPA one owns)
queues the owner's key; every ``resync`` seconds every key is queued again; a PinScaler is also
queued at its schedules' next boundary (a wake-up only: the window is derived from the clock at
each reconcile). A failed reconcile (a 409, a 422, the cluster unreachable) is retried with a
per-key exponential backoff and reported in the owner's ``Reconciled`` condition; it never
stops the others. Writes go through ``KubeClient`` (timeouts, sent once): a write whose outcome
is unknown is simply retried by the next reconcile, which reads what the cluster holds first.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from pinconsole.compute.constants import GROUP, PINAPP_PLURAL, PINSCALER_PLURAL, VERSION
from pinconsole.compute.controller import desired
from pinconsole.compute.controller.events import EventRecorder
from pinconsole.compute.controller.informer import Informer
from pinconsole.compute.controller.workqueue import WorkQueue
from pinconsole.compute.schedules import evaluate
from pinconsole.settings import TierSettings

log = logging.getLogger(__name__)

PINAPP, PINSCALER = "PinApp", "PinScaler"
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Reconciler:
    """Informers, a work queue and workers for one cluster, while this instance leads it."""

    def __init__(
        self,
        cluster: str,
        api_factory: Callable[[], client.ApiClient],
        *,
        tiers: dict[str, TierSettings] | None = None,
        workers: int = 4,
        resync: float = 300.0,
        clock: Clock = utc_now,
        watch_timeout: int = 240,
    ) -> None:
        self.cluster = cluster
        self.api_factory = api_factory
        self.tiers = tiers or {}
        self.workers = workers
        self.resync = resync
        self.clock = clock
        self.queue = WorkQueue()
        self.api = api_factory()
        self.events = EventRecorder(self.api)
        self.reconciles = 0
        self.failures = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._scalers_of: dict[tuple[str, str], set[str]] = {}  # (ns, PinApp) -> PinScalers
        self._index_lock = threading.Lock()
        kinds: list[tuple[str, Callable[[], Callable[..., Any]]]] = [
            (PINAPP_PLURAL, lambda: self._custom(PINAPP_PLURAL)),
            (PINSCALER_PLURAL, lambda: self._custom(PINSCALER_PLURAL)),
            (
                "deployments",
                lambda: client.AppsV1Api(api_factory()).list_deployment_for_all_namespaces,
            ),
            ("services", lambda: client.CoreV1Api(api_factory()).list_service_for_all_namespaces),
            (
                "hpas",
                lambda: (
                    client.AutoscalingV2Api(
                        api_factory()
                    ).list_horizontal_pod_autoscaler_for_all_namespaces
                ),
            ),
        ]
        self.informers = {
            name: Informer(
                f"{cluster}/{name}",
                make(),
                self._handler(name),
                watch_timeout=watch_timeout,
            )
            for name, make in kinds
        }

    def _custom(self, plural: str) -> Callable[..., Any]:
        api = client.CustomObjectsApi(self.api_factory())

        def call(**kwargs: Any) -> Any:
            return api.list_cluster_custom_object(GROUP, VERSION, plural, **kwargs)

        return call

    # ---- lifecycle --------------------------------------------------------------------------
    def start(self) -> Reconciler:
        for informer in self.informers.values():
            informer.start()
        for i in range(self.workers):
            self._spawn(self._work, f"reconcile-{self.cluster}-{i}")
        self._spawn(self._resync_loop, f"resync-{self.cluster}")
        return self

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self.queue.close()
        for informer in self.informers.values():
            informer.stop()
        for thread in self._threads:
            thread.join(timeout=10)

    def synced(self) -> bool:
        return all(i.synced.is_set() for i in self.informers.values())

    def resync_all(self) -> None:
        """Queue every PinApp and PinScaler (also what a test does after moving its clock)."""
        for obj in self.informers[PINAPP_PLURAL].items():
            self.queue.add((PINAPP, *_key(obj)))
        for obj in self.informers[PINSCALER_PLURAL].items():
            self.queue.add((PINSCALER, *_key(obj)))

    def _resync_loop(self) -> None:
        while not self._stop.wait(self.resync):
            self.resync_all()

    # ---- events from the informers -----------------------------------------------------------
    def _handler(self, kind: str) -> Callable[[str, dict[str, Any]], None]:
        def handle(etype: str, obj: dict[str, Any]) -> None:
            ns, name = _key(obj)
            if kind == PINAPP_PLURAL:
                self.queue.add((PINAPP, ns, name))
                with self._index_lock:
                    scalers = set(self._scalers_of.get((ns, name), ()))
                for scaler in scalers:
                    self.queue.add((PINSCALER, ns, scaler))
            elif kind == PINSCALER_PLURAL:
                self._index_scaler(etype, obj)
                self.queue.add((PINSCALER, ns, name))
            else:
                owner = next(
                    (
                        ref
                        for ref in obj["metadata"].get("ownerReferences") or []
                        if ref.get("controller") and ref.get("kind") in (PINAPP, PINSCALER)
                    ),
                    None,
                )
                if owner is not None:
                    self.queue.add((owner["kind"], ns, owner["name"]))

        return handle

    def _index_scaler(self, etype: str, obj: dict[str, Any]) -> None:
        ns, name = _key(obj)
        with self._index_lock:
            for (tns, _t), names in list(self._scalers_of.items()):
                if tns == ns:
                    names.discard(name)
            if etype != "DELETED":
                target = ((obj.get("spec") or {}).get("targetRef") or {}).get("name")
                if target:
                    self._scalers_of.setdefault((ns, target), set()).add(name)

    # ---- workers -----------------------------------------------------------------------------
    def _work(self) -> None:
        while not self._stop.is_set():
            key = self.queue.get(timeout=1.0)
            if key is None:
                continue
            kind, ns, name = key  # type: ignore[misc]
            try:
                if kind == PINAPP:
                    self.reconcile_pinapp(ns, name)
                else:
                    self.reconcile_pinscaler(ns, name)
                self.queue.forget(key)
            except Exception as exc:
                self.failures += 1
                delay = self.queue.retry(key)
                log.info(
                    "reconcile %s %s/%s on %s failed (%s); again in %.1fs",
                    kind,
                    ns,
                    name,
                    self.cluster,
                    _describe(exc),
                    delay,
                )
            finally:
                self.reconciles += 1
                self.queue.done(key)

    # ---- PinApp ------------------------------------------------------------------------------
    def reconcile_pinapp(self, ns: str, name: str) -> None:
        app = self.informers[PINAPP_PLURAL].get(ns, name)
        if app is None or app["metadata"].get("deletionTimestamp"):
            return  # the garbage collector removes what it owned
        problem: tuple[str, str] | None = None
        applied = False
        deployment = self.informers["deployments"].get(ns, name)
        try:
            wanted = desired.deployment_for(app, self.tiers)
            deployment = self._apply(app, deployment, wanted, _deployments(self.api))
            service = desired.service_for(app)
            current = self.informers["services"].get(ns, name)
            if service is not None:
                self._apply(app, current, service, _services(self.api))
            elif desired.controlled_by(current, app) and current is not None:
                _services(self.api).delete(ns, name, current["metadata"]["uid"])
                self.events.record(
                    app, "Normal", "DeletedService", f"Deleted Service {name}: no ports declared"
                )
            applied = True
        except NotOwned as exc:
            problem = ("NotOwned", str(exc))
        except ApiException as exc:
            problem = ("ApplyFailed", _describe(exc))
            self.events.record(app, "Warning", "ApplyFailed", problem[1])
            self._write_status(app, deployment, applied, problem)
            raise
        self._write_status(app, deployment, applied, problem)

    def _apply(
        self,
        owner: dict[str, Any],
        observed: dict[str, Any] | None,
        wanted: dict[str, Any],
        api: _Writer,
    ) -> dict[str, Any]:
        """Create ``wanted`` or bring ``observed`` to it; the object as it now stands."""
        kind, name = wanted["kind"], wanted["metadata"]["name"]
        ns = wanted["metadata"]["namespace"]
        if observed is None:
            try:
                created = api.create(ns, wanted)
            except ApiException as exc:
                if exc.status != 409:
                    raise
                # It exists, the informer has not seen it yet: the next reconcile decides.
                raise Retry(f"{kind} {ns}/{name} exists but is not watched yet") from exc
            self.events.record(owner, "Normal", f"Created{kind}", f"Created {kind} {name}")
            return created
        if not desired.controlled_by(observed, owner):
            message = f"{kind} {name} exists and is not owned by this {owner['kind']}; left alone"
            self.events.record(owner, "Warning", "NotOwned", message)
            raise NotOwned(message)
        if desired.in_sync(observed, wanted):
            return observed
        updated = api.replace(ns, name, desired.merged(observed, wanted))
        self.events.record(owner, "Normal", f"Updated{kind}", _changes(kind, observed, wanted))
        return updated

    def _write_status(
        self,
        app: dict[str, Any],
        deployment: dict[str, Any] | None,
        applied: bool,
        problem: tuple[str, str] | None,
    ) -> None:
        status = desired.pinapp_status(app, deployment, applied, problem, _stamp(self.clock()))
        if status != app.get("status"):
            _write_custom_status(self.api, PINAPP_PLURAL, app, status)

    # ---- PinScaler ---------------------------------------------------------------------------
    def reconcile_pinscaler(self, ns: str, name: str) -> None:
        scaler = self.informers[PINSCALER_PLURAL].get(ns, name)
        if scaler is None or scaler["metadata"].get("deletionTimestamp"):
            return
        now = self.clock()
        schedules = evaluate(scaler["spec"].get("schedules") or [], now)
        target = self.informers[PINAPP_PLURAL].get(ns, scaler["spec"]["targetRef"]["name"])
        hpa = self.informers["hpas"].get(ns, name)
        problem: tuple[str, str] | None = None
        old_min = (hpa or {}).get("spec", {}).get("minReplicas")
        try:
            wanted = desired.hpa_for(scaler, schedules)
            hpa = self._apply(scaler, hpa, wanted, _hpas(self.api))
            new_min = wanted["spec"]["minReplicas"]
            if old_min is not None and old_min != new_min:
                why = (
                    f"schedule {max(schedules.open, key=lambda w: w.min_replicas).name} is open"
                    if schedules.open
                    else "no schedule window is open"
                )
                self.events.record(
                    scaler, "Normal", "MinReplicas", f"minReplicas {old_min} -> {new_min}: {why}"
                )
        except NotOwned as exc:
            problem = ("NotOwned", str(exc))
        if target is None:
            self.events.record(
                scaler,
                "Warning",
                "TargetNotFound",
                f"PinApp {scaler['spec']['targetRef']['name']} not found in {ns}",
            )
        status = desired.scaler_status(scaler, hpa, target, schedules, problem, now)
        if status != scaler.get("status"):
            _write_custom_status(self.api, PINSCALER_PLURAL, scaler, status)
        if schedules.next_change is not None:
            wait = (schedules.next_change - now).total_seconds()
            self.queue.add_after((PINSCALER, ns, name), min(max(wait, 0.0), self.resync))


class NotOwned(Exception):
    """An object of the owned name exists and belongs to someone else: never touched."""


class Retry(Exception):
    """Nothing is wrong yet; try again shortly."""


class _Writer:
    """Create, replace and delete one kind, answers not decoded (only the JSON is kept)."""

    def __init__(
        self,
        create: Callable[..., Any],
        replace: Callable[..., Any],
        delete: Callable[..., Any] | None = None,
    ) -> None:
        self._create, self._replace, self._delete = create, replace, delete

    def create(self, ns: str, body: dict[str, Any]) -> dict[str, Any]:
        return _json(self._create(ns, body, _preload_content=False))

    def replace(self, ns: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        return _json(self._replace(name, ns, body, _preload_content=False))

    def delete(self, ns: str, name: str, uid: str) -> None:
        assert self._delete is not None
        options = {"preconditions": {"uid": uid}, "propagationPolicy": "Background"}
        _json(self._delete(name, ns, body=options, _preload_content=False))


def _deployments(api: client.ApiClient) -> _Writer:
    apps = client.AppsV1Api(api)
    return _Writer(apps.create_namespaced_deployment, apps.replace_namespaced_deployment)


def _services(api: client.ApiClient) -> _Writer:
    core = client.CoreV1Api(api)
    return _Writer(
        core.create_namespaced_service,
        core.replace_namespaced_service,
        core.delete_namespaced_service,
    )


def _hpas(api: client.ApiClient) -> _Writer:
    scaling = client.AutoscalingV2Api(api)
    return _Writer(
        scaling.create_namespaced_horizontal_pod_autoscaler,
        scaling.replace_namespaced_horizontal_pod_autoscaler,
    )


def _write_custom_status(
    api: client.ApiClient, plural: str, obj: dict[str, Any], status: dict[str, Any]
) -> None:
    """PUT the status subresource on the version the reconcile read: a 409 means the object
    moved on, and the next reconcile (queued by that change) writes from the newer copy."""
    meta = obj["metadata"]
    body = {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "metadata": {
            "name": meta["name"],
            "namespace": meta["namespace"],
            "resourceVersion": meta["resourceVersion"],
        },
        "status": status,
    }
    try:
        _json(
            client.CustomObjectsApi(api).replace_namespaced_custom_object_status(
                GROUP,
                VERSION,
                meta["namespace"],
                plural,
                meta["name"],
                body,
                _preload_content=False,
            )
        )
    except ApiException as exc:
        if exc.status in (404, 409):
            return  # gone, or changed: its own event queues a reconcile with the newer copy
        raise


def _json(resp: Any) -> dict[str, Any]:
    try:
        return json.loads(resp.data) if resp.data else {}
    finally:
        resp.release_conn()


def _changes(kind: str, observed: dict[str, Any], wanted: dict[str, Any]) -> str:
    fields = [
        k
        for k, v in wanted["spec"].items()
        if not desired.covers((observed.get("spec") or {}).get(k), v)
    ]
    return f"Updated {kind} {wanted['metadata']['name']}" + (
        f": {', '.join(fields)}" if fields else ""
    )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ApiException):
        try:
            message = json.loads(exc.body or "{}").get("message") or exc.reason
        except ValueError:
            message = exc.reason
        return f"{exc.status} {message}"
    return f"{type(exc).__name__}: {exc}"[:300]


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return meta.get("namespace") or "", meta.get("name") or ""


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
