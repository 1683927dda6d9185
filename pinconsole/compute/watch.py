"""Reading a Kubernetes watch stream: one decoded event per line, an ERROR event raised.

Shared by the console's cluster caches and the controller's informers, which both list, then
watch from the list's resourceVersion.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines


def watch_events(resp: Any, stopped: Callable[[], bool]) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(type, object)`` of each event of a raw watch response until it ends or ``stopped()``;
    an ERROR event (410 Gone after compaction, among others) is raised as ``ApiException``."""
    for line in iter_resp_lines(resp):
        if stopped():
            return
        if not line:
            continue
        event = json.loads(line)
        etype, obj = event.get("type"), event.get("object") or {}
        if etype == "ERROR":
            raise ApiException(status=obj.get("code", 500), reason=obj.get("message"))
        yield etype, obj
