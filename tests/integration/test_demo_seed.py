"""The demo organisation goes through the same ingestion path as users' descriptors."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from pinconsole.db import session_scope
from pinconsole.demo.orgchart import generate_org, kubernetes_services
from pinconsole.demo.seed import seed_demo
from pinconsole.models import Entity, Relation


def test_generated_org_is_deterministic_and_big_enough() -> None:
    a, b = generate_org(), generate_org()
    assert a.entities == b.entities
    teams = [g for g in a.groups if g["spec"]["type"] == "team"]
    assert len(teams) >= 30 and len(a.users) == 300 and len(a.components) >= 200
    assert {g["spec"]["type"] for g in a.groups} == {"organization", "department", "team"}
    assert len(kubernetes_services(a)) == 40
    assert {api["spec"]["type"] for api in a.apis} == {"openapi", "grpc", "asyncapi"}
    assert {c["spec"]["type"] for c in a.components} == {"service", "website", "library"}
    emails = [u["spec"]["profile"]["email"] for u in a.users]
    assert len(set(emails)) == 300


def test_seed_demo_counts_and_idempotence(db: str, tmp_path: Path) -> None:
    org = generate_org()
    first = seed_demo(tmp_path / "demo")
    assert first.errors == []
    with session_scope() as s:
        counts = dict(s.exec(select(Entity.kind, func.count()).group_by(Entity.kind)).all())
        relations = s.exec(select(func.count()).select_from(Relation)).one()[0]
        web = s.exec(select(Entity).where(Entity.kind == "api")).scalars().first()
    assert counts["group"] == len(org.groups) >= 31
    assert counts["user"] == 300
    assert counts["component"] == len(org.components) >= 200
    assert counts["api"] == len(org.apis) and counts["system"] == len(org.systems)
    assert counts["domain"] == len(org.domains) and counts["resource"] == len(org.resources)
    assert relations > 2000
    assert web is not None and isinstance(web.body["spec"]["definition"], str)
    second = seed_demo(tmp_path / "demo")
    assert second.errors == [] and second.added == second.updated == 0
    assert second.unchanged == first.added
