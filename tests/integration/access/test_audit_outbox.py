"""The audit outbox: rows written on their own (denials, sign-ins, changes outside the database)
survive a PostgreSQL outage and land exactly once when it is back; intents without an outcome
become "unknown" rows; concurrent appends and drains lose nothing and duplicate nothing."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from fixtures.outage import database_down

from pinconsole.access import AuditFilter, Principal, Resource, audit, authorize, list_audit
from pinconsole.errors import Forbidden
from pinconsole.plugins import get_registry

BOB = Principal(name="bob", groups=frozenset({"group:default/boards"}))
PINS = Resource("component", "component:default/pins-api", frozenset({"group:default/pins"}))


def _rows(**filters: str) -> list:
    return list_audit(AuditFilter(**filters), limit=500)[0]


@pytest.mark.postgres
def test_a_denial_during_an_outage_is_still_refused_and_audited_when_back(
    postgres_db: str, fresh_outbox: Path
) -> None:
    with database_down(postgres_db), pytest.raises(Forbidden):
        authorize(BOB, "catalog.edit", PINS)
    assert _rows() == []
    (job,) = [j for j in get_registry().jobs if j.name == "audit-outbox"]
    assert job.run_at_start and job.interval_seconds == 15
    job.run()  # what the backend's scheduler does
    (row,) = _rows()
    assert (row.actor, row.action, row.outcome) == ("bob", "catalog.edit", "denied")
    assert not fresh_outbox.exists()


@pytest.mark.postgres
def test_drain_while_the_database_is_still_down_keeps_the_rows(
    postgres_db: str, fresh_outbox: Path
) -> None:
    with database_down(postgres_db):
        audit.record(None, actor="cli", action="demo.seed", target="catalog:demo")
        assert audit.drain_outbox() == 0  # tried (with retries), kept for the next run
        assert fresh_outbox.stat().st_size > 0
    assert audit.drain_outbox() == 1 and len(_rows(action="demo.seed")) == 1


def test_an_intent_without_outcome_becomes_unknown_after_the_grace(
    db: str, fresh_outbox: Path
) -> None:
    intent = audit.intend(actor=BOB, action="pinapp.scale", target="pinapp:c/ns/app")
    assert audit.drain_outbox() == 0  # still in flight
    assert audit.drain_outbox(grace=timedelta(0)) == 1
    (row,) = _rows()
    assert (row.uid, row.outcome, row.actor) == (intent.uid, "error", "bob")
    assert row.detail.startswith("unknown")
    assert audit.drain_outbox(grace=timedelta(0)) == 0 and len(_rows()) == 1


def test_concluded_and_withdrawn_intents_leave_one_row_and_none(
    db: str, fresh_outbox: Path
) -> None:
    done = audit.intend(actor=BOB, action="pinapp.pause", target="pinapp:c/ns/a")
    audit.conclude(done, before={"paused": False}, after={"paused": True})
    refused = audit.intend(actor=BOB, action="pinscaler.scale", target="pinscaler:c/ns/a")
    audit.withdraw(refused)
    assert audit.drain_outbox(grace=timedelta(0)) == 0
    (row,) = _rows()
    assert (row.uid, row.action, row.after) == (done.uid, "pinapp.pause", {"paused": True})
    assert not fresh_outbox.exists()


def test_a_torn_line_is_skipped_and_the_rest_drained(db: str, fresh_outbox: Path) -> None:
    audit.intend(actor="a", action="pinapp.restart", target="pinapp:c/ns/a")
    with fresh_outbox.open("a") as f:
        f.write('{"kind": "event", "uid": "abc')  # a crash mid-write
    assert audit.drain_outbox(grace=timedelta(0)) == 1
    assert [r.action for r in _rows()] == ["pinapp.restart"]


def test_concurrent_intents_and_drains_lose_and_duplicate_nothing(
    db: str, fresh_outbox: Path
) -> None:
    threads, per_thread = 4, 15
    stop = threading.Event()
    uids: list[str] = []

    def act(n: int) -> None:
        for i in range(per_thread):
            intent = audit.intend(actor=f"u{n}", action="pinapp.scale", target=f"pinapp:c/n/{i}")
            uids.append(intent.uid)

    def drain() -> None:
        while not stop.is_set():
            audit.drain_outbox(grace=timedelta(0))

    drainer = threading.Thread(target=drain)
    drainer.start()
    actors = [threading.Thread(target=act, args=(n,)) for n in range(threads)]
    for t in actors:
        t.start()
    for t in actors:
        t.join()
    stop.set()
    drainer.join()
    audit.drain_outbox(grace=timedelta(0))
    rows = _rows()
    assert sorted(r.uid for r in rows) == sorted(uids) and len(uids) == threads * per_thread
    assert not fresh_outbox.exists()
