"""The Kubernetes ApiClient every cluster call goes through: timeouts from settings, no retries.

The official client waits forever unless a call passes ``_request_timeout``; against a hung API
server a scale blocked for minutes and was applied after the person had given up. Here a call
that passes none gets ``(connect, read)`` from settings, and a write also carries the API
server's ``timeout`` query parameter (as client-go sends it): the server's request-deadline
filter then abandons the write once we stop waiting, rather than applying it later. Retries are
off (``Configuration.retries = 0``): a write is sent once; whoever retries decides so knowingly.
"""

from __future__ import annotations

import re
from typing import Any

from kubernetes import client
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

from pinconsole.settings import get_settings

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_HAS_TIMEOUT = re.compile(r"[?&]timeout=")


def request_timeout(read: float | None = None) -> tuple[float, float]:
    """``(connect, read)`` for ``_request_timeout``; ``read`` defaults to the settings' value."""
    settings = get_settings()
    return (
        settings.kubernetes_connect_timeout_seconds,
        settings.kubernetes_read_timeout_seconds if read is None else read,
    )


def list_timeout() -> tuple[float, float]:
    """For a cache's full list, which may carry every pod of a large cluster."""
    return request_timeout(get_settings().kubernetes_list_timeout_seconds)


class KubeClient(client.ApiClient):
    """An ``ApiClient`` whose calls always have timeouts (see the module docstring)."""

    def call_api(
        self,
        method: str,
        url: str,
        header_params: Any = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: Any = None,
    ) -> Any:
        if _request_timeout is None:
            _request_timeout = request_timeout()
        if method.upper() in WRITES and not _HAS_TIMEOUT.search(url):
            read = _request_timeout[1] if isinstance(_request_timeout, tuple) else _request_timeout
            url += f"{'&' if '?' in url else '?'}timeout={float(read):g}s"
        return super().call_api(
            method,
            url,
            header_params=header_params,
            body=body,
            post_params=post_params,
            _request_timeout=_request_timeout,
        )


def never_sent(exc: BaseException) -> bool:
    """True when ``exc`` proves the request never reached the server (no connection was made).

    Anything else without an HTTP answer (a read timeout, a connection reset after sending) may
    have reached it: for a write, its outcome is unknown.
    """
    reason = exc.reason if isinstance(exc, MaxRetryError) else exc
    # NewConnectionError (refused, unresolvable) is a ConnectTimeoutError in urllib3 2.
    return isinstance(reason, ConnectTimeoutError)
