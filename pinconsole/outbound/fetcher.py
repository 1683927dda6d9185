"""The one allow-listed HTTP client every outbound read goes through.

Three things a plain ``httpx.get`` gets wrong for URLs that untrusted descriptors name:

- **Where it connects.** The transport resolves the host once, checks every address against the
  allow-list, and connects to a checked address (the URL, Host header and TLS SNI keep the name),
  so a DNS answer cannot change between the check and the connection (rebinding).
- **Redirects.** They are followed here, one hop at a time, each hop checked again against the
  allow-list and the caller's own rule (the location's root), at most ``max_redirects`` of them.
- **Limits and errors.** The body is streamed and cut at ``max_bytes``; one deadline bounds the
  whole read (DNS, connects, redirects, every socket read). Refused, timed out, unresolvable,
  denied by address, TLS or protocol failures all give one message; the log keeps the detail.
"""

from __future__ import annotations

import codecs
import contextvars
import ipaddress
import logging
import socket
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from pinconsole.outbound.allowlist import Allowlist, reading_allowlist
from pinconsole.settings import MB, get_settings, size_text

log = logging.getLogger(__name__)

USER_AGENT = "PinConsole-catalog/0.1"
Resolve = Callable[[str, int], list[str]]

# The deadline of the read in progress (a pooled connection serves several reads).
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "outbound_deadline", default=None
)
_resolver_pool: ThreadPoolExecutor | None = None


class FetchError(Exception):
    """A read that failed; ``str()`` is safe to show to whoever named the URL."""


class _Denied(Exception):
    """An address the allow-list refuses (never retried, reported as unreachable)."""


def unreachable(url: str) -> FetchError:
    """The one answer for everything that would tell an open port from a closed one."""
    return FetchError(f"cannot fetch {url}: not allowed or not reachable")


@dataclass(frozen=True, slots=True)
class FetchLimits:
    max_bytes: int = 20 * MB
    timeout_seconds: float = 30.0
    max_redirects: int = 5
    max_bytes_setting: str = "catalog_reading_max_bytes"  # named when a body is over max_bytes


def _remaining(timeout: float | None = None) -> float | None:
    """``timeout`` shortened to what is left of the current read's deadline."""
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the read's time limit has passed")
    return left if timeout is None else min(timeout, left)


def system_resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (getaddrinfo in a thread, so the deadline holds)."""
    global _resolver_pool
    if _resolver_pool is None:
        _resolver_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="outbound-dns")
    future = _resolver_pool.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=_remaining(30.0))
    except FutureTimeout:
        raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
    except OSError as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read and write stops at the current read's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _remaining(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _remaining(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, _remaining(timeout))
        )

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class PinnedBackend(httpcore.NetworkBackend):
    """Resolves, checks every address, connects to a checked one: no rebinding in between."""

    def __init__(self, allowlist: Allowlist, resolve: Resolve = system_resolve) -> None:
        self._allowlist = allowlist
        self._resolve = resolve
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._resolve(host, port)
        parsed = [ipaddress.ip_address(a.split("%", 1)[0]) for a in addresses]
        denied = [a for a in parsed if not self._allowlist.permits_address(host, port, a)]
        if denied or not addresses:
            # One bad answer spoils the name: a resolver may hand out the others later.
            raise _Denied(f"{host}:{port} resolves to {addresses}, refused: {denied}")
        last: Exception | None = None
        for address in addresses:
            try:
                stream = self._sockets.connect_tcp(
                    address, port, _remaining(timeout), local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
                continue
            return _DeadlineStream(stream)
        assert last is not None
        raise last

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise _Denied("unix sockets are never used for outbound reads")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class PinnedTransport(httpx.HTTPTransport):
    """httpx's transport on a :class:`PinnedBackend`; never through an environment proxy.

    A proxy would connect on our behalf to whatever the name means to it, past the address check.
    """

    def __init__(self, allowlist: Allowlist, resolve: Resolve = system_resolve) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=10,
            max_keepalive_connections=5,
            keepalive_expiry=5.0,
            network_backend=PinnedBackend(allowlist, resolve),
        )


class Fetcher:
    """Reads URLs within the allow-list and limits; one pooled client for a whole pass."""

    def __init__(
        self,
        allowlist: Allowlist,
        limits: FetchLimits | None = None,
        *,
        resolve: Resolve = system_resolve,
    ) -> None:
        self.allowlist = allowlist
        self.limits = limits or FetchLimits()
        timeout = self.limits.timeout_seconds
        self._client = httpx.Client(
            transport=PinnedTransport(allowlist, resolve),
            timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
        )

    @classmethod
    def from_settings(cls) -> Fetcher:
        settings = get_settings()
        # A body the descriptor parser would refuse for its size is not worth reading further.
        if settings.catalog_max_file_bytes < settings.catalog_reading_max_bytes:
            max_bytes, setting = settings.catalog_max_file_bytes, "catalog_max_file_bytes"
        else:
            max_bytes, setting = settings.catalog_reading_max_bytes, "catalog_reading_max_bytes"
        return cls(
            reading_allowlist(),
            FetchLimits(
                max_bytes=max_bytes,
                max_bytes_setting=setting,
                timeout_seconds=settings.catalog_reading_timeout_seconds,
                max_redirects=settings.catalog_reading_max_redirects,
            ),
        )

    def get_text(self, url: str, *, may_redirect_to: Callable[[str], bool] | None = None) -> str:
        """The body of ``url`` as text; redirects only to URLs ``may_redirect_to`` accepts.

        Raises :class:`FetchError` with a message for people. HTTP statuses of an allowed host
        are shown (a 404 is what a catalog author needs to fix a location): only allow-listed
        addresses are ever contacted, so a status maps nothing the allow-list hides.
        """
        with self._deadline():
            current = url
            for _hop in range(self.limits.max_redirects + 1):
                refusal = self.allowlist.refusal(current)
                if refusal is not None:
                    if current == url:
                        raise FetchError(f"cannot fetch {url}: {refusal}")
                    log.warning("outbound read of %s: redirect to %s refused", url, current)
                    raise FetchError(
                        f"cannot fetch {url}: it redirects outside the reading allow-list"
                    )
                if current != url and may_redirect_to is not None and not may_redirect_to(current):
                    log.warning("outbound read of %s: redirect to %s left the root", url, current)
                    raise FetchError(f"cannot fetch {url}: it redirects outside the location root")
                with self._request(url, current) as response:
                    if response.is_redirect:
                        current = str(response.url.join(response.headers["location"]))
                        continue
                    if not response.is_success:
                        raise FetchError(f"cannot fetch {url}: HTTP {response.status_code}")
                    body = self._body(url, response)
                    return body.decode(_charset(response), errors="replace")
            raise FetchError(f"cannot fetch {url}: more than {self.limits.max_redirects} redirects")

    @contextmanager
    def _deadline(self) -> Iterator[None]:
        token = _deadline.set(time.monotonic() + self.limits.timeout_seconds)
        try:
            yield
        finally:
            _deadline.reset(token)

    @contextmanager
    def _request(self, url: str, current: str) -> Iterator[httpx.Response]:
        try:
            with self._client.stream("GET", current) as response:
                yield response
        except FetchError:
            raise
        except (httpx.HTTPError, httpcore.TimeoutException, _Denied, OSError) as exc:
            log.warning(
                "outbound read of %s (at %s) failed: %s: %s", url, current, type(exc).__name__, exc
            )
            raise unreachable(url) from None

    def _body(self, url: str, response: httpx.Response) -> bytes:
        limit = self.limits.max_bytes
        too_large = FetchError(
            f"cannot fetch {url}: the response is more than the limit of {size_text(limit)} "
            f"({self.limits.max_bytes_setting}); refused"
        )
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            raise too_large
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding in ("gzip", "x-gzip", "deflate"):
            inflate: Any = zlib.decompressobj(wbits=47)  # gzip or zlib header
        elif encoding in ("", "identity"):
            inflate = None
        else:
            raise FetchError(f"cannot fetch {url}: unsupported content encoding {encoding!r}")
        out = bytearray()
        try:
            for chunk in response.iter_raw():
                # Inflate at most what still fits: a small compressed body cannot blow up.
                out += inflate.decompress(chunk, limit + 1 - len(out)) if inflate else chunk
                if len(out) > limit:
                    raise too_large
        except zlib.error as exc:
            raise FetchError(f"cannot fetch {url}: cannot decode the {encoding} body") from exc
        return bytes(out)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _charset(response: httpx.Response) -> str:
    name = response.charset_encoding or "utf-8"
    try:
        codecs.lookup(name)
    except LookupError:
        return "utf-8"
    return name
