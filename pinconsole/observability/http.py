"""The HTTP part both clients share: auth and timeouts from an instance's settings, and every
transport failure turned into a typed error naming the instance.

Timeouts are separate on purpose: a server that is down fails within the connect timeout (a
clear "unreachable"), while a slow query gets the whole read timeout.
"""

from __future__ import annotations

from typing import Any, Self

import httpx

from pinconsole.errors import NotFound, Unavailable
from pinconsole.observability.errors import (
    QueryFailed,
    QueryTimeout,
    SourceError,
    SourceUnreachable,
)
from pinconsole.settings import MonitoringInstance


class InstanceClient:
    """One httpx client per instance; use ``async with`` or call ``aclose()``."""

    def __init__(self, instance: MonitoringInstance) -> None:
        self.instance = instance
        self._http = make_client(instance)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()


def make_client(instance: MonitoringInstance) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` for one instance (base URL, auth, timeouts)."""
    headers = {"Accept": "application/json", "User-Agent": "PinConsole"}
    auth: httpx.Auth | None = None
    if instance.bearer_token:
        headers["Authorization"] = f"Bearer {instance.bearer_token}"
    elif instance.basic_auth_user:
        auth = httpx.BasicAuth(instance.basic_auth_user, instance.basic_auth_password or "")
    timeout = httpx.Timeout(
        instance.read_timeout_seconds,
        connect=instance.connect_timeout_seconds,
        pool=instance.connect_timeout_seconds,
    )
    return httpx.AsyncClient(
        base_url=instance.url.rstrip("/"), headers=headers, auth=auth, timeout=timeout
    )


async def send(
    client: httpx.AsyncClient,
    instance: MonitoringInstance,
    kind: str,
    method: str,
    path: str,
    **kwargs: Any,
) -> httpx.Response:
    """Send one request; the transport's failures come back as SourceError subclasses."""
    try:
        return await client.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        raise _typed(exc, instance, kind) from exc


def _typed(exc: httpx.HTTPError, instance: MonitoringInstance, kind: str) -> Exception:
    url, detail = instance.url, str(exc) or type(exc).__name__
    error: type[SourceError]
    if isinstance(exc, httpx.ConnectTimeout):
        error, text = (
            SourceUnreachable,
            f"no connection to {url} within {instance.connect_timeout_seconds:g} s",
        )
    elif isinstance(exc, httpx.TimeoutException):
        error, text = (
            QueryTimeout,
            f"no answer from {url} within {instance.read_timeout_seconds:g} s",
        )
    elif isinstance(exc, httpx.ConnectError):
        error, text = SourceUnreachable, f"cannot connect to {url}: {detail}"
    else:
        error, text = QueryFailed, f"request to {url} failed: {detail}"
    return error(text, instance=instance.name, kind=kind)


def refused_credentials(response: httpx.Response, instance: MonitoringInstance, kind: str) -> None:
    """401/403 say the configured credentials are wrong: say so rather than "failed"."""
    if response.status_code in (401, 403):
        raise QueryFailed(
            f"{instance.url} refused the configured credentials (HTTP {response.status_code})",
            instance=instance.name,
            kind=kind,
        )


def pick_instance(
    instances: list[MonitoringInstance], name: str | None, setting: str, kind: str
) -> MonitoringInstance:
    """The instance called ``name``, or the first configured one."""
    if not instances:
        raise Unavailable(f"no {kind} is configured: set {setting} (docs/observability.md)")
    if name is None:
        return instances[0]
    for instance in instances:
        if instance.name == name:
            return instance
    known = ", ".join(i.name for i in instances)
    raise NotFound(f"no {kind} instance named {name!r} (configured: {known})", where=setting)
