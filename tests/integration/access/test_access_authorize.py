"""authorize() against the catalog: nested ownership, and every denial leaves an audit row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from pinconsole.access import (
    AuditFilter,
    Resource,
    authorize,
    list_audit,
    record,
    resolve_principal,
)
from pinconsole.db import session_scope
from pinconsole.errors import Forbidden
from pinconsole.models import AuditEvent, Entity
from pinconsole.models._types import utcnow


def _payments() -> Resource:
    with session_scope() as s:
        entity = s.exec(select(Entity).where(Entity.ref == "component:default/payments-api")).one()
    return Resource("component", entity.ref, frozenset({entity.owner_ref or ""}))


def test_member_of_a_child_team_may_change_the_parents_service(org: str) -> None:
    before = list_audit()[1]  # the fixture's catalog import
    authorize(resolve_principal("ada"), "catalog.edit", _payments())  # platform-api < platform
    authorize(resolve_principal("grace"), "catalog.edit", _payments())
    assert list_audit()[1] == before  # allowed decisions write nothing


def test_denial_raises_and_is_audited(org: str) -> None:
    linus = resolve_principal("linus")
    with pytest.raises(Forbidden) as err:
        authorize(linus, "catalog.edit", _payments())
    assert err.value.status == 403
    rows, total = list_audit(AuditFilter(outcome="denied"))
    assert total == 1
    row = rows[0]
    assert (row.actor, row.action, row.target) == (
        "linus",
        "catalog.edit",
        "component:default/payments-api",
    )
    assert "group:default/platform" in row.detail


def test_denial_row_survives_the_callers_rollback(org: str) -> None:
    linus = resolve_principal("linus")
    before = list_audit()[1]  # the fixture's catalog import
    with pytest.raises(Forbidden), session_scope() as s:
        record(s, actor=linus, action="catalog.edit", target="x", outcome="ok")
        authorize(linus, "admin.org.sync", Resource("org", "org:ldap"))
    rows, total = list_audit()
    assert total == before + 1
    assert rows[0].outcome == "denied" and rows[0].action == "admin.org.sync"


def test_every_kind_of_denial_is_audited(org: str) -> None:
    ada = resolve_principal("ada")
    cases = [
        ("admin.org.sync", Resource("org", "org:ldap")),
        ("catalog.edit", Resource("component", "component:default/legacy")),
        ("catalog.edit", Resource("component", "c:x", frozenset({"group:default/sales"}))),
    ]
    for action, resource in cases:
        with pytest.raises(Forbidden):
            authorize(ada, action, resource)
    assert list_audit(AuditFilter(actor="ada", outcome="denied"))[1] == len(cases)


def test_mutation_and_audit_commit_together(db: str) -> None:
    with pytest.raises(RuntimeError), session_scope() as s:
        record(s, actor="ada", action="pinapp.scale", target="pinapp:default/web")
        raise RuntimeError("the change failed")
    assert list_audit()[1] == 0
    with session_scope() as s:
        record(
            s,
            actor="ada",
            action="pinapp.scale",
            target="pinapp:default/web",
            before={"replicas": 2, "at": utcnow()},
            after={"replicas": 3},
        )
    (row,), total = list_audit()
    assert total == 1 and row.before["replicas"] == 2 and isinstance(row.before["at"], str)
    assert row.after == {"replicas": 3}


def test_list_audit_filters_and_pages(db: str) -> None:
    with session_scope() as s:
        for i in range(30):
            record(
                s,
                actor="ada" if i % 2 else "grace",
                action="catalog.edit" if i % 3 else "pinapp.scale",
                target=f"component:default/svc-{i:02d}",
                outcome="ok" if i % 5 else "error",
            )
    rows, total = list_audit(limit=10, offset=0)
    assert total == 30 and len(rows) == 10
    assert [r.id for r in rows] == sorted((r.id for r in rows), reverse=True)  # newest first
    rows2, _ = list_audit(limit=10, offset=25)
    assert len(rows2) == 5
    assert list_audit(AuditFilter(actor="AD"))[1] == 15
    assert list_audit(AuditFilter(action="pinapp"))[1] == 10
    assert list_audit(AuditFilter(target="svc-1"))[1] == 10
    assert list_audit(AuditFilter(outcome="error"))[1] == 6
    assert list_audit(AuditFilter(actor="ada", outcome="error"))[1] == 3
    assert list_audit(AuditFilter(target="%"))[1] == 0  # LIKE wildcards are literal
    assert list_audit(AuditFilter(since=utcnow() + timedelta(minutes=1)))[1] == 0


def test_record_rejects_unknown_outcomes(db: str) -> None:
    with pytest.raises(ValueError), session_scope() as s:
        record(s, actor="a", action="b", target="c", outcome="maybe")
    with session_scope() as s:
        assert s.exec(select(AuditEvent)).first() is None
