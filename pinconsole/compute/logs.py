"""Pod logs through the Kubernetes log API: the last N lines, a container, a search, or follow."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines

from pinconsole.compute.clusters import ClusterManager, get_manager
from pinconsole.compute.kubeclient import request_timeout
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


def _first_container(cache: Any, namespace: str, pod: str) -> str | None:
    info = cache.pods.get((namespace, pod))
    return info.containers[0] if info is not None and info.containers else None


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
    """The last ``tail_lines`` lines (at most 5,000), filtered by a case-insensitive search.

    Without ``container`` the pod's first container is read (the API server would refuse a pod
    with several)."""
    if tail_lines < 1 or tail_lines > MAX_LINES:
        raise Invalid(f"tail_lines must be between 1 and {MAX_LINES}", where="tail_lines")
    cache = (manager or get_manager()).get(cluster)
    container = container or _first_container(cache, namespace, pod)
    core = client.CoreV1Api(cache.api())
    kwargs = {
        "tail_lines": tail_lines,
        "_preload_content": False,
        "_request_timeout": request_timeout(),
    }
    if container:
        kwargs["container"] = container
    try:
        resp = core.read_namespaced_pod_log(pod, namespace, **kwargs)
        try:
            text = resp.data.decode("utf-8", errors="replace")
        finally:
            resp.release_conn()
    except Exception as exc:
        raise _error(exc, pod) from exc
    return _filter(text.splitlines(), search)


class LogStream:
    """Lines of a followed pod log. ``close()`` may be called from any thread: it shuts the
    socket down, so a reader blocked on a quiet pod returns at once instead of holding a thread
    until the request times out."""

    def __init__(self, resp: Any, search: str | None) -> None:
        self._resp = resp
        self._needle = search.lower() if search else None
        self._lines = iter_resp_lines(resp)
        self.closed = False

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        while True:
            if self.closed:
                raise StopIteration
            try:
                line = next(self._lines)
            except StopIteration:
                self.close()
                raise
            except Exception:
                if self.closed:  # the socket was shut down under the reader
                    raise StopIteration from None
                raise
            if self._needle is None or self._needle in line.lower():
                return line

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(Exception):
            self._resp.shutdown()
        with contextlib.suppress(Exception):
            self._resp.close()
            self._resp.release_conn()


def follow_pod_logs(
    cluster: str,
    namespace: str,
    pod: str,
    container: str | None = None,
    tail_lines: int = 50,
    search: str | None = None,
    *,
    manager: ClusterManager | None = None,
) -> LogStream:
    """Lines as they are written (after the last ``tail_lines``); ``close()`` ends the stream."""
    cache = (manager or get_manager()).get(cluster)
    container = container or _first_container(cache, namespace, pod)
    core = client.CoreV1Api(cache.api())
    kwargs = {
        "follow": True,
        "tail_lines": tail_lines,
        "_preload_content": False,
        "_request_timeout": request_timeout(3600),
    }
    if container:
        kwargs["container"] = container
    try:
        resp = core.read_namespaced_pod_log(pod, namespace, **kwargs)
    except Exception as exc:
        raise _error(exc, pod) from exc
    return LogStream(resp, search)
