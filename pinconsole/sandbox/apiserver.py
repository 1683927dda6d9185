"""An API server's storage semantics on top of kmock's ``KubernetesEmulator``.

kmock 0.8 keeps objects without resourceVersions, replays every object on each watch and has no
410, PUT or label selectors. PinCompute's cache depends on exactly those, so ``ApiServer`` serves
resource requests from its own resourceVersion-aware store (objects, an event log for resumable
watches, 410 after compaction) and keeps kmock's discovery endpoints. It knows no kind in
particular: what a cluster's nodes and controllers add lives in ``cluster``.

Deletion follows the API server: an object with finalizers is only marked
(``deletionTimestamp``) and goes when an update empties them; ``propagationPolicy`` Foreground
and Orphan add the ``foregroundDeletion`` and ``orphan`` finalizers the garbage collector
(``sandbox.gc``) acts on, Background (the default) deletes at once and leaves the dependents to
it; ``preconditions`` (uid, resourceVersion) that no longer hold are a 409. Built-in kinds are
defaulted and validated on every write (``sandbox.builtins``).

Store methods (``create``, ``get``, ``update``, ``mutate``, ``delete``, ``compact``) are not
thread-safe: call them on the emulator's loop (``Sandbox.call``).
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

import aiohttp.web
import attrs
import kmock

from pinconsole.compute.selectors import matches, parse_selector
from pinconsole.sandbox.builtins import admit
from pinconsole.sandbox.protocol import ApiError, fields_match, json_patch, merge_patch, now_iso
from pinconsole.sandbox.resources import KINDS, load_schemas

log = logging.getLogger(__name__)

ObjKey = tuple[str | None, str]  # (namespace, name); namespace None for cluster-scoped kinds

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"
POLICY_FINALIZERS = {"Foreground": FOREGROUND, "Orphan": ORPHAN}


@attrs.define(eq=False)
class _Watcher:
    resource: str
    namespace: str | None
    selector: tuple[Any, ...]
    name: str | None
    queue: asyncio.Queue[bytes | None]


@attrs.define(kw_only=True)
class ApiServer(kmock.KubernetesEmulator):
    """A KubernetesEmulator with resourceVersions, resumable watches, 410, PUT, subresources."""

    event_log_size: int = 20_000
    validate: bool = True
    deny_namespaces: set[str] = attrs.field(factory=set)  # writes here get 403 (RBAC stand-in)
    accepting_watches: bool = attrs.field(default=True, init=False)
    # A network partition stand-in: while set, requests are accepted but never answered.
    frozen: bool = attrs.field(default=False, init=False)

    _store: dict[str, dict[ObjKey, dict[str, Any]]] = attrs.field(factory=dict, init=False)
    _rv: int = attrs.field(default=1, init=False)
    _event_log: deque[tuple[int, str, dict[str, Any], bytes]] = attrs.field(
        factory=deque, init=False
    )
    _floor_rv: int = attrs.field(default=0, init=False)
    _watchers: set[_Watcher] = attrs.field(factory=set, init=False)
    _schemas: dict[str, dict[str, Any]] = attrs.field(factory=dict, init=False)
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
        self._event_log = deque(maxlen=self.event_log_size)
        if self.validate:
            self._schemas = load_schemas()

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
                if self._serves(key):
                    return await self._serve(request, key)
                raise ApiError(404, "NotFound", f"the server could not find {key}")
            except ApiError as exc:
                return aiohttp.web.json_response(exc.status(), status=exc.code)
        return await super()._handle(request)

    def _serves(self, key: str) -> bool:
        """Whether this server answers for resource ``key`` (subclasses add read-only APIs)."""
        return key in self._store

    async def _serve(self, request: kmock.Request, key: str) -> aiohttp.web.StreamResponse:
        method, name, sub = request.method.value, request.name, request.subresource
        params = request.params
        if method != "GET" and request.namespace in self.deny_namespaces:
            raise ApiError(
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
            raise ApiError(405, "MethodNotAllowed", f"{method} on a collection")
        if sub not in (None, "status", "scale"):  # e.g. pods/log, which only GET reaches
            raise ApiError(405, "MethodNotAllowed", f"{method} on {sub} is not supported")
        if method == "GET":
            obj = self.get(key, request.namespace, name)
            return self._json(self._scale_of(obj) if sub == "scale" else obj)
        if method == "DELETE":
            options = request.data if isinstance(request.data, dict) else {}
            policy = options.get("propagationPolicy") or params.get("propagationPolicy")
            preconditions = options.get("preconditions") or {}
            return self._json(
                self.delete(
                    key, request.namespace, name, policy=policy, preconditions=preconditions
                )
            )
        if method in ("PUT", "PATCH"):
            data = request.data
            ctype = request.headers.get("Content-Type", "")
            obj = self.update(key, request.namespace, name, data, sub, method, ctype)
            return self._json(self._scale_of(obj) if sub == "scale" else obj)
        raise ApiError(405, "MethodNotAllowed", f"{method} is not supported")

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
            raise ApiError(422, "Invalid", "; ".join(errors))

    def create(self, key: str, namespace: str | None, body: dict[str, Any]) -> dict[str, Any]:
        """Create an object: fill namespace, uid, resourceVersion, creationTimestamp."""
        obj = copy.deepcopy(body)
        meta = obj.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
        name = meta.get("name")
        if not name:
            raise ApiError(422, "Invalid", "metadata.name: Required value")
        kind, api_version, namespaced, _subs = KINDS[key]
        ns = (namespace or meta.get("namespace") or "default") if namespaced else None
        if (ns, name) in self._store[key]:
            raise ApiError(409, "AlreadyExists", f'{kind} "{name}" already exists')
        obj.setdefault("apiVersion", api_version)
        obj.setdefault("kind", kind)
        if ns is not None:
            meta["namespace"] = ns
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", now_iso())
        meta["generation"] = 1
        meta.pop("deletionTimestamp", None)  # a client cannot create an object being deleted
        admit(key, obj, None)
        if self.validate:
            self._validate(key, obj)
        meta["resourceVersion"] = self._bump()
        self._store[key][(ns, name)] = obj
        self._emit(key, "ADDED", obj)
        return obj

    def exists(self, key: str, namespace: str | None, name: str) -> bool:
        return (namespace if KINDS[key].namespaced else None, name) in self._store[key]

    def get(self, key: str, namespace: str | None, name: str) -> dict[str, Any]:
        obj = self._store[key].get((namespace if KINDS[key].namespaced else None, name))
        if obj is None:
            raise ApiError(404, "NotFound", f'{KINDS[key].kind} "{name}" not found')
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
        has_status = "status" in KINDS[key].subresources
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
                if "status" in current and has_status:
                    new["status"] = copy.deepcopy(current["status"])
        elif isinstance(data, list) or "json-patch" in content_type:
            new = json_patch(new, data)
            expected = new["metadata"].get("resourceVersion")
            if expected == current["metadata"]["resourceVersion"]:
                expected = None
        else:
            if subresource == "status":
                data = {"status": data.get("status")} if "status" in data else {}
            expected = (data.get("metadata") or {}).get("resourceVersion")
            merge_patch(new, data)
        if has_status:
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
            raise ApiError(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {key.rsplit("/", 1)[-1]} "{name}": '
                "the object has been modified; please apply your changes to the latest version "
                "and try again",
            )
        meta = new["metadata"]
        for field in (
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
        ):
            if field in current["metadata"]:  # set by the server alone, whatever a client sends
                meta[field] = current["metadata"][field]
            else:
                meta.pop(field, None)
        if subresource is None:
            admit(key, new, current)  # defaults first: a write that omits them changes nothing
        meta["generation"] = current["metadata"].get("generation", 1)
        if new.get("spec") != current.get("spec"):
            meta["generation"] += 1
        if self.validate:
            self._validate(key, new)
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            return self._remove(key, new)  # the last finalizer is gone: now it is deleted
        meta["resourceVersion"] = current["metadata"]["resourceVersion"]
        if new == current:  # as etcd's guaranteed update: nothing changed, no new version
            return current
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
        if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
            return self._remove(key, new)
        return self._replace(key, new)

    def delete(
        self,
        key: str,
        namespace: str | None,
        name: str,
        *,
        policy: str | None = None,
        preconditions: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Delete as the API server does: marked while finalizers remain, else gone at once.

        ``policy`` Foreground or Orphan adds its finalizer for the garbage collector;
        Background (or None) leaves the dependents to it after the owner is gone.
        """
        obj = self.get(key, namespace, name)
        meta = obj["metadata"]
        for field, value in (preconditions or {}).items():
            if value is not None and meta.get(field) != value:
                raise ApiError(
                    409,
                    "Conflict",
                    f'Operation cannot be fulfilled on {key.rsplit("/", 1)[-1]} "{name}": '
                    f"Precondition failed: {field.upper() if field == 'uid' else field}: "
                    f"{value}, {meta.get(field)}",
                )
        if policy not in (None, "Background", "Foreground", "Orphan"):
            raise ApiError(422, "Invalid", f"propagationPolicy: Unsupported value: {policy!r}")
        finalizers = list(meta.get("finalizers") or [])
        extra = POLICY_FINALIZERS.get(policy or "")
        if extra and meta.get("deletionTimestamp") is None:
            finalizers = [f for f in finalizers if f not in POLICY_FINALIZERS.values()] + [extra]
        if not finalizers:
            return self._remove(key, obj)
        if meta.get("deletionTimestamp") is not None and meta.get("finalizers") == finalizers:
            return obj  # already being deleted: nothing changes

        def mark(o: dict[str, Any]) -> None:
            o["metadata"].setdefault("deletionTimestamp", now_iso())
            o["metadata"]["deletionGracePeriodSeconds"] = 0
            o["metadata"]["finalizers"] = finalizers

        return self.mutate(key, namespace, name, mark)

    def _remove(self, key: str, obj: dict[str, Any]) -> dict[str, Any]:
        meta = obj["metadata"]
        del self._store[key][(meta.get("namespace"), meta["name"])]
        gone = copy.deepcopy(obj)
        gone["metadata"]["resourceVersion"] = self._bump()
        self._emit(key, "DELETED", gone)
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
            and fields_match(obj, fields)
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
                status = ApiError(
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

    # ---- the scale subresource -------------------------------------------------------------
    @staticmethod
    def _scale_of(obj: dict[str, Any]) -> dict[str, Any]:
        meta = obj["metadata"]
        selector = obj.get("status", {}).get("selector")
        match = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels")
        if match:  # apps/v1 kinds: the selector comes from the spec, as a string
            selector = ",".join(f"{k}={v}" for k, v in sorted(match.items()))
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
                    ("selector", selector),
                )
                if v is not None
            },
        }
