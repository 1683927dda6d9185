"""REST routes under /api/v1/workloads against the sandbox: reads from the cache, an admin's
scale, and a refused non-owner (403 problem, audited)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from pinconsole.access import AuditFilter, list_audit
from pinconsole.access.tokens import create_token
from pinconsole.api.app import create_api
from pinconsole.compute.clusters import ClusterManager, get_manager, set_manager
from pinconsole.compute.sandbox import PINAPPS, Sandbox
from pinconsole.plugins import get_registry


@pytest.fixture
def api(db: str, owners: None, manager: ClusterManager) -> Iterator[TestClient]:
    previous = get_manager()
    set_manager(manager)
    with TestClient(create_api(get_registry())) as client:
        yield client
    set_manager(previous)


def test_workloads_api(api: TestClient, sandbox: Sandbox) -> None:
    admin = {"Authorization": f"Bearer {create_token('root', admin=True, actor='test')}"}
    stranger = {"Authorization": f"Bearer {create_token('mallory', actor='test')}"}

    page = api.get("/api/v1/workloads", params={"namespace": "pins"}, headers=stranger).json()
    assert page["total"] == 2 and page["summary"] and page["clusters"][0]["name"] == "sandbox"
    detail = api.get("/api/v1/workloads/sandbox/pins/pins-api", headers=stranger).json()
    assert detail["row"]["name"] == "pins-api" and detail["pods"]
    pod = detail["pods"][0]["name"]
    logs = api.get(
        f"/api/v1/workloads/sandbox/pins/pins-api/pods/{pod}/logs",
        params={"tail": 5},
        headers=stranger,
    ).json()
    assert len(logs["lines"]) == 5

    refused = api.post(
        "/api/v1/workloads/sandbox/pins/pins-api/scale", json={"replicas": 7}, headers=stranger
    )
    assert refused.status_code == 403
    denied, _ = list_audit(AuditFilter(actor="mallory", outcome="denied"))
    assert denied[0].action == "pinapp.scale"

    done = api.post(
        "/api/v1/workloads/sandbox/pins/pins-api/scale", json={"replicas": 7}, headers=admin
    )
    assert done.status_code == 200, done.text
    assert sandbox.call(sandbox.emulator.get, PINAPPS, "pins", "pins-api")["spec"]["replicas"] == 7
    bad = api.post(
        "/api/v1/workloads/sandbox/pins/pins-api/scale",
        json={"replicas": 7, "resourceVersion": "1"},
        headers=admin,
    )
    assert bad.status_code == 409
    assert api.get("/api/v1/workloads", headers={}).status_code == 401
