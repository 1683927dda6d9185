"""Pod logs through the Kubernetes log API: the last N lines, a container, a search, or follow."""

from __future__ import annotations

from collections.abc import Iterator

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines

from pinconsole.compute.clusters import ClusterManager, get_manager
from pinconsole.errors import Invalid, NotFound, Unavailable

MAX_LINES = 5000


def containers_of(
    cluster: str, namespace: str, pod: str, *, manager: ClusterManager | None = None
) -> list[str]:
    """Container names of a pod, from the cache (for the container picker)."""
    cache = (manager or get_manager()).get(cluster)
    info = cache.pods.get((namespace, pod))
    if info is None:
        raise NotFound(f"pod {namespace}/{pod} not found in {cluster}", where="pod")
    return list(info.containers)


def _filter(lines: list[str], search: str | None) -> list[str]:
    if not search:
        return lines
    needle = search.lower()
    return [line for line in lines if needle in line.lower()]


def _error(exc: Exception, pod: str) -> Exception:
    if isinstance(exc, ApiException):
        if exc.status == 404:
            return NotFound(f"pod {pod} not found")
        if exc.status == 400:
            return Invalid(str(exc.body or exc.reason), where="container")
        return Unavailable(f"logs of {pod}: {exc.status} {exc.reason}")
    return Unavailable(f"logs of {pod}: {exc}")


def pod_logs(
    cluster: str,
    namespace: str,
    pod: str,
    container: str | None = None,
    tail_lines: int = 200,
    search: str | None = None,
    *,
    manager: ClusterManager | None = None,
) -> list[str]:
    """The last ``tail_lines`` lines (at most 5,000), filtered by a case-insensitive search."""
    if tail_lines < 1 or tail_lines > MAX_LINES:
        raise Invalid(f"tail_lines must be between 1 and {MAX_LINES}", where="tail_lines")
    cache = (manager or get_manager()).get(cluster)
    core = client.CoreV1Api(cache.api())
    kwargs = {"tail_lines": tail_lines, "_preload_content": False, "_request_timeout": (5, 30)}
    if container:
        kwargs["container"] = container
    try:
        resp = core.read_namespaced_pod_log(pod, namespace, **kwargs)
        text = resp.data.decode("utf-8", errors="replace")
        resp.release_conn()
    except Exception as exc:
        raise _error(exc, pod) from exc
    return _filter(text.splitlines(), search)


def follow_pod_logs(
    cluster: str,
    namespace: str,
    pod: str,
    container: str | None = None,
    tail_lines: int = 50,
    search: str | None = None,
    *,
    manager: ClusterManager | None = None,
) -> Iterator[str]:
    """Yield lines as they are written; closing the generator closes the connection."""
    cache = (manager or get_manager()).get(cluster)
    core = client.CoreV1Api(cache.api())
    kwargs = {
        "follow": True,
        "tail_lines": tail_lines,
        "_preload_content": False,
        "_request_timeout": (5, 3600),
    }
    if container:
        kwargs["container"] = container
    try:
        resp = core.read_namespaced_pod_log(pod, namespace, **kwargs)
    except Exception as exc:
        raise _error(exc, pod) from exc
    needle = search.lower() if search else None
    try:
        for line in iter_resp_lines(resp):
            if needle is None or needle in line.lower():
                yield line
    finally:
        resp.close()
        resp.release_conn()
