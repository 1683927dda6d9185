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
from pinconsole.plugins import get_registry
from pinconsole.sandbox import PINAPPS, Sandbox


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
    assert page["totalItems"] == 2 and page["summary"] and page["clusters"][0]["name"] == "sandbox"
    assert page["pageInfo"] == {} and page["items"][0]["resourceVersion"]
    first = api.get("/api/v1/workloads", params={"limit": 1}, headers=stranger).json()
    rest = api.get(
        "/api/v1/workloads",
        params={"limit": 50, "cursor": first["pageInfo"]["nextCursor"]},
        headers=stranger,
    ).json()
    names = [(r["namespace"], r["name"]) for r in first["items"] + rest["items"]]
    assert len(names) == len(set(names)) == first["totalItems"] == rest["totalItems"]
    assert "nextCursor" not in rest["pageInfo"] and "prevCursor" in rest["pageInfo"]
    clusters = api.get("/api/v1/workloads/clusters", headers=stranger).json()
    assert [c["name"] for c in clusters["items"]] == ["sandbox"]
    assert "hasMetricsApi" in clusters["items"][0] and clusters["totalItems"] == 1
    detail = api.get("/api/v1/workloads/sandbox/pins/pins-api", headers=stranger).json()
    assert detail["row"]["name"] == "pins-api" and detail["pods"]
    assert detail["pinapp"]["metadata"]["name"] == "pins-api"  # Kubernetes' own fields
    assert "scalerYaml" in detail and "kubernetesId" in detail["row"]
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


def test_logs_only_of_the_pinapps_own_pods(api: TestClient, manager: ClusterManager) -> None:
    token = {"Authorization": f"Bearer {create_token('mallory', actor='test')}"}
    other = manager.get("sandbox").pods_of(("pins", "pins-worker"))[0].name
    wrong = api.get(f"/api/v1/workloads/sandbox/pins/pins-api/pods/{other}/logs", headers=token)
    assert wrong.status_code == 404, wrong.text
    assert wrong.json()["detail"] == (
        f"pod {other} is not a pod of PinApp pins/pins-api in sandbox"
    )
    gone = api.get(f"/api/v1/workloads/sandbox/pins/nope/pods/{other}/logs", headers=token)
    assert gone.status_code == 404 and "PinApp pins/nope not found" in gone.json()["detail"]
    own = manager.get("sandbox").pods_of(("pins", "pins-api"))[0].name
    ok = api.get(f"/api/v1/workloads/sandbox/pins/pins-api/pods/{own}/logs", headers=token)
    assert ok.status_code == 200 and ok.json()["lines"]


def test_schedules_with_a_stale_version_conflict(api: TestClient, sandbox: Sandbox) -> None:
    """The client's resourceVersion is the precondition: a stale one is a 409 naming what the
    PinScaler holds now, nothing changes, and the attempt is audited."""
    from pinconsole.sandbox import PINSCALERS, pinscaler_body

    body = pinscaler_body("pins-api", "pins-api")
    sandbox.call(sandbox.emulator.create, PINSCALERS, "pins", body)
    admin = {"Authorization": f"Bearer {create_token('root', admin=True, actor='test')}"}
    url = "/api/v1/workloads/sandbox/pins/pinscalers/pins-api/schedules"
    seen = sandbox.call(sandbox.emulator.get, PINSCALERS, "pins", "pins-api")["metadata"][
        "resourceVersion"
    ]
    first = [{"name": "night", "cron": "0 22 * * *", "duration": "8h", "minReplicas": 1}]
    done = api.put(url, json={"schedules": first, "resourceVersion": seen}, headers=admin)
    assert done.status_code == 200, done.text
    assert done.json()["resourceVersion"] != seen
    second = [{"cron": "0 6 * * *", "duration": "2h", "minReplicas": 3}]
    stale = api.put(url, json={"schedules": second, "resourceVersion": seen}, headers=admin)
    assert stale.status_code == 409, stale.text
    assert (
        "changed by someone else since you opened it (now min 2, max 6 and 1 schedule)"
        in (stale.json()["detail"])
    )
    held = sandbox.call(sandbox.emulator.get, PINSCALERS, "pins", "pins-api")["spec"]
    assert held["schedules"] == first
    failed, _ = list_audit(AuditFilter(action="pinscaler.schedules", outcome="error"))
    assert len(failed) == 1 and failed[0].detail.startswith("Conflict: ")
    # Without a resourceVersion the client asks for last-write-wins (as kubectl does).
    assert api.put(url, json={"schedules": second}, headers=admin).status_code == 200
