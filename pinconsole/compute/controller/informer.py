"""A list-then-watch loop keeping a local copy of one resource kind, as client-go's informers do.

The controller reads only these copies (never lists on a reconcile). Each informer lists once,
then watches from the list's resourceVersion with bookmarks; a dropped watch reconnects from the
last version with exponential backoff (tenacity), ``410 Gone`` relists, and a relist reports
what vanished meanwhile as deletions, so a handler sees every object come and go.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from kubernetes.client.exceptions import ApiException
from tenacity import RetryCallState, wait_exponential_jitter

from pinconsole.compute.kubeclient import list_timeout, request_timeout
from pinconsole.compute.watch import watch_events

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (namespace, name)
# (event type, object): ADDED, MODIFIED or DELETED
Handler = Callable[[str, dict[str, Any]], None]


class Informer:
    """The watched copy of one kind. ``list_call(**kwargs)`` starts a list or watch request
    (``_preload_content=False``) and returns the raw response."""

    def __init__(
        self,
        name: str,
        list_call: Callable[..., Any],
        handler: Handler,
        *,
        watch_timeout: int = 240,
        max_backoff: float = 30.0,
    ) -> None:
        self.name = name
        self.list_call = list_call
        self.handler = handler
        self.watch_timeout = watch_timeout
        self.max_backoff = max_backoff
        self.store: dict[Key, dict[str, Any]] = {}
        self.lock = threading.Lock()
        self.synced = threading.Event()
        self.resource_version: str | None = None
        self.error: str | None = None
        self._failures = 0
        self._stop = threading.Event()
        self._response: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> Informer:
        self._thread = threading.Thread(target=self._run, name=f"informer-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        response = self._response
        if response is not None:
            with contextlib.suppress(Exception):  # a half-dead socket may refuse; we leave anyway
                response.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def get(self, namespace: str, name: str) -> dict[str, Any] | None:
        with self.lock:
            return self.store.get((namespace, name))

    def items(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.store.values())

    # ---- the loop -------------------------------------------------------------------------
    def _run(self) -> None:
        wait = wait_exponential_jitter(multiplier=0.2, max=self.max_backoff, jitter=0.2)
        while not self._stop.is_set():
            try:
                if self.resource_version is None:
                    self._list()
                self._watch()
            except ApiException as exc:
                if exc.status == 410:
                    self.resource_version = None
                    continue
                self._failed(f"{exc.status} {exc.reason}", wait)
            except Exception as exc:  # network errors: back off and try again
                if self._stop.is_set():
                    return
                self._failed(f"{type(exc).__name__}: {exc}"[:300], wait)

    def _failed(self, error: str, wait: Any) -> None:
        self._failures += 1
        if self.error is None:
            log.warning("informer %s failing: %s", self.name, error)
        self.error = error
        state = RetryCallState(None, None, (), {})
        state.attempt_number = self._failures
        self._stop.wait(wait(state))

    def _list(self) -> None:
        resp = self.list_call(_request_timeout=list_timeout(), _preload_content=False)
        try:
            data = json.loads(resp.data)
        finally:
            resp.release_conn()
        fresh = {_key(obj): obj for obj in data.get("items") or []}
        with self.lock:
            before, self.store = self.store, fresh
        for key, obj in before.items():
            if key not in fresh:
                self.handler("DELETED", obj)
        for key, obj in fresh.items():
            old = before.get(key)
            if old is None or _version(old) != _version(obj):
                self.handler("ADDED" if old is None else "MODIFIED", obj)
        self.resource_version = (data.get("metadata") or {}).get("resourceVersion")
        self.synced.set()

    def _watch(self) -> None:
        resp = self.list_call(
            watch=True,
            resource_version=self.resource_version,
            timeout_seconds=self.watch_timeout,
            allow_watch_bookmarks=True,
            _request_timeout=request_timeout(self.watch_timeout + 30),
            _preload_content=False,
        )
        self._response = resp
        self.error, self._failures = None, 0
        try:
            for etype, obj in watch_events(resp, self._stop.is_set):
                if etype in ("ADDED", "MODIFIED", "DELETED"):
                    with self.lock:
                        if etype == "DELETED":
                            self.store.pop(_key(obj), None)
                        else:
                            self.store[_key(obj)] = obj
                    self.handler(etype, obj)
                version = (obj.get("metadata") or {}).get("resourceVersion")
                if version:
                    self.resource_version = version
        finally:
            self._response = None
            resp.release_conn()


def _key(obj: dict[str, Any]) -> Key:
    meta = obj.get("metadata") or {}
    return (meta.get("namespace") or "", meta.get("name") or "")


def _version(obj: dict[str, Any]) -> str | None:
    return (obj.get("metadata") or {}).get("resourceVersion")
