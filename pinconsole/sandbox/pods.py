"""What the nodes of the sandbox make up about pods: states, log lines and resource usage.

Pure functions over pod objects, so the emulator's routes and controller share one picture: a
pod is Running and Ready, Pending while it starts, or in CrashLoopBackOff with a restart more;
its containers write one deterministic access-log line a second; its usage drifts from a value
derived from its name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from pinconsole.sandbox.protocol import ApiError, now_iso, parse_time

# A new pod's log already holds this many lines, written one a second before it was created.
BACKLOG_LINES = 200


# A pod with a CPU request uses this share of it, give or take: within the HPA's 10% tolerance
# of a 70% target, so the demo's HPAs hold still until someone changes a PinScaler.
REQUEST_SHARE = (0.64, 0.76)


def cpu_request(pod: dict[str, Any]) -> float:
    """The pod's CPU request in millicores (0 without one)."""
    from pinconsole.compute.quantities import parse_cpu

    return sum(
        parse_cpu(((c.get("resources") or {}).get("requests") or {}).get("cpu"))
        for c in (pod.get("spec") or {}).get("containers") or []
    )


def default_usage(name: str, request: float = 0.0) -> tuple[int, int]:
    """A pod's starting (millicores, KiB), stable per name: a share of its CPU request in
    ``REQUEST_SHARE``, or 50-560 millicores without one."""
    digest = hashlib.sha1(name.encode()).digest()
    low, high = REQUEST_SHARE
    cpu = int(request * (low + (high - low) * digest[0] / 255)) if request else 50 + digest[0] * 2
    return max(1, cpu), 60_000 + digest[1] * 1000


def drift_cpu(cpu: int, request: float, factor: float) -> int:
    """Usage moved by ``factor``, kept within ``REQUEST_SHARE`` of a request when there is one."""
    moved = max(5, int(cpu * factor))
    if request:
        low, high = REQUEST_SHARE
        return int(min(max(moved, request * low), request * high))
    return min(moved, 4000)


def pod_image(pod: dict[str, Any]) -> str | None:
    containers = pod.get("spec", {}).get("containers") or [{}]
    return containers[0].get("image")


def pod_ready(pod: dict[str, Any]) -> bool:
    for cond in pod.get("status", {}).get("conditions", []):
        if cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


def pod_status(phase: str, containers: Iterable[dict[str, Any]], restarts: int) -> dict:
    """A pod's status in ``phase`` (Running is Ready; anything else is still creating)."""
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


def set_running(pod: dict[str, Any]) -> None:
    restarts = sum(c.get("restartCount", 0) for c in pod["status"].get("containerStatuses", []))
    pod["status"] = pod_status("Running", pod["spec"]["containers"], restarts)


def crash(pod: dict[str, Any]) -> None:
    pod["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    for cs in pod["status"].get("containerStatuses", []):
        cs["ready"] = False
        cs["restartCount"] = cs.get("restartCount", 0) + 1
        cs["state"] = {"waiting": {"reason": "CrashLoopBackOff"}}


def recover(pod: dict[str, Any]) -> None:
    pod["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
    for cs in pod["status"].get("containerStatuses", []):
        cs["ready"] = True
        cs["state"] = {"running": {"startedAt": now_iso()}}


# ---- pods/log ----------------------------------------------------------------------------------
def log_container(pod: dict[str, Any], requested: str | None) -> str:
    """The container a log request reads, refused as the API server refuses it."""
    names = [c["name"] for c in pod.get("spec", {}).get("containers", [])]
    container = requested or (names[0] if len(names) == 1 else "")
    if not container:
        raise ApiError(
            400,
            "BadRequest",
            f"a container name must be specified for pod {pod['metadata']['name']}, "
            f"choose one of: [{' '.join(names)}]",
        )
    if container not in names:
        raise ApiError(
            400,
            "BadRequest",
            f"container {container} is not valid for pod {pod['metadata']['name']}",
        )
    return container


def log_line(pod: dict[str, Any], container: str, n: int, seed: int = 0) -> str:
    """A deterministic, plausible access-log line number ``n`` of a container."""
    digest = hashlib.sha1(f"{pod['metadata']['name']}/{container}/{n}".encode()).digest()
    paths = ["/api/pins", "/api/boards", "/healthz", "/api/search", "/api/users/me"]
    levels = ["INFO"] * 8 + ["WARN", "ERROR"]
    # Line n was written n seconds after the log began, BACKLOG_LINES s before the pod was
    # created (``log_count`` grows by one line a second), so the last line is about now.
    start = parse_time(pod["metadata"].get("creationTimestamp")) + timedelta(
        seconds=n - BACKLOG_LINES - seed
    )
    status = 500 if levels[digest[1] % 10] == "ERROR" else 200
    return (
        f"{start:%Y-%m-%dT%H:%M:%SZ} {levels[digest[1] % 10]} {container} "
        f"GET {paths[digest[0] % len(paths)]} status={status} latency_ms={digest[2]}"
    )


def log_count(pod: dict[str, Any], seed: int = 0) -> int:
    """How many lines a container of ``pod`` has written by now."""
    age = datetime.now(UTC) - parse_time(pod["metadata"].get("creationTimestamp"))
    return BACKLOG_LINES + int(age.total_seconds()) + seed


# ---- metrics.k8s.io ----------------------------------------------------------------------------
def pod_metrics(pod: dict[str, Any], cpu_millicores: int, memory_kib: int) -> dict[str, Any]:
    """A PodMetrics object, the pod's usage shared evenly between its containers."""
    meta = pod["metadata"]
    containers = pod.get("spec", {}).get("containers", []) or [{"name": "main"}]
    share = max(1, len(containers))
    return {
        "apiVersion": "metrics.k8s.io/v1beta1",
        "kind": "PodMetrics",
        "metadata": {
            "name": meta["name"],
            "namespace": meta.get("namespace"),
            "labels": meta.get("labels", {}),
            "creationTimestamp": now_iso(),
        },
        "timestamp": now_iso(),
        "window": "15s",
        "containers": [
            {
                "name": c["name"],
                "usage": {
                    "cpu": f"{cpu_millicores // share}m",
                    "memory": f"{memory_kib // share}Ki",
                },
            }
            for c in containers
        ],
    }
