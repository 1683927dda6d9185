"""The real backend's network boundaries: where `pinconsole serve` listens, which Origins may open
the state websocket, and whose user header it believes (header mode)."""

from __future__ import annotations

import socket
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import socketio
from fixtures.reflex_ws import APP_STATE, demo_env, serving


@pytest.fixture(scope="module")
def backend() -> Iterator[int]:
    """`pinconsole serve --backend-only` as an operator starts it: header mode, no --host; the
    only trusted proxy is an address these tests never connect from."""
    work = Path(tempfile.mkdtemp(prefix="pc-boundaries-"))
    env = demo_env(
        work,
        PINCONSOLE_AUTH_MODE="header",
        PINCONSOLE_TRUSTED_PROXIES='["10.9.9.9"]',
        PINCONSOLE_JOBS_ENABLED="false",
        PINCONSOLE_SANDBOX_CLUSTER="false",
    )
    with serving(env, seed=False) as running:
        yield running.port


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on ``port`` (from /proc/net/tcp{,6})."""
    found = set()
    for table, size in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 16)):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state != "0A" or int(hex_port, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address)
            # The kernel prints each 32-bit word in host (little-endian) order.
            words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            found.add(socket.inet_ntop(socket.AF_INET if size == 4 else socket.AF_INET6, words))
    return found


def test_serve_listens_on_loopback_only_by_default(backend: int) -> None:
    """The attack: anyone on the network reached a backend bound to 0.0.0.0."""
    assert _listening_addresses(backend) == {"127.0.0.1"}


def _connect(port: int, headers: dict[str, str], origin: str | None = None) -> socketio.Client:
    """A websocket as a browser page at ``origin`` opens it (websocket-client's own Origin is
    that of the URL it connects to)."""
    client = socketio.Client(reconnection=False, websocket_extra_options={"origin": origin})
    client.connect(
        f"http://127.0.0.1:{port}?token={uuid.uuid4()}",
        socketio_path="/_event",
        transports=["websocket"],
        namespaces=["/_event"],
        headers=headers,
        wait_timeout=10,
    )
    return client


def test_a_websocket_from_another_origin_is_refused(backend: int) -> None:
    """The attack: a page on another site opens the websocket with the user's cookies."""
    with pytest.raises(socketio.exceptions.ConnectionError):
        _connect(backend, {}, origin="https://evil.example")
    with pytest.raises(socketio.exceptions.ConnectionError):
        _connect(backend, {}, origin=f"http://localhost:{backend + 1}")
    own = _connect(backend, {}, origin=f"http://localhost:{backend}")  # the console's own page
    assert own.connected
    own.disconnect()


def _run_event(client: socketio.Client, handler: str) -> list[dict[str, Any]]:
    """Send one event; what the backend answers until it sends follow-up events (a redirect)
    or 10 s passed."""
    updates: list[dict[str, Any]] = []
    done = threading.Event()

    def on_event(message: dict[str, Any]) -> None:
        updates.append(message)
        if message.get("events") or message.get("final"):
            done.set()

    client.on("event", on_event, namespace="/_event")
    route = {"pathname": "/", "query": {}, "asPath": "/"}
    event = {"name": f"{APP_STATE}.{handler}", "payload": {}, "router_data": route}
    client.emit("event", event, namespace="/_event")
    done.wait(10)
    return updates


def test_the_user_header_from_a_peer_that_is_no_trusted_proxy_is_ignored(backend: int) -> None:
    """The attack: a client connects to the backend itself and names an administrator."""
    client = _connect(backend, {"X-Forwarded-User": "margaret"})
    try:
        updates = _run_event(client, "ensure_signed_in")
    finally:
        client.disconnect()
    names = [u["delta"][APP_STATE]["user_name_rx_state_"] for u in updates if "delta" in u]
    assert names == [""], updates
    redirects = [e["payload"]["path"] for u in updates for e in u.get("events", [])]
    assert redirects == ["/signin?next=%2F"]  # sent to the sign-in page as nobody
