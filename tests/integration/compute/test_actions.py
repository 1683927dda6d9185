"""Actions through authorize and the audit log, against the sandbox via the official client:
scale, restart, pause/resume, PinScaler min/max and schedules, conflicts, Kubernetes 403,
tenancy denials (audited), and pod logs."""

from __future__ import annotations

import threading
import time

import pytest
from fixtures.polling import wait_for

from pinconsole.access import AuditFilter, Principal, list_audit
from pinconsole.compute import actions, logs, tenancy
from pinconsole.compute.clusters import ClusterManager
from pinconsole.errors import Conflict, Forbidden, Invalid
from pinconsole.sandbox import PINAPPS, PINSCALERS, Sandbox, pinscaler_body

ALICE = Principal(name="alice", groups=frozenset({"group:default/pins"}))
CHILD = Principal(name="carol", groups=frozenset({"group:default/pins-api", "group:default/pins"}))
BOB = Principal(name="bob", groups=frozenset({"group:default/boards"}))
ADMIN = Principal(name="root", is_admin=True)


def _audit(action: str) -> list:
    rows, _ = list_audit(AuditFilter(action=action))
    return rows


def _spec(sandbox: Sandbox, key: str, ns: str, name: str) -> dict:
    return sandbox.call(sandbox.emulator.get, key, ns, name)["spec"]


@pytest.fixture
def scaler(sandbox: Sandbox) -> str:
    if ("pins", "pins-api") not in sandbox.emulator._store[PINSCALERS]:
        sandbox.call(
            sandbox.emulator.create, PINSCALERS, "pins", pinscaler_body("pins-api", "pins-api")
        )
    return "pins-api"


def test_scale_by_owner_is_audited(
    db: str, owners: None, sandbox: Sandbox, manager: ClusterManager
) -> None:
    before = _spec(sandbox, PINAPPS, "pins", "pins-api")["replicas"]
    actions.scale_pinapp(ALICE, "sandbox", "pins", "pins-api", before + 2, manager=manager)
    assert _spec(sandbox, PINAPPS, "pins", "pins-api")["replicas"] == before + 2
    row = _audit("pinapp.scale")[0]
    assert (row.actor, row.outcome, row.target) == ("alice", "ok", "pinapp:sandbox/pins/pins-api")
    assert row.before == {"replicas": before} and row.after == {"replicas": before + 2}
    wait_for(lambda: manager.get("sandbox").rows[("pins", "pins-api")]["desired"] == before + 2)


def test_member_of_child_team_and_admin_may_act(
    db: str, owners: None, sandbox: Sandbox, manager: ClusterManager
) -> None:
    actions.pause_pinapp(CHILD, "sandbox", "pins", "pins-worker", manager=manager)
    assert _spec(sandbox, PINAPPS, "pins", "pins-worker")["paused"] is True
    actions.resume_pinapp(ADMIN, "sandbox", "pins", "pins-worker", manager=manager)
    assert _spec(sandbox, PINAPPS, "pins", "pins-worker")["paused"] is False
    pause, resume = _audit("pinapp.pause")[0], _audit("pinapp.resume")[0]
    assert pause.before == {"paused": False} and pause.after == {"paused": True}
    assert resume.actor == "root" and resume.after == {"paused": False}


def test_other_team_is_refused_and_denial_audited(
    db: str, owners: None, sandbox: Sandbox, manager: ClusterManager
) -> None:
    before = _spec(sandbox, PINAPPS, "pins", "pins-api")
    with pytest.raises(Forbidden, match="group:default/pins"):
        actions.scale_pinapp(BOB, "sandbox", "pins", "pins-api", 9, manager=manager)
    with pytest.raises(Forbidden):
        actions.restart_pinapp(BOB, "sandbox", "pins", "pins-api", manager=manager)
    assert _spec(sandbox, PINAPPS, "pins", "pins-api") == before
    denied, _ = list_audit(AuditFilter(actor="bob", outcome="denied"))
    assert {r.action for r in denied} == {"pinapp.scale", "pinapp.restart"}
    assert all(r.target == "pinapp:sandbox/pins/pins-api" for r in denied)
    assert tenancy.can_act(ALICE, "sandbox", "pins") and not tenancy.can_act(BOB, "sandbox", "pins")


def test_unowned_namespace_needs_admin(
    db: str, owners: None, sandbox: Sandbox, manager: ClusterManager
) -> None:
    from pinconsole.sandbox import pinapp_body

    sandbox.call(sandbox.emulator.create, PINAPPS, "lonely", pinapp_body("orphan"))
    wait_for(lambda: ("lonely", "orphan") in manager.get("sandbox").rows)
    with pytest.raises(Forbidden, match="administrator"):
        actions.restart_pinapp(ALICE, "sandbox", "lonely", "orphan", manager=manager)
    actions.restart_pinapp(ADMIN, "sandbox", "lonely", "orphan", manager=manager)


def test_restart_stamps_template_and_rolls_pods(
    db: str, owners: None, sandbox: Sandbox, manager: ClusterManager
) -> None:
    old_pods = {p.name for p in manager.get("sandbox").pods_of(("pins", "pins-api"))}
    actions.restart_pinapp(ALICE, "sandbox", "pins", "pins-api", manager=manager)
    stamp = _spec(sandbox, PINAPPS, "pins", "pins-api")["template"]["metadata"]["annotations"][
        actions.RESTARTED_AT
    ]
    assert _audit("pinapp.restart")[0].after == {actions.RESTARTED_AT: stamp}
    for _ in range(6):  # the sandbox controller rolls two pods per tick
        sandbox.call(sandbox.emulator.reconcile)
    wait_for(
        lambda: old_pods.isdisjoint(
            p.name for p in manager.get("sandbox").pods_of(("pins", "pins-api"))
        )
    )


def test_conflict_changes_nothing(
    db: str, owners: None, sandbox: Sandbox, manager: ClusterManager
) -> None:
    seen = sandbox.call(sandbox.emulator.get, PINAPPS, "pins", "pins-api")["metadata"][
        "resourceVersion"
    ]
    sandbox.call(
        sandbox.emulator.update, PINAPPS, "pins", "pins-api", {"spec": {"image": "other:2"}}
    )
    replicas = _spec(sandbox, PINAPPS, "pins", "pins-api")["replicas"]
    with pytest.raises(Conflict, match="changed by someone else"):
        actions.scale_pinapp(
            ALICE,
            "sandbox",
            "pins",
            "pins-api",
            replicas + 5,
            resource_version=seen,
            manager=manager,
        )
    assert _spec(sandbox, PINAPPS, "pins", "pins-api")["replicas"] == replicas
    row = _audit("pinapp.scale")[0]
    assert row.outcome == "error" and "Conflict" in row.detail


def test_kubernetes_403_is_clear(
    db: str, owners: None, sandbox: Sandbox, manager: ClusterManager
) -> None:
    sandbox.emulator.deny_namespaces.add("pins")
    with pytest.raises(Forbidden, match="the cluster refused"):
        actions.pause_pinapp(ALICE, "sandbox", "pins", "pins-api", manager=manager)
    assert _spec(sandbox, PINAPPS, "pins", "pins-api").get("paused") is False
    assert _audit("pinapp.pause")[0].outcome == "error"


def test_pinscaler_min_max_and_schedules(
    db: str, owners: None, sandbox: Sandbox, manager: ClusterManager, scaler: str
) -> None:
    actions.scale_pinscaler(ALICE, "sandbox", "pins", scaler, 3, 12, manager=manager)
    spec = _spec(sandbox, PINSCALERS, "pins", scaler)
    assert (spec["minReplicas"], spec["maxReplicas"]) == (3, 12)
    assert _audit("pinscaler.scale")[0].after == {"minReplicas": 3, "maxReplicas": 12}
    with pytest.raises(Invalid, match="less than or equal"):
        actions.scale_pinscaler(ALICE, "sandbox", "pins", scaler, 8, 2, manager=manager)

    schedules = [{"name": "peak", "cron": "0 18 * * *", "duration": "4h", "minReplicas": 6}]
    actions.set_schedules(ALICE, "sandbox", "pins", scaler, schedules, manager=manager)
    assert _spec(sandbox, PINSCALERS, "pins", scaler)["schedules"] == schedules
    row = _audit("pinscaler.schedules")[0]
    assert row.after == {"schedules": schedules} and row.before["schedules"]
    with pytest.raises(Invalid, match="cron"):
        actions.set_schedules(
            ALICE,
            "sandbox",
            "pins",
            scaler,
            [{"cron": "61 * * * *", "duration": "1h", "minReplicas": 1}],
            manager=manager,
        )
    with pytest.raises(Invalid, match="maxReplicas"):
        actions.set_schedules(
            ALICE,
            "sandbox",
            "pins",
            scaler,
            [{"cron": "0 * * * *", "duration": "1h", "minReplicas": 50}],
            manager=manager,
        )
    with pytest.raises(Forbidden):
        actions.set_schedules(BOB, "sandbox", "pins", scaler, schedules, manager=manager)


def test_namespace_owner_from_group_annotation(
    db: str, sandbox: Sandbox, manager: ClusterManager
) -> None:
    from pinconsole.db import session_scope
    from pinconsole.models.catalog import Entity

    body = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Group",
        "metadata": {"name": "boards", "annotations": {"pinconsole.io/namespaces": "boards, x"}},
        "spec": {"type": "team", "children": []},
    }
    with session_scope() as s:
        s.add(
            Entity(
                uid="g-boards",
                ref="group:default/boards",
                kind="group",
                namespace="default",
                name="boards",
                body=body,
                etag="1",
            )
        )
    assert tenancy.owners_of("boards") == {"group:default/boards"}
    assert tenancy.namespaces_of("boards") == {"boards", "x"}
    # boards-api's PinScaler owns 3 to 8 replicas: a count inside it
    actions.scale_pinapp(BOB, "sandbox", "boards", "boards-api", 4, manager=manager)


def test_logs_tail_container_search_follow(sandbox: Sandbox, manager: ClusterManager) -> None:
    pod = manager.get("sandbox").pods_of(("pins", "pins-api"))[0].name
    # pins-api runs a sidecar: the first container is read unless another is chosen
    assert logs.containers_of("sandbox", "pins", pod, manager=manager) == ["main", "envoy"]
    lines = logs.pod_logs("sandbox", "pins", pod, tail_lines=20, manager=manager)
    assert len(lines) == 20 and all(" main " in line for line in lines)
    envoy = logs.pod_logs("sandbox", "pins", pod, "envoy", tail_lines=5, manager=manager)
    assert len(envoy) == 5 and all(" envoy " in line for line in envoy)
    errors = logs.pod_logs("sandbox", "pins", pod, tail_lines=500, search="error", manager=manager)
    assert errors and all("ERROR" in line for line in errors)
    with pytest.raises(Invalid):
        logs.pod_logs("sandbox", "pins", pod, container="nope", manager=manager)
    stream = logs.follow_pod_logs("sandbox", "pins", pod, tail_lines=2, manager=manager)
    followed = [next(stream) for _ in range(4)]  # two from the tail, two written while following
    stream.close()
    assert len(set(followed)) == 4 and followed == sorted(followed)  # timestamps move on
    tail = logs.pod_logs("sandbox", "pins", pod, tail_lines=50, manager=manager)
    assert followed[:2] == [line for line in tail if line <= followed[1]][-2:]

    # A reader blocked on a quiet stream (a search that matches nothing) is freed by close().
    quiet = logs.follow_pod_logs(
        "sandbox", "pins", pod, tail_lines=0, search="no such text", manager=manager
    )
    done = threading.Event()
    reader = threading.Thread(target=lambda: (list(quiet), done.set()), daemon=True)
    reader.start()
    time.sleep(0.5)
    assert not done.is_set()
    quiet.close()
    assert done.wait(5), "close() did not unblock the reader"


def test_stale_schedules_edit_conflicts_and_changes_nothing(
    db: str, owners: None, sandbox: Sandbox, manager: ClusterManager, scaler: str
) -> None:
    """Two people edit the schedules: the one whose version is stale gets a Conflict naming what
    the PinScaler holds now, the other's schedules stay, and the attempt is audited."""
    seen = sandbox.call(sandbox.emulator.get, PINSCALERS, "pins", scaler)["metadata"][
        "resourceVersion"
    ]
    theirs = [{"name": "night", "cron": "0 22 * * *", "duration": "8h", "minReplicas": 1}]
    actions.set_schedules(
        CHILD, "sandbox", "pins", scaler, theirs, resource_version=seen, manager=manager
    )
    mine = [{"name": "peak", "cron": "0 18 * * *", "duration": "4h", "minReplicas": 5}]
    with pytest.raises(Conflict) as caught:
        actions.set_schedules(
            ALICE, "sandbox", "pins", scaler, mine, resource_version=seen, manager=manager
        )
    message = str(caught.value)
    assert message.startswith(
        "PinScaler pins/pins-api was changed by someone else since you opened it "
        "(now min 2, max 6 and 1 schedule); nothing was changed"
    ), message
    assert _spec(sandbox, PINSCALERS, "pins", scaler)["schedules"] == theirs
    ok, failed = _audit("pinscaler.schedules")[1], _audit("pinscaler.schedules")[0]
    assert (ok.actor, ok.outcome, ok.after) == ("carol", "ok", {"schedules": theirs})
    assert (failed.actor, failed.outcome) == ("alice", "error")
    assert failed.detail == f"Conflict: {message}" and failed.after is None


def test_stale_scale_names_the_current_replicas(
    db: str, owners: None, sandbox: Sandbox, manager: ClusterManager, scaler: str
) -> None:
    seen = sandbox.call(sandbox.emulator.get, PINAPPS, "pins", "pins-api")["metadata"][
        "resourceVersion"
    ]
    actions.scale_pinapp(CHILD, "sandbox", "pins", "pins-api", 5, manager=manager)
    with pytest.raises(Conflict, match=r"pins-api was changed .* \(now at replicas 5\)"):
        actions.scale_pinapp(
            ALICE, "sandbox", "pins", "pins-api", 1, resource_version=seen, manager=manager
        )
    assert _spec(sandbox, PINAPPS, "pins", "pins-api")["replicas"] == 5
    # min/max on the PinScaler: a stale version is refused the same way
    limits_seen = sandbox.call(sandbox.emulator.get, PINSCALERS, "pins", scaler)["metadata"][
        "resourceVersion"
    ]
    actions.scale_pinscaler(CHILD, "sandbox", "pins", scaler, 3, 9, manager=manager)
    with pytest.raises(Conflict, match=r"\(now min 3, max 9 and 1 schedule\)"):
        actions.scale_pinscaler(
            ALICE, "sandbox", "pins", scaler, 1, 4, resource_version=limits_seen, manager=manager
        )
    spec = _spec(sandbox, PINSCALERS, "pins", scaler)
    assert (spec["minReplicas"], spec["maxReplicas"]) == (3, 9)
    assert _audit("pinscaler.scale")[0].outcome == "error"


def test_invalid_input_is_refused_after_authorization_without_an_audit_row(
    db: str, owners: None, sandbox: Sandbox, manager: ClusterManager, scaler: str
) -> None:
    """A stranger is denied (audited) whatever the input; an owner's invalid input is refused
    before anything is sent and, like other invalid input, leaves no row (nothing happened)."""
    with pytest.raises(Forbidden):
        actions.scale_pinscaler(BOB, "sandbox", "pins", scaler, 8, 2, manager=manager)
    with pytest.raises(Forbidden):
        actions.scale_pinapp(BOB, "sandbox", "pins", "pins-api", -1, manager=manager)
    denied, _ = list_audit(AuditFilter(actor="bob", outcome="denied"))
    assert {r.action for r in denied} == {"pinscaler.scale", "pinapp.scale"}
    with pytest.raises(Invalid, match="less than or equal"):
        actions.scale_pinscaler(ALICE, "sandbox", "pins", scaler, 8, 2, manager=manager)
    with pytest.raises(Invalid, match="cron"):
        actions.set_schedules(
            ALICE,
            "sandbox",
            "pins",
            scaler,
            [{"cron": "nope", "duration": "1h", "minReplicas": 1}],
            manager=manager,
        )
    assert list_audit(AuditFilter(actor="alice"))[1] == 0
    spec = _spec(sandbox, PINSCALERS, "pins", scaler)
    assert (spec["minReplicas"], spec["maxReplicas"]) == (2, 6)
