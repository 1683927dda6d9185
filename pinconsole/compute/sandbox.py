"""The embedded default cluster: kmock's ``KubernetesEmulator`` made close enough to a real API.

kmock 0.8 keeps objects without resourceVersions, replays every object on each watch and has no
410, PUT, label selectors, logs or metrics. PinCompute's cache depends on exactly those, so this
subclass serves resource requests from its own resourceVersion-aware store (objects, an event log
for resumable watches, 410 after compaction) and keeps kmock's discovery endpoints. The demo and
the tests run this same class, so both exercise one emulator.

``Sandbox`` runs the emulator in a background thread's event loop on a free loopback port and
writes a kubeconfig the official client reads. ``seed_demo`` fills it with PinApps, PinScalers,
pods and events; the controller loop reconciles pods to replicas and the chaos loop keeps pod
states, restarts and usage moving so live charts move.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import json
import logging
import random
import socket
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp.web
import attrs
import kmock
import yaml

from pinconsole.compute.selectors import matches, parse_selector

log = logging.getLogger(__name__)

GROUP = "compute.pinconsole.io"
VERSION = "v1alpha1"
PINAPPS = f"{GROUP}/{VERSION}/pinapps"
PINSCALERS = f"{GROUP}/{VERSION}/pinscalers"
PODS = "/v1/pods"
EVENTS = "/v1/events"
NAMESPACES = "/v1/namespaces"
POD_METRICS = "metrics.k8s.io/v1beta1/pods"
PINAPP_LABEL = "pinconsole.io/pinapp"
KUBE_ID_LABEL = "backstage.io/kubernetes-id"
RESTARTED_AT = "pinconsole.io/restartedAt"

# resource key -> (kind, apiVersion, namespaced, subresources)
KINDS: dict[str, tuple[str, str, bool, tuple[str, ...]]] = {
    PODS: ("Pod", "v1", True, ("log", "status")),
    EVENTS: ("Event", "v1", True, ()),
    NAMESPACES: ("Namespace", "v1", False, ()),
    PINAPPS: ("PinApp", f"{GROUP}/{VERSION}", True, ("status", "scale")),
    PINSCALERS: ("PinScaler", f"{GROUP}/{VERSION}", True, ("status",)),
}

ObjKey = tuple[str, str | None, str]


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """RFC 7386 JSON merge patch (also our stand-in for strategic merge)."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


def _json_patch(target: dict[str, Any], ops: list[dict[str, Any]]) -> dict[str, Any]:
    """The RFC 6902 operations clients send for simple edits: add, replace, remove, test."""
    for op in ops:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent: Any = target
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent.setdefault(part, {})
        last = parts[-1]
        kind = op["op"]
        if kind == "test":
            current = parent[int(last)] if isinstance(parent, list) else parent.get(last)
            if current != op.get("value"):
                raise _ApiError(422, "Invalid", f"test failed at {op['path']}")
        elif kind == "remove":
            if isinstance(parent, list):
                parent.pop(int(last))
            else:
                parent.pop(last, None)
        elif isinstance(parent, list):
            if last == "-":
                parent.append(op["value"])
            elif kind == "add":
                parent.insert(int(last), op["value"])
            else:
                parent[int(last)] = op["value"]
        else:
            parent[last] = op["value"]
    return target


class _ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message

    def status(self) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Status",
            "metadata": {},
            "status": "Failure",
            "code": self.code,
            "reason": self.reason,
            "message": self.message,
        }


@attrs.define(eq=False)
class _Watcher:
    resource: str
    namespace: str | None
    selector: tuple[Any, ...]
    name: str | None
    queue: asyncio.Queue[bytes | None]


def _field_ok(obj: dict[str, Any], field_selector: str | None) -> bool:
    if not field_selector:
        return True
    for part in field_selector.split(","):
        negate = "!=" in part
        key, _, value = part.replace("!=", "=").replace("==", "=").partition("=")
        current: Any = obj
        for step in key.strip().split("."):
            current = current.get(step) if isinstance(current, dict) else None
        if (str(current) == value.strip()) == negate:
            return False
    return True


def _load_schemas() -> dict[str, dict[str, Any]]:
    """CRD schemas by resource key, so the emulator rejects what a real API server would."""
    from pinconsole.compute.crds import CRD_DIR, load_crds

    if not CRD_DIR.is_dir():
        return {}
    return {
        f"{crd['spec']['group']}/{v['name']}/{crd['spec']['names']['plural']}": v["schema"][
            "openAPIV3Schema"
        ]
        for crd in load_crds().values()
        for v in crd["spec"]["versions"]
    }


@attrs.define(kw_only=True)
class SandboxEmulator(kmock.KubernetesEmulator):
    """A KubernetesEmulator with resourceVersions, resumable watches, 410, PUT, logs, metrics."""

    metrics_api: bool = True
    event_log_size: int = 20_000
    validate: bool = True
    deny_namespaces: set[str] = attrs.field(factory=set)  # writes here get 403 (RBAC stand-in)
    accepting_watches: bool = attrs.field(default=True, init=False)
    # A network partition stand-in: while set, requests are accepted but never answered.
    frozen: bool = attrs.field(default=False, init=False)

    _store: dict[str, dict[tuple[str | None, str], dict[str, Any]]] = attrs.field(
        factory=dict, init=False
    )
    _rv: int = attrs.field(default=1, init=False)
    _event_log: deque[tuple[int, str, dict[str, Any], bytes]] = attrs.field(
        factory=deque, init=False
    )
    _floor_rv: int = attrs.field(default=0, init=False)
    _watchers: set[_Watcher] = attrs.field(factory=set, init=False)
    _schemas: dict[str, dict[str, Any]] = attrs.field(factory=dict, init=False)
    usage: dict[tuple[str, str], tuple[int, int]] = attrs.field(factory=dict, init=False)
    log_seed: int = attrs.field(default=0, init=False)
    request_count: int = attrs.field(default=0, init=False)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        for key, (kind, _api, namespaced, subs) in KINDS.items():
            self.resources[key.lstrip("/")] = kmock.ResourceInfo(
                kind=kind,
                namespaced=namespaced,
                subresources=set(subs),
                verbs={"get", "list", "watch", "create", "update", "patch", "delete"},
            )
            self._store[key] = {}
        if self.metrics_api:
            self.resources[POD_METRICS] = kmock.ResourceInfo(
                kind="PodMetrics", namespaced=True, verbs={"get", "list"}
            )
        self._event_log = deque(maxlen=self.event_log_size)
        if self.validate:
            self._schemas = _load_schemas()

    # ---- the HTTP entry point -------------------------------------------------------------
    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        while self.frozen:
            await asyncio.sleep(0.05)
        path = raw_request.rel_url.path
        if len(path) > 1 and path.endswith("/"):  # the client asks /version/, /api/, /apis/
            raw_request = raw_request.clone(rel_url=raw_request.rel_url.with_path(path.rstrip("/")))
        response = await super().__call__(raw_request)
        self.request_count += 1
        self._requests.clear()  # kmock keeps every request for assertions; a demo runs for days
        if self._errors:
            for error in self._errors[-1]:
                log.warning("sandbox request failed: %r", error)
            self._errors[-1].clear()
        return response

    async def _handle(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        res = request.resource
        if res is not None and res.plural:
            key = f"{res.group}/{res.version}/{res.plural}"
            try:
                if key in self._store or (key == POD_METRICS and self.metrics_api):
                    return await self._serve(request, key)
                raise _ApiError(404, "NotFound", f"the server could not find {key}")
            except _ApiError as exc:
                return aiohttp.web.json_response(exc.status(), status=exc.code)
        return await super()._handle(request)

    async def _serve(self, request: kmock.Request, key: str) -> aiohttp.web.StreamResponse:
        method, name, sub = request.method.value, request.name, request.subresource
        params = request.params
        if key == POD_METRICS:
            return self._json(self._pod_metrics(request.namespace, name, params))
        if method != "GET" and request.namespace in self.deny_namespaces:
            raise _ApiError(
                403,
                "Forbidden",
                f'{key.rsplit("/", 1)[-1]} "{name or ""}" is forbidden: User "sandbox" cannot '
                f'{method.lower()} resource in the namespace "{request.namespace}"',
            )
        if method == "GET" and params.get("watch") in ("true", "1"):
            return await self._serve_watch(request, key)
        if method == "GET" and name is None:
            return self._json(self._list(key, request.namespace, params))
        if name is None and method == "POST":
            body = request.data if isinstance(request.data, dict) else {}
            return self._json(self.create(key, request.namespace, body), status=201)
        if name is None:
            raise _ApiError(405, "MethodNotAllowed", f"{method} on a collection")
        if key == PODS and sub == "log":
            return await self._serve_log(request)
        if method == "GET":
            obj = self.get(key, request.namespace, name)
            return self._json(self._scale_of(obj) if sub == "scale" else obj)
        if method == "DELETE":
            return self._json(self.delete(key, request.namespace, name))
        if method in ("PUT", "PATCH"):
            data = request.data
            ctype = request.headers.get("Content-Type", "")
            obj = self.update(key, request.namespace, name, data, sub, method, ctype)
            return self._json(self._scale_of(obj) if sub == "scale" else obj)
        raise _ApiError(405, "MethodNotAllowed", f"{method} is not supported")

    @staticmethod
    def _json(data: Any, status: int = 200) -> aiohttp.web.Response:
        return aiohttp.web.Response(
            body=json.dumps(data).encode(), status=status, content_type="application/json"
        )

    # ---- the store (call these on the emulator's loop thread) -------------------------------
    def _bump(self) -> str:
        self._rv += 1
        return str(self._rv)

    def _emit(self, key: str, kind: str, obj: dict[str, Any]) -> None:
        rv = int(obj["metadata"]["resourceVersion"])
        line = json.dumps({"type": kind, "object": obj}).encode() + b"\n"
        if len(self._event_log) == self._event_log.maxlen:
            self._floor_rv = max(self._floor_rv, self._event_log[0][0])
        self._event_log.append((rv, key, obj, line))
        meta = obj["metadata"]
        for watcher in self._watchers:
            if self._watch_ok(watcher, key, obj, meta):
                watcher.queue.put_nowait(line)

    @staticmethod
    def _watch_ok(w: _Watcher, key: str, obj: dict[str, Any], meta: dict[str, Any]) -> bool:
        return (
            w.resource == key
            and (w.namespace is None or meta.get("namespace") == w.namespace)
            and (w.name is None or meta.get("name") == w.name)
            and matches(w.selector, meta.get("labels"))
        )

    def compact(self) -> int:
        """Forget the event log, as etcd compaction does: older watches now get 410 Gone."""
        self._event_log.clear()
        self._floor_rv = self._rv
        return self._rv

    def _validate(self, key: str, obj: dict[str, Any]) -> None:
        schema = self._schemas.get(key)
        if not schema:
            return
        from pinconsole.compute.crds import validate_object

        errors = validate_object(obj, schema)
        if errors:
            raise _ApiError(422, "Invalid", "; ".join(errors))

    def create(self, key: str, namespace: str | None, body: dict[str, Any]) -> dict[str, Any]:
        """Create an object: fill namespace, uid, resourceVersion, creationTimestamp."""
        obj = copy.deepcopy(body)
        meta = obj.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
        name = meta.get("name")
        if not name:
            raise _ApiError(422, "Invalid", "metadata.name: Required value")
        kind, api_version, namespaced, _subs = KINDS[key]
        ns = (namespace or meta.get("namespace") or "default") if namespaced else None
        if (ns, name) in self._store[key]:
            raise _ApiError(409, "AlreadyExists", f'{kind} "{name}" already exists')
        obj.setdefault("apiVersion", api_version)
        obj.setdefault("kind", kind)
        if ns is not None:
            meta["namespace"] = ns
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", now_iso())
        meta["generation"] = 1
        if self.validate:
            self._validate(key, obj)
        meta["resourceVersion"] = self._bump()
        self._store[key][(ns, name)] = obj
        self._emit(key, "ADDED", obj)
        return obj

    def get(self, key: str, namespace: str | None, name: str) -> dict[str, Any]:
        obj = self._store[key].get((namespace if KINDS[key][2] else None, name))
        if obj is None:
            raise _ApiError(404, "NotFound", f'{KINDS[key][0]} "{name}" not found')
        return obj

    def update(
        self,
        key: str,
        namespace: str | None,
        name: str,
        data: Any,
        subresource: str | None = None,
        method: str = "PATCH",
        content_type: str = "application/merge-patch+json",
    ) -> dict[str, Any]:
        """Patch or replace; a stale ``metadata.resourceVersion`` in the body gives 409."""
        current = self.get(key, namespace, name)
        new = copy.deepcopy(current)
        expected = None
        if subresource == "scale":
            expected = (data.get("metadata") or {}).get("resourceVersion")
            replicas = (data.get("spec") or {}).get("replicas")
            if replicas is not None:
                new.setdefault("spec", {})["replicas"] = replicas
        elif method == "PUT":
            expected = (data.get("metadata") or {}).get("resourceVersion")
            if subresource == "status":
                new["status"] = copy.deepcopy(data.get("status"))
            else:
                keep = {k: current["metadata"][k] for k in ("uid", "creationTimestamp")}
                new = copy.deepcopy(data)
                new["metadata"].update(keep)
                if "status" in current and key in (PINAPPS, PINSCALERS):
                    new["status"] = copy.deepcopy(current["status"])
        elif isinstance(data, list) or "json-patch" in content_type:
            new = _json_patch(new, data)
            expected = new["metadata"].get("resourceVersion")
            if expected == current["metadata"]["resourceVersion"]:
                expected = None
        else:
            if subresource == "status":
                data = {"status": data.get("status")} if "status" in data else {}
            expected = (data.get("metadata") or {}).get("resourceVersion")
            _merge(new, data)
        if key in (PINAPPS, PINSCALERS):
            # With the status subresource, writes to the object leave status alone and writes
            # to /status leave everything else alone, as the API server does.
            if subresource == "status":
                new = {**copy.deepcopy(current), "status": new.get("status")}
                if new["status"] is None:
                    new.pop("status")
            elif "status" in current:
                new["status"] = copy.deepcopy(current["status"])
            else:
                new.pop("status", None)
        if expected and expected != current["metadata"]["resourceVersion"]:
            raise _ApiError(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {key.rsplit("/", 1)[-1]} "{name}": '
                "the object has been modified; please apply your changes to the latest version "
                "and try again",
            )
        if new.get("spec") != current.get("spec"):
            new["metadata"]["generation"] = current["metadata"].get("generation", 1) + 1
        if self.validate:
            self._validate(key, new)
        return self._replace(key, new)

    def _replace(self, key: str, new: dict[str, Any]) -> dict[str, Any]:
        meta = new["metadata"]
        meta["resourceVersion"] = self._bump()
        self._store[key][(meta.get("namespace"), meta["name"])] = new
        self._emit(key, "MODIFIED", new)
        return new

    def mutate(self, key: str, namespace: str | None, name: str, fn: Callable[[dict], Any]) -> dict:
        """Copy, change with ``fn`` and store an object (the controller and chaos use this)."""
        new = copy.deepcopy(self.get(key, namespace, name))
        fn(new)
        return self._replace(key, new)

    def delete(self, key: str, namespace: str | None, name: str) -> dict[str, Any]:
        obj = self.get(key, namespace, name)
        del self._store[key][(obj["metadata"].get("namespace"), name)]
        gone = copy.deepcopy(obj)
        gone["metadata"]["resourceVersion"] = self._bump()
        self._emit(key, "DELETED", gone)
        self.usage.pop((obj["metadata"].get("namespace") or "", name), None)
        return gone

    def objects_of(self, key: str) -> list[dict[str, Any]]:
        return list(self._store[key].values())

    def _list(self, key: str, namespace: str | None, params: dict[str, str]) -> dict[str, Any]:
        selector = parse_selector(params.get("labelSelector"))
        fields = params.get("fieldSelector")
        items = [
            obj
            for (ns, _name), obj in self._store[key].items()
            if (namespace is None or ns == namespace)
            and matches(selector, obj["metadata"].get("labels"))
            and _field_ok(obj, fields)
        ]
        kind, api_version, _n, _s = KINDS[key]
        return {
            "apiVersion": api_version,
            "kind": f"{kind}List",
            "metadata": {"resourceVersion": str(self._rv)},
            "items": items,
        }

    # ---- watch -----------------------------------------------------------------------------
    async def _serve_watch(self, request: kmock.Request, key: str) -> aiohttp.web.StreamResponse:
        params = request.params
        selector = parse_selector(params.get("labelSelector"))
        timeout = float(params.get("timeoutSeconds") or 1800)
        rv_param = params.get("resourceVersion") or ""
        watcher = _Watcher(key, request.namespace, selector, request.name, asyncio.Queue())
        initial: list[bytes] = []
        gone = False
        if rv_param in ("", "0"):
            for (ns, _name), obj in self._store[key].items():
                meta = obj["metadata"]
                if self._watch_ok(watcher, key, obj, meta) and ns == meta.get("namespace"):
                    initial.append(json.dumps({"type": "ADDED", "object": obj}).encode() + b"\n")
        else:
            since = int(rv_param)
            if since < self._floor_rv:
                gone = True
            else:
                for rv, ekey, obj, line in self._event_log:
                    if rv > since and self._watch_ok(watcher, ekey, obj, obj["metadata"]):
                        initial.append(line)
        if not self.accepting_watches:  # shutting down: end at once, the client reconnects
            initial = []
            watcher.queue.put_nowait(None)
        if not gone:
            self._watchers.add(watcher)
        response = aiohttp.web.StreamResponse(
            status=200, headers={"Content-Type": "application/json"}
        )
        raw = request._raw_request
        assert raw is not None
        try:
            await response.prepare(raw)
            if gone:
                status = _ApiError(
                    410, "Expired", f"too old resource version: {rv_param} ({self._floor_rv})"
                ).status()
                await response.write(json.dumps({"type": "ERROR", "object": status}).encode())
                await response.write(b"\n")
                return response
            for line in initial:
                await response.write(line)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    line = await asyncio.wait_for(watcher.queue.get(), remaining)
                except TimeoutError:
                    break
                if line is None:  # server shutdown
                    break
                await response.write(line)
            await response.write_eof()
        except ConnectionError:
            pass
        finally:
            self._watchers.discard(watcher)
        return response

    def close_watches(self) -> None:
        self.accepting_watches = False
        for watcher in list(self._watchers):
            watcher.queue.put_nowait(None)

    # ---- pods/log --------------------------------------------------------------------------
    def log_line(self, pod: dict[str, Any], container: str, n: int) -> str:
        """A deterministic, plausible access-log line number ``n`` of a container."""
        digest = hashlib.sha1(f"{pod['metadata']['name']}/{container}/{n}".encode()).digest()
        paths = ["/api/pins", "/api/boards", "/healthz", "/api/search", "/api/users/me"]
        levels = ["INFO"] * 8 + ["WARN", "ERROR"]
        # Line n was written n seconds after the log began, 200 s before the pod was created
        # (``_log_count`` grows by one line a second), so the last line is about now.
        start = _parse_time(pod["metadata"].get("creationTimestamp")) + timedelta(
            seconds=n - 200 - self.log_seed
        )
        status = 500 if levels[digest[1] % 10] == "ERROR" else 200
        return (
            f"{start:%Y-%m-%dT%H:%M:%SZ} {levels[digest[1] % 10]} {container} "
            f"GET {paths[digest[0] % len(paths)]} status={status} latency_ms={digest[2]}"
        )

    def _log_count(self, pod: dict[str, Any]) -> int:
        age = datetime.now(UTC) - _parse_time(pod["metadata"].get("creationTimestamp"))
        return 200 + int(age.total_seconds()) + self.log_seed

    async def _serve_log(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        pod = self.get(PODS, request.namespace, request.name or "")
        params = request.params
        names = [c["name"] for c in pod.get("spec", {}).get("containers", [])]
        container = params.get("container") or (names[0] if len(names) == 1 else "")
        if not container:
            raise _ApiError(
                400,
                "BadRequest",
                f"a container name must be specified for pod {pod['metadata']['name']}, "
                f"choose one of: [{' '.join(names)}]",
            )
        if container not in names:
            raise _ApiError(
                400,
                "BadRequest",
                f"container {container} is not valid for pod {pod['metadata']['name']}",
            )
        total = self._log_count(pod)
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
                if (request.namespace, request.name) not in self._store[PODS]:
                    break
                await response.write(f"{self.log_line(pod, container, n)}\n".encode())
                n += 1
        except ConnectionError:
            pass
        return response

    # ---- scale and metrics -----------------------------------------------------------------
    @staticmethod
    def _scale_of(obj: dict[str, Any]) -> dict[str, Any]:
        meta = obj["metadata"]
        return {
            "apiVersion": "autoscaling/v1",
            "kind": "Scale",
            "metadata": {
                k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion") if k in meta
            },
            "spec": {"replicas": obj.get("spec", {}).get("replicas", 0)},
            # As the CRD's scale subresource maps them: statusReplicasPath .status.replicas,
            # labelSelectorPath .status.selector (absent until the controller wrote it).
            "status": {
                k: v
                for k, v in (
                    ("replicas", obj.get("status", {}).get("replicas", 0)),
                    ("selector", obj.get("status", {}).get("selector")),
                )
                if v is not None
            },
        }

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
            cpu, mem = self.usage.get((ns or "", pod_name), _default_usage(pod_name))
            containers = pod.get("spec", {}).get("containers", []) or [{"name": "main"}]
            share = max(1, len(containers))
            items.append(
                {
                    "apiVersion": "metrics.k8s.io/v1beta1",
                    "kind": "PodMetrics",
                    "metadata": {
                        "name": pod_name,
                        "namespace": ns,
                        "labels": pod["metadata"].get("labels", {}),
                        "creationTimestamp": now_iso(),
                    },
                    "timestamp": now_iso(),
                    "window": "15s",
                    "containers": [
                        {
                            "name": c["name"],
                            "usage": {"cpu": f"{cpu // share}m", "memory": f"{mem // share}Ki"},
                        }
                        for c in containers
                    ],
                }
            )
        if name:
            if not items:
                raise _ApiError(404, "NotFound", f'podmetrics "{name}" not found')
            return items[0]
        return {
            "apiVersion": "metrics.k8s.io/v1beta1",
            "kind": "PodMetricsList",
            "metadata": {},
            "items": items,
        }

    # ---- the PinApp controller and chaos ---------------------------------------------------
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
                or _pod_image(p) != spec.get("image")
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
            if (ns, pod["metadata"]["name"]) in self._store[PODS]:
                self.mutate(PODS, ns, pod["metadata"]["name"], _set_running)
        current = self._store[PODS]
        live = [
            current[(ns, p["metadata"]["name"])]
            for p in pods
            if (ns, p["metadata"]["name"]) in current
        ]
        ready = sum(1 for p in live if _pod_ready(p))
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
                        "apiVersion": f"{GROUP}/{VERSION}",
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
            "status": _pod_status(phase, containers, 0),
        }
        created = self.create(PODS, ns, pod)
        self.add_event(ns, "Pod", created["metadata"]["name"], "Scheduled", "Assigned to node")
        return created

    def add_event(
        self, ns: str, kind: str, name: str, reason: str, message: str, type_: str = "Normal"
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
                "source": {"component": "pinconsole-sandbox"},
            },
        )
        events = self._store[EVENTS]
        if len(events) > 3000:  # events expire in a real cluster too
            for ens, ename in list(events)[:500]:
                self.delete(EVENTS, ens, ename)

    def chaos_tick(self, rng: random.Random, changes: int = 3) -> None:
        """Make a few pods crash or recover and move every running pod's usage."""
        pods = list(self._store[PODS].items())
        for (ns, name), _pod in pods:
            cpu, mem = self.usage.get((ns or "", name), _default_usage(name))
            cpu = max(5, int(cpu * rng.uniform(0.85, 1.17)))
            mem = max(10_000, int(mem * rng.uniform(0.95, 1.06)))
            self.usage[(ns or "", name)] = (min(cpu, 4000), min(mem, 4_000_000))
        for (ns, name), pod in rng.sample(pods, min(changes, len(pods))):
            if pod.get("status", {}).get("phase") != "Running":
                continue
            if _pod_ready(pod) and rng.random() < 0.5:
                self.mutate(PODS, ns, name, _crash)
                self.add_event(
                    ns or "",
                    "Pod",
                    name,
                    "BackOff",
                    "Back-off restarting failed container",
                    "Warning",
                )
            elif not _pod_ready(pod):
                self.mutate(PODS, ns, name, _recover)
                self.add_event(ns or "", "Pod", name, "Started", "Started container")


def _parse_time(stamp: str | None) -> datetime:
    if not stamp:
        return datetime.now(UTC)
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _default_usage(name: str) -> tuple[int, int]:
    digest = hashlib.sha1(name.encode()).digest()
    return 50 + digest[0] * 2, 60_000 + digest[1] * 1000


def _pod_image(pod: dict[str, Any]) -> str | None:
    containers = pod.get("spec", {}).get("containers") or [{}]
    return containers[0].get("image")


def _pod_ready(pod: dict[str, Any]) -> bool:
    for cond in pod.get("status", {}).get("conditions", []):
        if cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


def _pod_status(phase: str, containers: Iterable[dict[str, Any]], restarts: int) -> dict:
    ready = phase == "Running"
    return {
        "phase": phase,
        "startTime": now_iso(),
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        "containerStatuses": [
            {
                "name": c.get("name", "main"),
                "image": c.get("image") or "",
                "imageID": "",
                "ready": ready,
                "restartCount": restarts,
                "state": {"running": {"startedAt": now_iso()}}
                if ready
                else {"waiting": {"reason": "ContainerCreating"}},
            }
            for c in containers
        ],
    }


def _set_running(pod: dict[str, Any]) -> None:
    restarts = sum(c.get("restartCount", 0) for c in pod["status"].get("containerStatuses", []))
    pod["status"] = _pod_status("Running", pod["spec"]["containers"], restarts)


def _crash(pod: dict[str, Any]) -> None:
    pod["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    for cs in pod["status"].get("containerStatuses", []):
        cs["ready"] = False
        cs["restartCount"] = cs.get("restartCount", 0) + 1
        cs["state"] = {"waiting": {"reason": "CrashLoopBackOff"}}


def _recover(pod: dict[str, Any]) -> None:
    pod["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
    for cs in pod["status"].get("containerStatuses", []):
        cs["ready"] = True
        cs["state"] = {"running": {"startedAt": now_iso()}}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Sandbox:
    """An emulator served on loopback from a background thread, with a kubeconfig for clients.

    ``call(fn, *args)`` runs ``fn`` on the emulator's loop (the store is not thread-safe).
    ``restart()`` drops every connection and serves again on the same port, state kept.
    """

    def __init__(
        self,
        emulator: SandboxEmulator | None = None,
        *,
        port: int | None = None,
        kubeconfig: Path | None = None,
        name: str = "sandbox",
    ) -> None:
        self.emulator = emulator if emulator is not None else SandboxEmulator()
        self.port = port or free_port()
        self.name = name
        self.kubeconfig = kubeconfig
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: aiohttp.web.ServerRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Sandbox:
        ready: Future[None] = Future()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._serve())
                ready.set_result(None)
                loop.run_forever()
            except BaseException as exc:  # report start failures to the caller
                if not ready.done():
                    ready.set_exception(exc)
            finally:
                pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
                for task in pending:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.close()

        self._thread = threading.Thread(target=run, name=f"sandbox-{self.port}", daemon=True)
        self._thread.start()
        ready.result(timeout=10)
        if self.kubeconfig is not None:
            self.write_kubeconfig(self.kubeconfig)
        return self

    async def _serve(self) -> None:
        if not self.emulator.active:  # kmock's DSL fallbacks (discovery) need an entered handler
            await self.emulator.__aenter__()
        self.emulator.accepting_watches = True
        self._runner = aiohttp.web.ServerRunner(
            aiohttp.web.Server(self.emulator), handle_signals=False, shutdown_timeout=2.0
        )
        await self._runner.setup()
        site = aiohttp.web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()

    async def _unserve(self) -> None:
        self.emulator.close_watches()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def call(self, fn: Callable[..., Any], *args: Any, timeout: float = 60) -> Any:
        """Run a store function on the emulator's loop and return its result."""
        assert self._loop is not None

        async def wrapper() -> Any:
            return fn(*args)

        return asyncio.run_coroutine_threadsafe(wrapper(), self._loop).result(timeout)

    def pause(self) -> None:
        """Stop serving (connections refused) while keeping the state."""
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(self._unserve(), self._loop).result(10)

    def resume(self) -> None:
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10)

    def restart(self) -> None:
        self.pause()
        self.resume()

    def run_loops(
        self, *, controller_seconds: float = 1.0, chaos_seconds: float | None = 3.0, seed: int = 7
    ) -> None:
        """Start the PinApp controller (and optionally chaos) as tasks on the emulator's loop."""
        assert self._loop is not None
        rng = random.Random(seed)

        async def controller() -> None:
            while True:
                try:
                    self.emulator.reconcile()
                except Exception:
                    log.exception("sandbox controller tick failed")
                await asyncio.sleep(controller_seconds)

        async def chaos() -> None:
            assert chaos_seconds is not None
            while True:
                await asyncio.sleep(chaos_seconds)
                try:
                    self.emulator.chaos_tick(rng)
                except Exception:
                    log.exception("sandbox chaos tick failed")

        def spawn() -> None:
            self._tasks.append(asyncio.ensure_future(controller()))
            if chaos_seconds:
                self._tasks.append(asyncio.ensure_future(chaos()))

        self._loop.call_soon_threadsafe(spawn)

    def stop(self) -> None:
        if self._loop is None:
            return
        loop = self._loop

        async def shutdown() -> None:
            for task in self._tasks:
                task.cancel()
            await self._unserve()
            if self.emulator.active:
                await self.emulator.__aexit__(None, None, None)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self._loop = None

    def write_kubeconfig(self, path: Path) -> Path:
        """A kubeconfig with one context named after the sandbox, pointing at loopback."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": self.name, "cluster": {"server": self.url}}],
            "users": [{"name": self.name, "user": {"token": "sandbox"}}],
            "contexts": [
                {
                    "name": self.name,
                    "context": {"cluster": self.name, "user": self.name, "namespace": "default"},
                }
            ],
            "current-context": self.name,
        }
        path.write_text(yaml.safe_dump(config))
        self.kubeconfig = path
        return path


# ---- demo seeding ------------------------------------------------------------------------------
def pinapp_body(
    name: str,
    *,
    image: str = "registry.pinconsole.dev/demo/app:1.0.0",
    replicas: int = 2,
    tier: str = "on-demand",
    service: str | None = None,
    kubernetes_id: str | None = None,
    team: str | None = None,
    sidecar: bool = False,
) -> dict[str, Any]:
    labels = {KUBE_ID_LABEL: kubernetes_id or name}
    containers: list[dict[str, Any]] = [
        {
            "name": "main",
            "resources": {
                "requests": {"cpu": "250m", "memory": "256Mi"},
                "limits": {"cpu": "1", "memory": "512Mi"},
            },
            "env": [{"name": "LOG_LEVEL", "value": "info"}],
        }
    ]
    if sidecar:  # a second container, so the log view's container choice matters
        containers.append(
            {
                "name": "envoy",
                "image": "registry.pinconsole.dev/platform/envoy:1.31.0",
                "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
            }
        )
    if team:
        labels["pinconsole.io/team"] = team
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "PinApp",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "image": image,
            "replicas": replicas,
            "tier": tier,
            "service": service or f"component:default/{name}",
            "paused": False,
            "ports": [{"name": "http", "containerPort": 8080}],
            "containers": containers,
        },
    }


def pinscaler_body(
    name: str, target: str, min_replicas: int = 2, max_replicas: int = 6
) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "PinScaler",
        "metadata": {"name": name},
        "spec": {
            "targetRef": {"apiVersion": f"{GROUP}/{VERSION}", "kind": "PinApp", "name": target},
            "minReplicas": min_replicas,
            "maxReplicas": max_replicas,
            "metrics": [{"type": "cpu", "targetUtilization": 70}],
            "schedules": [
                {
                    "name": "business-hours",
                    "cron": "0 8 * * 1-5",
                    "duration": "10h",
                    "minReplicas": min_replicas + 1,
                }
            ],
            "cooldownSeconds": 300,
        },
    }


def seed_demo(
    emulator: SandboxEmulator,
    services: Iterable[tuple[str, str, str | None]],
    *,
    rng: random.Random | None = None,
) -> int:
    """Create a PinApp (+ PinScaler for some), its pods and events for each demo service.

    ``services`` yields ``(kubernetes_id, namespace, team)``. Runs on the emulator's loop.
    """
    rng = rng or random.Random(42)
    count = 0
    tiers = ["reserved", "on-demand", "preemptible"]
    for kube_id, namespace, team in services:
        if (None, namespace) not in emulator._store[NAMESPACES]:
            emulator.create(NAMESPACES, None, {"metadata": {"name": namespace}})
        if (namespace, kube_id) in emulator._store[PINAPPS]:
            continue
        replicas = rng.choice([1, 2, 2, 3, 3, 4, 6])
        app = emulator.create(
            PINAPPS,
            namespace,
            pinapp_body(
                kube_id,
                replicas=replicas,
                tier=rng.choice(tiers),
                image=f"registry.pinconsole.dev/{namespace}/{kube_id}:1.{rng.randint(0, 30)}.0",
                team=team,
                sidecar=len(kube_id) % 2 == 0,  # about half, without moving the seeded rng
            ),
        )
        for _ in range(replicas):
            emulator.add_pod(namespace, app)
        if rng.random() < 0.6:
            emulator.create(
                PINSCALERS,
                namespace,
                pinscaler_body(kube_id, kube_id, max(1, replicas - 1), replicas + 4),
            )
        emulator.add_event(
            namespace, "PinApp", kube_id, "ScalingReplicaSet", f"Scaled up to {replicas}"
        )
        count += 1
    emulator.reconcile()
    return count
