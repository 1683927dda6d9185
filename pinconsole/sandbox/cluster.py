"""The cluster behind the sandbox's API: what nodes, metrics-server and kube-controller-manager do.

``SandboxEmulator`` adds to ``ApiServer`` the endpoints a kubelet and metrics-server answer
(``pods/log`` with tail and follow, ``metrics.k8s.io`` PodMetrics), Kubernetes' own controllers
(``control``: Deployments, ReplicaSets, the kubelet starting pods, HPAs, the garbage collector;
``sandbox.workloads``, ``sandbox.autoscaling`` and ``sandbox.gc``), and ``chaos_tick``, which keeps
pod states, restarts and usage moving so live charts move. The demo and the tests run this same
class; PinApps become Deployments through PinCompute's controller (``pinconsole controller``), as on
a real cluster.

``reconcile`` is a stand-in for that controller, for tests of PinCompute's reads and actions that
run none: pods straight from PinApps, and PinApp and PinScaler status. Never run both.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp.web
import attrs
import kmock

from pinconsole.compute.constants import API_VERSION, PINAPP_LABEL, RESTARTED_AT
from pinconsole.compute.selectors import matches, parse_selector
from pinconsole.sandbox import pods as pod_model
from pinconsole.sandbox import workloads
from pinconsole.sandbox.apiserver import ApiServer
from pinconsole.sandbox.autoscaling import sync_hpa
from pinconsole.sandbox.gc import collect
from pinconsole.sandbox.protocol import ApiError, now_iso
from pinconsole.sandbox.resources import (
    DEPLOYMENTS,
    EVENTS,
    HPAS,
    PINAPPS,
    PINSCALERS,
    POD_METRICS,
    PODS,
    REPLICASETS,
)

MAX_EVENTS = 3000  # events expire in a real cluster too: past this, the oldest 500 go


@attrs.define(kw_only=True)
class SandboxEmulator(ApiServer):
    """An ``ApiServer`` with pods/log, PodMetrics, the PinApp controller and chaos."""

    metrics_api: bool = True
    # How often ``control`` runs the HPAs (kube-controller-manager's sync period is 15 s).
    hpa_seconds: float = 15.0
    clock: Callable[[], float] = time.time
    usage: dict[tuple[str, str], tuple[int, int]] = attrs.field(factory=dict, init=False)
    log_seed: int = attrs.field(default=0, init=False)
    # namespace -> most pods it may hold (a ResourceQuota's pods limit)
    pod_quota: dict[str, int] = attrs.field(factory=dict, init=False)
    pending: set[tuple[str, str]] = attrs.field(factory=set, init=False)
    recommendations: dict[str, list[tuple[float, int]]] = attrs.field(factory=dict, init=False)
    _dirty: dict[str, set[tuple[str | None, str]]] = attrs.field(factory=dict, init=False)
    _gc_due: bool = attrs.field(default=False, init=False)
    _hpa_at: float = attrs.field(default=0.0, init=False)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        if self.metrics_api:
            self.resources[POD_METRICS] = kmock.ResourceInfo(
                kind="PodMetrics", namespaced=True, verbs={"get", "list"}
            )

    def _serves(self, key: str) -> bool:
        return super()._serves(key) or (key == POD_METRICS and self.metrics_api)

    async def _serve(self, request: kmock.Request, key: str) -> aiohttp.web.StreamResponse:
        if key == POD_METRICS:
            return self._json(self._pod_metrics(request.namespace, request.name, request.params))
        if (
            key == PODS
            and request.subresource == "log"
            and request.name is not None
            and request.method.value == "GET"
        ):
            return await self._serve_log(request)
        return await super()._serve(request, key)

    def _remove(self, key: str, obj: dict[str, Any]) -> dict[str, Any]:
        gone = super()._remove(key, obj)
        if key == PODS:
            meta = gone["metadata"]
            self.usage.pop((meta.get("namespace") or "", meta["name"]), None)
            self.pending.discard((meta.get("namespace") or "", meta["name"]))
        return gone

    # ---- Kubernetes' own controllers ---------------------------------------------------------
    def _emit(self, key: str, kind: str, obj: dict[str, Any]) -> None:
        super()._emit(key, kind, obj)
        meta = obj["metadata"]
        # The collector's pass reads every object: run it when ownership may have changed (an
        # Event, deleted as it expires, owns nothing).
        if (
            (kind == "DELETED" and key != EVENTS)
            or meta.get("deletionTimestamp")
            or (kind == "ADDED" and meta.get("ownerReferences"))
        ):
            self._gc_due = True
        ref = (meta.get("namespace"), meta["name"])
        if key == DEPLOYMENTS:
            self._dirty.setdefault(DEPLOYMENTS, set()).add(ref)
        elif key in (REPLICASETS, PODS):
            if key == REPLICASETS:
                self._dirty.setdefault(REPLICASETS, set()).add(ref)
            owner = workloads.controller_of(obj)
            if owner is not None and owner.get("kind") in ("Deployment", "ReplicaSet"):
                parent = DEPLOYMENTS if owner["kind"] == "Deployment" else REPLICASETS
                self._dirty.setdefault(parent, set()).add((ref[0], owner["name"]))

    def control(self, *, hpas: bool | None = None) -> bool:
        """One pass of the garbage collector, the Deployment and ReplicaSet controllers, the
        kubelets (pods Pending since the last pass start) and, every ``hpa_seconds`` (or when
        ``hpas``), the HPA controller. True while something is left to do."""
        starting, self.pending = self.pending, set()
        if self._gc_due:
            self._gc_due = False
            collect(self)
        for kind, sync in (
            (DEPLOYMENTS, workloads.sync_deployment),
            (REPLICASETS, workloads.sync_replicaset),
        ):
            keys, self._dirty[kind] = self._dirty.get(kind, set()), set()
            for ns, name in sorted(keys, key=lambda k: (k[0] or "", k[1])):
                sync(self, ns, name)
        workloads.start_pods(self, starting)
        now = self.clock()
        if hpas or (hpas is None and now - self._hpa_at >= self.hpa_seconds):
            self._hpa_at = now
            for ns, name in list(self._store[HPAS]):
                sync_hpa(self, ns or "", name)
        return bool(self.pending or self._gc_due or any(self._dirty.values()))

    def settle(self, passes: int = 100) -> int:
        """Run ``control`` until nothing is left to do (tests); returns the passes it took."""
        for n in range(1, passes + 1):
            if not self.control(hpas=False):
                return n
        raise RuntimeError(f"the sandbox's controllers did not settle in {passes} passes")

    # ---- pods/log --------------------------------------------------------------------------
    def log_line(self, pod: dict[str, Any], container: str, n: int) -> str:
        """Line ``n`` of a container's log (deterministic per pod, container and number)."""
        return pod_model.log_line(pod, container, n, self.log_seed)

    async def _serve_log(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        pod = self.get(PODS, request.namespace, request.name or "")
        params = request.params
        container = pod_model.log_container(pod, params.get("container"))
        total = pod_model.log_count(pod, self.log_seed)
        tail = int(params.get("tailLines") or total)
        lines = [self.log_line(pod, container, n) for n in range(max(0, total - tail), total)]
        if params.get("follow") not in ("true", "1"):
            body = ("\n".join(lines) + "\n") if lines else ""
            return aiohttp.web.Response(text=body, content_type="text/plain")
        response = aiohttp.web.StreamResponse(status=200, headers={"Content-Type": "text/plain"})
        raw = request._raw_request
        assert raw is not None
        try:
            await response.prepare(raw)
            await response.write("".join(f"{line}\n" for line in lines).encode())
            n = total
            while True:
                await asyncio.sleep(0.5)
                if not self.exists(PODS, request.namespace, request.name or ""):
                    break
                await response.write(f"{self.log_line(pod, container, n)}\n".encode())
                n += 1
        except ConnectionError:
            pass
        return response

    # ---- metrics.k8s.io --------------------------------------------------------------------
    def _pod_metrics(
        self, namespace: str | None, name: str | None, params: dict[str, str]
    ) -> dict[str, Any]:
        selector = parse_selector(params.get("labelSelector"))
        items = []
        for (ns, pod_name), pod in self._store[PODS].items():
            if (namespace and ns != namespace) or (name and pod_name != name):
                continue
            if pod.get("status", {}).get("phase") != "Running":
                continue
            if not matches(selector, pod["metadata"].get("labels")):
                continue
            cpu, mem = self.pod_usage(pod)
            items.append(pod_model.pod_metrics(pod, cpu, mem))
        if name:
            if not items:
                raise ApiError(404, "NotFound", f'podmetrics "{name}" not found')
            return items[0]
        return {
            "apiVersion": "metrics.k8s.io/v1beta1",
            "kind": "PodMetricsList",
            "metadata": {},
            "items": items,
        }

    # ---- the PinApp controller -------------------------------------------------------------
    def reconcile(self) -> None:
        """Make pods follow PinApps (count, restarts, image) and write PinApp status."""
        pods_by_app: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for (ns, _n), pod in self._store[PODS].items():
            app = pod["metadata"].get("labels", {}).get(PINAPP_LABEL)
            if app:
                pods_by_app.setdefault((ns or "", app), []).append(pod)
        for (ns, name), app in list(self._store[PINAPPS].items()):
            self._reconcile_app(ns or "", name, app, pods_by_app.get((ns or "", name), []))
        for (ns, name), scaler in list(self._store[PINSCALERS].items()):
            self._reconcile_scaler(ns or "", name, scaler)

    def _reconcile_scaler(self, ns: str, name: str, scaler: dict[str, Any]) -> None:
        """Report the target's replicas and what the policy wants (no autoscaling here)."""
        spec = scaler.get("spec") or {}
        target = self._store[PINAPPS].get((ns, (spec.get("targetRef") or {}).get("name", "")))
        if target is None:
            return
        current = int((target.get("status") or {}).get("replicas", 0))
        wanted = int((target.get("spec") or {}).get("replicas", 0))
        desired = min(max(wanted, int(spec.get("minReplicas", 0))), int(spec.get("maxReplicas", 1)))
        old = scaler.get("status") or {}
        if (old.get("currentReplicas"), old.get("desiredReplicas")) != (current, desired):
            status = {"currentReplicas": current, "desiredReplicas": desired}
            if old.get("desiredReplicas") != desired:
                status["lastScaleTime"] = now_iso()
            elif old.get("lastScaleTime"):
                status["lastScaleTime"] = old["lastScaleTime"]
            self.mutate(PINSCALERS, ns, name, lambda o: o.__setitem__("status", status))

    def _reconcile_app(
        self, ns: str, name: str, app: dict[str, Any], pods: list[dict[str, Any]]
    ) -> None:
        spec = app.get("spec", {})
        restarted = spec.get("template", {}).get("metadata", {}).get("annotations", {})
        restarted_at = restarted.get(RESTARTED_AT, "")
        pending = [p for p in pods if p.get("status", {}).get("phase") == "Pending"]
        if not spec.get("paused"):
            desired = int(spec.get("replicas", 0))
            stale = [
                p
                for p in pods
                if p["metadata"].get("annotations", {}).get(RESTARTED_AT, "") != restarted_at
                or pod_model.pod_image(p) != spec.get("image")
            ]
            for pod in stale[:2]:  # a rolling restart, two pods per tick
                self.delete(PODS, ns, pod["metadata"]["name"])
                pods.remove(pod)
                self.add_event(ns, "Pod", pod["metadata"]["name"], "Killing", "Stopping container")
            for pod in pods[desired:]:
                self.delete(PODS, ns, pod["metadata"]["name"])
            pods = pods[:desired]
            for _ in range(desired - len(pods)):
                pods.append(self.add_pod(ns, app, phase="Pending"))
        for pod in pending:  # pods seen Pending on the previous tick start now
            if self.exists(PODS, ns, pod["metadata"]["name"]):
                self.mutate(PODS, ns, pod["metadata"]["name"], pod_model.set_running)
        current = self._store[PODS]
        live = [
            current[(ns, p["metadata"]["name"])]
            for p in pods
            if (ns, p["metadata"]["name"]) in current
        ]
        ready = sum(1 for p in live if pod_model.pod_ready(p))
        status = {
            "replicas": len(live),
            "selector": f"{PINAPP_LABEL}={name}",
            "readyReplicas": ready,
            "updatedReplicas": sum(
                1
                for p in live
                if p["metadata"].get("annotations", {}).get(RESTARTED_AT, "") == restarted_at
            ),
            "currentImage": spec.get("image"),
            "observedGeneration": app["metadata"].get("generation", 1),
            "conditions": [
                {
                    "type": "Available",
                    "status": "True" if ready >= int(spec.get("replicas", 0)) else "False",
                    "reason": "MinimumReplicasAvailable"
                    if ready >= int(spec.get("replicas", 0))
                    else "ReplicasUnavailable",
                    "lastTransitionTime": now_iso(),
                },
                {
                    "type": "Progressing",
                    "status": "False" if spec.get("paused") else "True",
                    "reason": "Paused" if spec.get("paused") else "NewReplicaSetAvailable",
                    "lastTransitionTime": now_iso(),
                },
            ],
        }
        old = app.get("status") or {}
        if {k: v for k, v in old.items() if k != "conditions"} != {
            k: v for k, v in status.items() if k != "conditions"
        } or [c["status"] for c in old.get("conditions", [])] != [
            c["status"] for c in status["conditions"]
        ]:
            self.mutate(PINAPPS, ns, name, lambda o: o.__setitem__("status", status))

    def add_pod(self, ns: str, app: dict[str, Any], phase: str = "Running") -> dict[str, Any]:
        """Create a pod of PinApp ``app`` (labels, restart annotation, owner reference)."""
        spec = app.get("spec", {})
        name = app["metadata"]["name"]
        labels = {PINAPP_LABEL: name, **app["metadata"].get("labels", {})}
        annotations = {}
        restarted = spec.get("template", {}).get("metadata", {}).get("annotations", {})
        if restarted.get(RESTARTED_AT):
            annotations[RESTARTED_AT] = restarted[RESTARTED_AT]
        containers = spec.get("containers") or [{"name": "main"}]
        pod = {
            "metadata": {
                "name": f"{name}-{uuid.uuid4().hex[:10]}",
                "labels": labels,
                "annotations": annotations,
                "ownerReferences": [
                    {
                        "apiVersion": API_VERSION,
                        "kind": "PinApp",
                        "name": name,
                        "uid": app["metadata"]["uid"],
                        "controller": True,
                    }
                ],
            },
            "spec": {
                "nodeName": f"node-{random.randint(1, 12):02d}",
                "containers": [
                    {"name": c.get("name", "main"), "image": c.get("image") or spec.get("image")}
                    for c in containers
                ],
            },
            "status": pod_model.pod_status(phase, containers, 0),
        }
        created = self.create(PODS, ns, pod)
        self.add_event(ns, "Pod", created["metadata"]["name"], "Scheduled", "Assigned to node")
        return created

    def add_event(
        self,
        ns: str,
        kind: str,
        name: str,
        reason: str,
        message: str,
        type_: str = "Normal",
        *,
        source: str = "pinconsole-sandbox",
    ) -> None:
        stamp = now_iso()
        self.create(
            EVENTS,
            ns,
            {
                "metadata": {"name": f"{name}.{uuid.uuid4().hex[:10]}"},
                "involvedObject": {"kind": kind, "name": name, "namespace": ns},
                "reason": reason,
                "message": message,
                "type": type_,
                "count": 1,
                "firstTimestamp": stamp,
                "lastTimestamp": stamp,
                "source": {"component": source},
            },
        )
        events = self._store[EVENTS]
        if len(events) > MAX_EVENTS:
            for ens, ename in list(events)[:500]:
                self.delete(EVENTS, ens, ename)

    def pod_usage(self, pod: dict[str, Any]) -> tuple[int, int]:
        """(millicores, KiB) a pod uses now: as chaos or a test set it, else its default."""
        meta = pod["metadata"]
        found = self.usage.get((meta.get("namespace") or "", meta["name"]))
        return found or pod_model.default_usage(meta["name"], pod_model.cpu_request(pod))

    # ---- chaos -----------------------------------------------------------------------------
    def chaos_tick(self, rng: random.Random, changes: int = 3) -> None:
        """Make a few pods crash or recover and move every running pod's usage."""
        pods = list(self._store[PODS].items())
        for (ns, name), pod in pods:
            cpu, mem = self.pod_usage(pod)
            cpu = pod_model.drift_cpu(cpu, pod_model.cpu_request(pod), rng.uniform(0.85, 1.17))
            mem = max(10_000, int(mem * rng.uniform(0.95, 1.06)))
            self.usage[(ns or "", name)] = (cpu, min(mem, 4_000_000))
        for (ns, name), pod in rng.sample(pods, min(changes, len(pods))):
            if pod.get("status", {}).get("phase") != "Running":
                continue
            if pod_model.pod_ready(pod) and rng.random() < 0.5:
                self.mutate(PODS, ns, name, pod_model.crash)
                self.add_event(
                    ns or "",
                    "Pod",
                    name,
                    "BackOff",
                    "Back-off restarting failed container",
                    "Warning",
                )
            elif not pod_model.pod_ready(pod):
                self.mutate(PODS, ns, name, pod_model.recover)
                self.add_event(ns or "", "Pod", name, "Started", "Started container")
