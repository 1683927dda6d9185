"""The replica range a PinScaler owns, as ``actions.scale_pinapp`` and the REST API enforce it
against the sandbox: a count outside it is refused before anything is written, with a message
naming the scaler and its bounds, and audited as denied; the limits read are the cluster's own,
so limits changed a moment ago count; a stranger is denied and a stale version conflicts first."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from pinconsole.access import AuditFilter, Principal, list_audit
from pinconsole.access.tokens import create_token
from pinconsole.api.app import create_api
from pinconsole.compute import actions
from pinconsole.compute.clusters import ClusterManager, get_manager, set_manager
from pinconsole.errors import Conflict, Forbidden, Invalid
from pinconsole.plugins import get_registry
from pinconsole.sandbox import PINAPPS, PINSCALERS, Sandbox, pinscaler_body

ALICE = Principal(name="alice", groups=frozenset({"group:default/pins"}))
BOB = Principal(name="bob", groups=frozenset({"group:default/boards"}))
REFUSAL = (
    "PinScaler pins/pins-api owns the replica count of PinApp pins/pins-api between 2 and 6: "
    "{n} is outside that range, and the scaler would undo it. Change the PinScaler's min/max "
    "instead."
)


@pytest.fixture
def scaled(sandbox: Sandbox) -> str:
    """PinApp pins/pins-api under PinScaler pins/pins-api (min 2, max 6)."""
    body = pinscaler_body("pins-api", "pins-api", 2, 6)
    sandbox.call(sandbox.emulator.create, PINSCALERS, "pins", body)
    return "pins-api"


def _pinapp(sandbox: Sandbox) -> dict:
    return sandbox.call(sandbox.emulator.get, PINAPPS, "pins", "pins-api")


def _scale_rows(actor: str) -> list:
    rows, _ = list_audit(AuditFilter(action="pinapp.scale", actor=actor))
    return rows


def test_a_count_outside_the_range_is_refused_naming_the_scaler_and_audited(
    db: str, owners: None, sandbox: Sandbox, manager: ClusterManager, scaled: str
) -> None:
    before = _pinapp(sandbox)
    for count in (9, 1):
        with pytest.raises(Invalid) as refused:
            actions.scale_pinapp(ALICE, "sandbox", "pins", "pins-api", count, manager=manager)
        assert refused.value.message == REFUSAL.format(n=count)
        assert refused.value.where == "replicas"
    after = _pinapp(sandbox)
    assert after["spec"] == before["spec"]
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    rows = _scale_rows("alice")
    assert [(r.outcome, r.detail) for r in rows] == [
        ("denied", f"refused: {REFUSAL.format(n=1)}"),
        ("denied", f"refused: {REFUSAL.format(n=9)}"),
    ]
    assert all(r.target == "pinapp:sandbox/pins/pins-api" and r.after is None for r in rows)

    # Inside the range (its bounds included) the scale goes through.
    actions.scale_pinapp(ALICE, "sandbox", "pins", "pins-api", 6, manager=manager)
    assert _pinapp(sandbox)["spec"]["replicas"] == 6
    assert _scale_rows("alice")[0].outcome == "ok"


def test_the_limits_are_read_from_the_cluster_not_the_cache(
    db: str, owners: None, sandbox: Sandbox, manager: ClusterManager, scaled: str
) -> None:
    """Limits raised a moment ago allow the count at once, whatever the cache has seen yet;
    a PinApp no PinScaler targets has no range (another PinApp's scaler does not count)."""
    actions.scale_pinscaler(ALICE, "sandbox", "pins", scaled, 2, 12, manager=manager)
    actions.scale_pinapp(ALICE, "sandbox", "pins", "pins-api", 9, manager=manager)
    assert _pinapp(sandbox)["spec"]["replicas"] == 9
    actions.scale_pinapp(ALICE, "sandbox", "pins", "pins-worker", 9, manager=manager)
    worker = sandbox.call(sandbox.emulator.get, PINAPPS, "pins", "pins-worker")
    assert worker["spec"]["replicas"] == 9


def test_a_stranger_is_denied_and_a_stale_version_conflicts_before_the_range(
    db: str, owners: None, sandbox: Sandbox, manager: ClusterManager, scaled: str
) -> None:
    with pytest.raises(Forbidden):
        actions.scale_pinapp(BOB, "sandbox", "pins", "pins-api", 9, manager=manager)
    assert "needs membership" in _scale_rows("bob")[0].detail  # tenancy, not the range

    seen = _pinapp(sandbox)["metadata"]["resourceVersion"]
    actions.scale_pinapp(ALICE, "sandbox", "pins", "pins-api", 5, manager=manager)
    with pytest.raises(Conflict, match=r"now at replicas 5"):
        actions.scale_pinapp(
            ALICE, "sandbox", "pins", "pins-api", 9, resource_version=seen, manager=manager
        )
    assert _scale_rows("alice")[0].outcome == "error"


@pytest.fixture
def api(db: str, owners: None, manager: ClusterManager) -> Iterator[TestClient]:
    previous = get_manager()
    set_manager(manager)
    with TestClient(create_api(get_registry())) as client:
        yield client
    set_manager(previous)


def test_the_rest_api_refuses_a_count_outside_the_range(
    api: TestClient, sandbox: Sandbox, scaled: str
) -> None:
    """Even an administrator: the range is no permission but what the scaler would undo."""
    admin = {"Authorization": f"Bearer {create_token('root', admin=True, actor='test')}"}
    before = _pinapp(sandbox)["spec"]["replicas"]
    refused = api.post(
        "/api/v1/workloads/sandbox/pins/pins-api/scale", json={"replicas": 8}, headers=admin
    )
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert problem["detail"] == REFUSAL.format(n=8) and problem["where"] == "replicas"
    row = _scale_rows("root")[0]
    assert (row.outcome, row.detail) == ("denied", f"refused: {REFUSAL.format(n=8)}")
    assert _pinapp(sandbox)["spec"]["replicas"] == before

    done = api.post(
        "/api/v1/workloads/sandbox/pins/pins-api/scale", json={"replicas": 3}, headers=admin
    )
    assert done.status_code == 200, done.text
    assert done.json()["object"]["spec"]["replicas"] == 3
