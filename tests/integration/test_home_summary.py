"""The home page for the on-call engineer: my services' failing scorecard checks, and my team's
recent changes (never sign-ins, denials or other teams' events), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.catalog_data import import_scored_catalog
from sqlalchemy import select

import pinconsole.catalog.query as q
from pinconsole.access.activity import team_activity
from pinconsole.access.audit import record
from pinconsole.catalog.scorecards import evaluate_entity
from pinconsole.db import session_scope
from pinconsole.models import Entity


@pytest.fixture
def catalog(db: str, tmp_path: Path) -> Path:
    return import_scored_catalog(tmp_path)


def test_my_services_name_their_failing_checks(catalog: Path) -> None:
    home = q.home_summary("alice")
    services = {s["name"]: s for s in home["my_services"]}
    assert set(services) == {"ledger", "pay-svc"}
    with session_scope() as s:
        for name, service in services.items():
            card = evaluate_entity(s, q.get_entity(s, "component", "default", name).entity)
            failing = [
                {"id": c["id"], "label": c["label"]} for c in card["checks"] if not c["passed"]
            ]
            assert service["failing_checks"] == failing, name
    assert services["pay-svc"]["failing_checks"] == []  # it scores 100
    assert services["ledger"]["failing_checks"], "the fixture's ledger misses some checks"
    with session_scope() as s:
        body = q.get_entity(s, "component", "default", "pay-svc").entity.body
    assert services["pay-svc"]["annotations"] == body["metadata"].get("annotations", {})


def test_recent_changes_are_my_teams_newest_first(catalog: Path) -> None:
    home = q.home_summary("alice")  # team-a, under org
    targets = set(home["change_targets"])
    assert {
        "component:default/ledger",
        "system:default/payments",
        "domain:default/commerce",
    } <= targets
    assert "component:default/checkout-web" not in targets  # team-b's
    with session_scope() as s:
        location = s.execute(
            select(Entity.location_key).where(Entity.ref == "component:default/ledger")
        ).scalar_one()
    assert location in targets  # an import of the location is a change to what it holds

    app = "pinapp:sandbox/payments/ledger"
    record(None, actor="alice", action="auth.sign_in", target="user:default/alice")
    record(None, actor="bob", action="pinapp.scale", target=app, after={"replicas": 3})
    record(None, actor="carol", action="pinapp.restart", target="pinapp:sandbox/boards/web")
    record(
        None, actor="carol", action="catalog.rules.enforce", target="component:default/checkout-web"
    )
    record(None, actor="mallory", action="pinapp.pause", target=app, outcome="denied")
    record(None, actor="sync", action="catalog.import", target=str(location))
    record(None, actor="bob", action="catalog.rules.enforce", target="component:default/ledger")
    record(None, actor="bob", action="auth.lockout", target="component:default/ledger")

    changes = team_activity([*home["change_targets"], app], limit=10)
    assert [(c["actor"], c["action"], c["target"]) for c in changes] == [
        ("bob", "catalog.rules.enforce", "component:default/ledger"),
        ("sync", "catalog.import", str(location)),
        ("bob", "pinapp.scale", app),
        ("cli", "catalog.import", str(location)),  # the fixture's own import
    ]
    assert changes[0]["ago"] == "just now" and changes[0]["target_name"] == "ledger"
    assert [c["action"] for c in team_activity([*targets, app], limit=2)] == [
        "catalog.rules.enforce",
        "catalog.import",
    ]
    # Without the workloads' refs (no compute plugin) the PinApp's actions are not shown.
    assert app not in {c["target"] for c in team_activity(targets)}
    assert team_activity([]) == []
    assert q.home_summary("stranger")["change_targets"] == []
