"""What an action guarantees when its neighbours fail: PostgreSQL refusing connections during a
scale (the row still lands once it is back, or the action is refused when nothing durable can
hold its intent; who owns a namespace through a Group annotation is then unknown, never "no
one"), and a Kubernetes API server that accepts a write and never answers (the scale ends
within the configured timeout as "unknown", is audited so, and is not applied later)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from fixtures.outage import database_down

from pinconsole import cache
from pinconsole.access import AuditFilter, Principal, audit, list_audit
from pinconsole.catalog.ingest import import_locations
from pinconsole.compute import actions, tenancy
from pinconsole.compute.cache import ClusterCache
from pinconsole.compute.clusters import ClusterManager, api_factory
from pinconsole.errors import OutcomeUnknown, Unavailable
from pinconsole.sandbox import PINAPPS, Sandbox, SandboxEmulator, seed_demo
from pinconsole.settings import ClusterSettings, get_settings

ALICE = Principal(name="alice", groups=frozenset({"group:default/pins"}))
CAROL = Principal(name="carol", groups=frozenset({"group:default/search"}))
MALLORY = Principal(name="mallory", groups=frozenset({"group:default/boards"}))
SEARCH_OWNS_PINS = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: search, annotations: {pinconsole.io/namespaces: "pins, search"}}
spec: {type: team, children: []}
"""
SERVICES = [("pins-api", "pins", "group:default/pins")]


def _replicas(sandbox: Sandbox) -> int:
    return sandbox.call(sandbox.emulator.get, PINAPPS, "pins", "pins-api")["spec"]["replicas"]


def _rows(action: str = "pinapp.scale") -> list:
    return list_audit(AuditFilter(action=action))[0]


@pytest.fixture(autouse=True)
def _own_outbox(fresh_outbox: Path) -> Path:
    return fresh_outbox


@pytest.mark.postgres
def test_scale_while_postgres_is_down_is_audited_once_it_is_back(
    postgres_db: str, owners: None, sandbox: Sandbox, manager: ClusterManager
) -> None:
    before = _replicas(sandbox)
    with database_down(postgres_db):
        actions.scale_pinapp(ALICE, "sandbox", "pins", "pins-api", before + 2, manager=manager)
        assert _replicas(sandbox) == before + 2
    assert _rows() == []  # not yet: the row waits in the outbox
    assert audit.drain_outbox() == 1
    (row,) = _rows()
    assert (row.actor, row.outcome, row.target) == ("alice", "ok", "pinapp:sandbox/pins/pins-api")
    assert row.before == {"replicas": before} and row.after == {"replicas": before + 2}
    assert audit.drain_outbox() == 0 and len(_rows()) == 1  # drained exactly once


@pytest.mark.postgres
def test_owners_unreadable_in_an_outage_are_unavailable_never_a_denial(
    postgres_db: str, owners: None, sandbox: Sandbox, manager: ClusterManager, tmp_path: Path
) -> None:
    """pins belongs to team pins (settings) and team search (its Group's annotation)."""
    group = tmp_path / "search.yaml"
    group.write_text(SEARCH_OWNS_PINS)
    assert not import_locations([str(group)], actor="test").errors
    both = {"group:default/pins", "group:default/search"}
    assert tenancy.owners_of("pins") == both and tenancy.can_act(CAROL, "sandbox", "pins")
    before = _replicas(sandbox)
    with database_down(postgres_db):
        cache.clear()  # as in a process that has not read the owners yet
        with pytest.raises(Unavailable, match="namespace owners: the catalog cannot be read"):
            tenancy.owners_of("pins")
        for who in (CAROL, MALLORY):  # allowed, or not: unknown either way, so neither
            with pytest.raises(Unavailable, match="namespace owners"):
                tenancy.can_act(who, "sandbox", "pins")
            with pytest.raises(Unavailable, match="namespace owners"):
                actions.scale_pinapp(who, "sandbox", "pins", "pins-api", 9, manager=manager)
        assert _replicas(sandbox) == before
        # What settings grant holds without the catalog.
        assert tenancy.can_act(ALICE, "sandbox", "pins")
        actions.scale_pinapp(ALICE, "sandbox", "pins", "pins-api", before + 1, manager=manager)
        assert _replicas(sandbox) == before + 1
    assert audit.drain_outbox() == 1  # ALICE's scale; nothing was refused, nothing attempted
    assert [(r.actor, r.outcome) for r in _rows()] == [("alice", "ok")]
    assert list_audit(AuditFilter(outcome="denied"))[0] == []
    assert tenancy.owners_of("pins") == both
    actions.scale_pinapp(CAROL, "sandbox", "pins", "pins-api", before, manager=manager)
    assert _replicas(sandbox) == before


def test_scale_is_refused_when_its_intent_cannot_be_recorded(
    db: str,
    owners: None,
    sandbox: Sandbox,
    manager: ClusterManager,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("PINCONSOLE_AUDIT_OUTBOX", str(blocker / "audit-outbox.jsonl"))
    get_settings.cache_clear()
    before = _replicas(sandbox)
    with pytest.raises(Unavailable, match="cannot audit, not applied"):
        actions.scale_pinapp(ALICE, "sandbox", "pins", "pins-api", before + 1, manager=manager)
    assert _replicas(sandbox) == before


# ---- a Kubernetes API server that takes writes and does not answer ----------------------------
@attrs.define(kw_only=True)
class HangingEmulator(SandboxEmulator):
    """Writes wait while ``hang_writes`` is set, like an API server whose etcd stalls.

    When they resume, a write whose ``timeout`` query parameter has passed is answered 504 and
    not applied, as the API server's request-deadline filter does (client-go sends ``timeout``
    with every request that has one)."""

    hang_writes: bool = attrs.field(default=False, init=False)
    writes_seen: int = attrs.field(default=0, init=False)

    async def __call__(self, raw_request: Any) -> Any:
        if raw_request.method in ("PATCH", "PUT", "POST", "DELETE"):
            self.writes_seen += 1
            started = time.monotonic()
            while self.hang_writes:
                await asyncio.sleep(0.05)
            deadline = _go_duration(raw_request.rel_url.query.get("timeout"))
            if deadline is not None and time.monotonic() - started > deadline:
                status = {"kind": "Status", "status": "Failure", "code": 504, "reason": "Timeout"}
                return self._json({**status, "message": "request did not complete in time"}, 504)
        return await super().__call__(raw_request)


def _go_duration(text: str | None) -> float | None:
    if not text:
        return None
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return sum(float(n) * units[u] for n, u in re.findall(r"([0-9.]+)(ms|h|m|s)", text))


@pytest.fixture
def hung(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Sandbox, Any]]:
    monkeypatch.setenv("PINCONSOLE_KUBERNETES_CONNECT_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("PINCONSOLE_KUBERNETES_READ_TIMEOUT_SECONDS", "1.5")
    get_settings.cache_clear()
    sb = Sandbox(HangingEmulator(), kubeconfig=tmp_path / "kubeconfig").start()
    sb.call(seed_demo, sb.emulator, SERVICES)
    mgr = ClusterManager()
    cluster = ClusterSettings(name="sandbox", kubeconfig=str(sb.kubeconfig), context="sandbox")
    cache = ClusterCache(name="sandbox", api_factory=api_factory(cluster), watch_timeout=5)
    mgr.add(cache, sampler=False)
    assert cache.wait_synced(15)
    yield sb, mgr
    sb.emulator.hang_writes = False
    mgr.stop()
    sb.stop()


def test_scale_against_a_hung_api_server_is_unknown_in_time_and_not_applied_later(
    db: str, owners: None, hung: tuple[Sandbox, ClusterManager]
) -> None:
    sandbox, manager = hung
    before = _replicas(sandbox)
    sandbox.emulator.hang_writes = True
    outcome: dict[str, Any] = {}

    def scale() -> None:
        try:
            actions.scale_pinapp(ALICE, "sandbox", "pins", "pins-api", before + 3, manager=manager)
            outcome["result"] = "returned"
        except Exception as exc:
            outcome["error"] = exc

    started = time.monotonic()
    worker = threading.Thread(target=scale, daemon=True)
    worker.start()
    worker.join(6)  # read timeout 1.5 s, plus the read before the write
    took = time.monotonic() - started
    sandbox.emulator.hang_writes = False  # the server answers again
    worker.join(10)
    assert took < 6, "the scale blocked on the hung API server"
    error = outcome.get("error")
    assert isinstance(error, OutcomeUnknown), outcome
    assert "unknown" in error.message and "check the workload" in error.message
    assert sandbox.emulator.writes_seen == 1  # sent once, never retried
    time.sleep(1.0)
    assert _replicas(sandbox) == before, "the timed-out scale was applied later"
    (row,) = _rows()
    assert row.outcome == "error" and row.detail.startswith("unknown")
    assert row.after == {"replicas": before + 3}


class _SilentServer:
    """A TCP server that accepts connections and never answers (a hung API server)."""

    def __init__(self) -> None:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns: list[Any] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                self.conns.append(self.sock.accept()[0])

    def close(self) -> None:
        for conn in self.conns:
            conn.close()
        self.sock.close()


def test_every_kubernetes_call_has_the_configured_timeouts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kubernetes import client

    monkeypatch.setenv("PINCONSOLE_KUBERNETES_READ_TIMEOUT_SECONDS", "0.5")
    get_settings.cache_clear()
    server = _SilentServer()
    kubeconfig = tmp_path / "kubeconfig"
    Sandbox(SandboxEmulator(), port=server.port, name="silent").write_kubeconfig(kubeconfig)
    try:
        api = api_factory(ClusterSettings(name="silent", kubeconfig=str(kubeconfig)))()
        calls = {
            "read": lambda: client.CustomObjectsApi(api).get_namespaced_custom_object(
                "pinconsole.io", "v1alpha1", "pins", "pinapps", "pins-api"
            ),
            "log": lambda: client.CoreV1Api(api).read_namespaced_pod_log("p", "pins"),
        }
        for what, call in calls.items():
            result: dict[str, Any] = {}
            worker = threading.Thread(
                target=lambda c=call, r=result: r.update(error=_raised(c)), daemon=True
            )
            started = time.monotonic()
            worker.start()
            worker.join(5)
            assert not worker.is_alive(), f"{what} without a timeout blocked"
            assert time.monotonic() - started < 3
            assert "timed out" in str(result["error"]).lower(), result
    finally:
        server.close()
        get_settings.cache_clear()


def _raised(call: Any) -> BaseException | None:
    try:
        call()
    except Exception as exc:
        return exc
    return None
