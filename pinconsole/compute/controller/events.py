"""Kubernetes Events for what the controller did, shown on the PinApp page with its pods'.

core/v1 Events on the PinApp or PinScaler (``involvedObject``), from the component
``pinconsole-controller``, as client-go's recorder writes them: the same event about the same
object again within ``repeat_seconds`` is not written twice, and later repeats raise the first
one's ``count``. Events are best effort: failing to write one never fails a reconcile.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cachetools import LRUCache
from kubernetes import client

from pinconsole.compute.constants import CONTROLLER_COMPONENT

log = logging.getLogger(__name__)


class EventRecorder:
    def __init__(self, api: client.ApiClient, *, repeat_seconds: float = 600.0) -> None:
        self.api = api
        self.repeat_seconds = repeat_seconds
        self.written = 0
        self._seen: LRUCache[tuple[str, ...], tuple[str, int, float]] = LRUCache(maxsize=10_000)
        self._lock = threading.Lock()

    def record(self, obj: Mapping[str, Any], type_: str, reason: str, message: str) -> None:
        meta = obj["metadata"]
        ns = meta["namespace"]
        key = (ns, obj["kind"], meta["name"], meta.get("uid", ""), reason, message)
        now = time.monotonic()
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self._lock:
            seen = self._seen.get(key)
            if seen is not None and now - seen[2] < self.repeat_seconds:
                return
            name = seen[0] if seen else f"{meta['name']}.{uuid.uuid4().hex[:16]}"
            count = seen[1] + 1 if seen else 1
            self._seen[key] = (name, count, now)
        core = client.CoreV1Api(self.api)
        try:
            if seen is not None:
                core.patch_namespaced_event(
                    name, ns, {"count": count, "lastTimestamp": stamp}, _preload_content=False
                ).release_conn()
            else:
                core.create_namespaced_event(
                    ns,
                    {
                        "metadata": {"name": name, "namespace": ns},
                        "involvedObject": {
                            "apiVersion": obj["apiVersion"],
                            "kind": obj["kind"],
                            "name": meta["name"],
                            "namespace": ns,
                            "uid": meta.get("uid"),
                            "resourceVersion": meta.get("resourceVersion"),
                        },
                        "type": type_,
                        "reason": reason,
                        "message": message,
                        "count": 1,
                        "firstTimestamp": stamp,
                        "lastTimestamp": stamp,
                        "source": {"component": CONTROLLER_COMPONENT},
                        "reportingComponent": CONTROLLER_COMPONENT,
                    },
                    _preload_content=False,
                ).release_conn()
            self.written += 1
        except Exception as exc:  # an event is never worth failing a reconcile for
            log.debug("event %s on %s/%s not written: %s", reason, ns, meta["name"], exc)
