"""The PinApp/PinScaler controller against the sandbox emulator, whose own controllers (Deployments,
ReplicaSets, pods, HPAs, the garbage collector) run as a cluster's would: PinApps become
Deployments and Services the PinApp owns, PinScalers HPAs on the PinApp's scale subresource, with
status, conditions and Events written back; a schedule window raises the minimum and lowers it
after, with the clock injected; a PinScaler without its target reports it and does not loop."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fixtures.polling import wait_for

from pinconsole.compute import queries
from pinconsole.compute.cache import ClusterCache
from pinconsole.compute.clusters import ClusterManager, api_factory
from pinconsole.compute.constants import PINAPP_LABEL, RESTARTED_AT, SPEC_HASH_ANNOTATION
from pinconsole.compute.controller import Controller, Reconciler
from pinconsole.sandbox import (
    DEPLOYMENTS,
    EVENTS,
    HPAS,
    PINAPPS,
    PINSCALERS,
    PODS,
    SERVICES,
    Sandbox,
    SandboxEmulator,
    pinapp_body,
    pinscaler_body,
)
from pinconsole.settings import ClusterSettings, Settings, TierSettings

NS = "pins"


class FakeClock:
    """The controller's clock, moved by the test."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self.now = moment


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    emulator = SandboxEmulator(hpa_seconds=0.2)
    sb = Sandbox(emulator, kubeconfig=tmp_path / "kubeconfig").start()
    sb.run_loops(controller_seconds=0.05, chaos_seconds=None)
    yield sb
    sb.stop()


def _factory(sb: Sandbox) -> Any:
    return api_factory(ClusterSettings(name="sandbox", kubeconfig=str(sb.kubeconfig)))


def _settings(**extra: Any) -> Settings:
    tiers = {
        "reserved": TierSettings(
            node_selector={"pool": "reserved"},
            tolerations=[{"key": "reserved", "operator": "Exists", "effect": "NoSchedule"}],
            priority_class_name="pinconsole-reserved",
        )
    }
    return Settings(
        controller_lease_seconds=2,
        controller_workers=2,
        controller_resync_seconds=600,
        pinapp_tiers=tiers,
        **extra,
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 7, 0, tzinfo=UTC))  # a Monday, before business hours


@pytest.fixture
def controller(sandbox: Sandbox, clock: FakeClock) -> Iterator[Controller]:
    running = Controller(
        [("sandbox", _factory(sandbox))],
        identity="test",
        settings=_settings(),
        clock=clock,
        watch_timeout=5,
    ).start()
    wait_for(lambda: _reconciler(running) is not None and _reconciler(running).synced(), 15)
    yield running
    running.stop()


def _reconciler(running: Controller) -> Reconciler:
    return running.clusters["sandbox"].reconciler  # type: ignore[return-value]


def _get(sb: Sandbox, key: str, name: str, ns: str = NS) -> dict[str, Any] | None:
    def read() -> dict[str, Any] | None:
        return sb.emulator._store[key].get((ns, name))

    return sb.call(read)


def _create(sb: Sandbox, key: str, body: dict[str, Any], ns: str = NS) -> dict[str, Any]:
    return sb.call(sb.emulator.create, key, ns, body)


def _patch(sb: Sandbox, key: str, name: str, patch: dict[str, Any]) -> dict[str, Any]:
    return sb.call(sb.emulator.update, key, NS, name, patch)


def _status(sb: Sandbox, name: str) -> dict[str, Any]:
    return (_get(sb, PINAPPS, name) or {}).get("status") or {}


def _pods(sb: Sandbox, name: str) -> list[dict[str, Any]]:
    return [
        p
        for p in sb.call(sb.emulator.objects_of, PODS)
        if p["metadata"]["labels"].get(PINAPP_LABEL) == name
    ]


def _condition(obj: dict[str, Any] | None, type_: str) -> dict[str, Any]:
    conditions = ((obj or {}).get("status") or {}).get("conditions") or []
    return next((c for c in conditions if c["type"] == type_), {})


def _settled(sb: Sandbox, name: str, replicas: int, image: str | None = None) -> bool:
    status = _status(sb, name)
    pods = _pods(sb, name)
    return (
        status.get("readyReplicas") == replicas
        and status.get("updatedReplicas") == replicas
        and len(pods) == replicas
        and (image is None or status.get("currentImage") == image)
        and (image is None or {p["spec"]["containers"][0]["image"] for p in pods} <= {image})
    )


def _events(sb: Sandbox, kind: str, name: str) -> list[str]:
    return [
        e["reason"]
        for e in sb.call(sb.emulator.objects_of, EVENTS)
        if e["involvedObject"]["kind"] == kind and e["involvedObject"]["name"] == name
    ]


def test_a_pinapp_becomes_a_deployment_and_a_service_it_owns(
    sandbox: Sandbox, controller: Controller
) -> None:
    body = pinapp_body("pins-api", replicas=3, tier="reserved", sidecar=True)
    app = _create(sandbox, PINAPPS, body)
    wait_for(lambda: _settled(sandbox, "pins-api", 3, body["spec"]["image"]), 20)
    deploy = _get(sandbox, DEPLOYMENTS, "pins-api")
    assert deploy is not None
    (owner,) = deploy["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["uid"], owner["controller"]) == (
        "PinApp",
        app["metadata"]["uid"],
        True,
    )
    spec = deploy["spec"]
    assert spec["replicas"] == 3 and spec["paused"] is False
    assert spec["selector"]["matchLabels"] == {PINAPP_LABEL: "pins-api"}
    pod = spec["template"]["spec"]
    main, envoy = pod["containers"]
    assert main["image"] == body["spec"]["image"]
    assert main["resources"] == body["spec"]["containers"][0]["resources"]
    assert main["env"] == [{"name": "LOG_LEVEL", "value": "info"}]
    assert main["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert envoy["image"] == "registry.pinconsole.dev/platform/envoy:1.31.0"
    assert pod["nodeSelector"] == {"pool": "reserved"}
    assert pod["tolerations"][0]["key"] == "reserved"
    assert pod["priorityClassName"] == "pinconsole-reserved"
    service = _get(sandbox, SERVICES, "pins-api")
    assert service is not None
    assert service["metadata"]["ownerReferences"][0]["uid"] == app["metadata"]["uid"]
    assert service["spec"]["selector"] == {PINAPP_LABEL: "pins-api"}
    assert service["spec"]["ports"][0]["port"] == 8080 and service["spec"]["clusterIP"]
    status = _status(sandbox, "pins-api")
    assert status["observedGeneration"] == 1
    assert status["selector"] == f"{PINAPP_LABEL}=pins-api"
    assert _condition(_get(sandbox, PINAPPS, "pins-api"), "Available")["status"] == "True"
    assert _condition(_get(sandbox, PINAPPS, "pins-api"), "Reconciled")["reason"] == "Applied"
    assert {"CreatedDeployment", "CreatedService"} <= set(_events(sandbox, "PinApp", "pins-api"))


def test_the_pinapp_page_shows_the_pods_and_events_the_controller_made(
    sqlite_db: str, sandbox: Sandbox, controller: Controller
) -> None:
    _create(sandbox, PINAPPS, pinapp_body("pins-api", replicas=2))
    _create(sandbox, PINSCALERS, pinscaler_body("pins-api", "pins-api", min_replicas=2))
    wait_for(lambda: _settled(sandbox, "pins-api", 2), 20)
    manager = ClusterManager()
    cache = ClusterCache(name="sandbox", api_factory=_factory(sandbox), watch_timeout=5)
    manager.add(cache, sampler=False)
    try:
        assert cache.wait_synced(15)
        page = wait_for(
            lambda: (
                (p := queries.get_pinapp("sandbox", NS, "pins-api", manager=manager))["pods"]
                and {"CreatedDeployment", "CreatedHorizontalPodAutoscaler"}
                <= {e["reason"] for e in p["events"]}
                and p
            ),
            10,
        )
        assert len(page["pods"]) == 2 and page["row"]["ready"] == 2
    finally:
        manager.stop()


def test_an_update_rolls_and_status_follows(sandbox: Sandbox, controller: Controller) -> None:
    _create(sandbox, PINAPPS, pinapp_body("pins-api", replicas=2))
    wait_for(lambda: _settled(sandbox, "pins-api", 2), 20)
    _patch(sandbox, PINAPPS, "pins-api", {"spec": {"image": "pins/api:2", "replicas": 4}})
    wait_for(lambda: _settled(sandbox, "pins-api", 4, "pins/api:2"), 20)
    deploy = _get(sandbox, DEPLOYMENTS, "pins-api")
    assert deploy is not None and deploy["spec"]["replicas"] == 4
    assert _status(sandbox, "pins-api")["observedGeneration"] == 2
    assert "UpdatedDeployment" in _events(sandbox, "PinApp", "pins-api")


def test_a_reconcile_of_what_is_in_sync_writes_nothing(
    sandbox: Sandbox, controller: Controller
) -> None:
    _create(sandbox, PINAPPS, pinapp_body("pins-api", replicas=2))
    wait_for(lambda: _settled(sandbox, "pins-api", 2), 20)
    reconciler = _reconciler(controller)
    wait_for(lambda: not len(reconciler.queue), 10)
    before = [
        (_get(sandbox, k, "pins-api") or {})["metadata"]["resourceVersion"]
        for k in (PINAPPS, DEPLOYMENTS, SERVICES)
    ]
    reconciler.reconcile_pinapp(NS, "pins-api")
    reconciler.reconcile_pinapp(NS, "pins-api")
    after = [
        (_get(sandbox, k, "pins-api") or {})["metadata"]["resourceVersion"]
        for k in (PINAPPS, DEPLOYMENTS, SERVICES)
    ]
    assert after == before
    deploy = _get(sandbox, DEPLOYMENTS, "pins-api")
    assert deploy is not None and SPEC_HASH_ANNOTATION in deploy["metadata"]["annotations"]


def test_drift_on_the_deployment_is_put_back(sandbox: Sandbox, controller: Controller) -> None:
    _create(sandbox, PINAPPS, pinapp_body("pins-api", replicas=2))
    wait_for(lambda: _settled(sandbox, "pins-api", 2), 20)
    sandbox.call(sandbox.emulator.update, DEPLOYMENTS, NS, "pins-api", {"spec": {"replicas": 7}})
    wait_for(lambda: (_get(sandbox, DEPLOYMENTS, "pins-api") or {})["spec"]["replicas"] == 2, 10)


def test_pause_keeps_the_pods_and_resume_rolls(sandbox: Sandbox, controller: Controller) -> None:
    _create(sandbox, PINAPPS, pinapp_body("pins-api", replicas=2, image="pins/api:1"))
    wait_for(lambda: _settled(sandbox, "pins-api", 2, "pins/api:1"), 20)
    _patch(sandbox, PINAPPS, "pins-api", {"spec": {"paused": True}})
    wait_for(lambda: (_get(sandbox, DEPLOYMENTS, "pins-api") or {})["spec"]["paused"], 10)
    _patch(sandbox, PINAPPS, "pins-api", {"spec": {"image": "pins/api:2"}})

    def image_of_deployment() -> str:
        deploy = _get(sandbox, DEPLOYMENTS, "pins-api") or {}
        return str(deploy["spec"]["template"]["spec"]["containers"][0]["image"])

    # The paused condition alone was already true from the pause: wait for the new template.
    wait_for(lambda: image_of_deployment() == "pins/api:2", 10)
    pinapp = _get(sandbox, PINAPPS, "pins-api")
    assert _condition(pinapp, "Progressing").get("reason") == "DeploymentPaused"
    assert {p["spec"]["containers"][0]["image"] for p in _pods(sandbox, "pins-api")} == {
        "pins/api:1"
    }
    assert _status(sandbox, "pins-api")["currentImage"] == "pins/api:1"
    _patch(sandbox, PINAPPS, "pins-api", {"spec": {"paused": False}})
    wait_for(lambda: _settled(sandbox, "pins-api", 2, "pins/api:2"), 20)


def test_restart_replaces_every_pod(sandbox: Sandbox, controller: Controller) -> None:
    _create(sandbox, PINAPPS, pinapp_body("pins-api", replicas=2))
    wait_for(lambda: _settled(sandbox, "pins-api", 2), 20)
    before = {p["metadata"]["name"] for p in _pods(sandbox, "pins-api")}
    stamp = "2026-03-02T07:00:00Z"
    patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
    _patch(sandbox, PINAPPS, "pins-api", patch)
    wait_for(
        lambda: (
            _settled(sandbox, "pins-api", 2)
            and before.isdisjoint(p["metadata"]["name"] for p in _pods(sandbox, "pins-api"))
        ),
        20,
    )
    assert all(
        p["metadata"]["annotations"][RESTARTED_AT] == stamp for p in _pods(sandbox, "pins-api")
    )


def test_ports_removed_remove_the_service_and_delete_removes_everything(
    sandbox: Sandbox, controller: Controller
) -> None:
    _create(sandbox, PINAPPS, pinapp_body("pins-api", replicas=1))
    wait_for(lambda: _get(sandbox, SERVICES, "pins-api") is not None, 20)
    _patch(sandbox, PINAPPS, "pins-api", {"spec": {"ports": []}})
    wait_for(lambda: _get(sandbox, SERVICES, "pins-api") is None, 10)
    assert "DeletedService" in _events(sandbox, "PinApp", "pins-api")
    wait_for(lambda: _settled(sandbox, "pins-api", 1), 20)
    sandbox.call(sandbox.emulator.delete, PINAPPS, NS, "pins-api")
    wait_for(
        lambda: _get(sandbox, DEPLOYMENTS, "pins-api") is None and not _pods(sandbox, "pins-api"),
        20,
    )


def test_a_deployment_someone_else_owns_is_left_alone(
    sandbox: Sandbox, controller: Controller
) -> None:
    theirs = {
        "metadata": {"name": "pins-api", "labels": {"team": "other"}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "theirs"}},
            "template": {
                "metadata": {"labels": {"app": "theirs"}},
                "spec": {"containers": [{"name": "x", "image": "theirs:1"}]},
            },
        },
    }
    _create(sandbox, DEPLOYMENTS, theirs)
    _create(sandbox, PINAPPS, pinapp_body("pins-api", replicas=2))
    wait_for(
        lambda: (
            _condition(_get(sandbox, PINAPPS, "pins-api"), "Reconciled").get("reason") == "NotOwned"
        ),
        10,
    )
    deploy = _get(sandbox, DEPLOYMENTS, "pins-api")
    assert deploy is not None and deploy["spec"]["replicas"] == 1
    assert "ownerReferences" not in deploy["metadata"]
    assert "NotOwned" in _events(sandbox, "PinApp", "pins-api")


def test_a_pinscaler_becomes_an_hpa_on_the_pinapp_scale(
    sandbox: Sandbox, controller: Controller
) -> None:
    _create(sandbox, PINAPPS, pinapp_body("pins-api", replicas=2))
    body = pinscaler_body("pins-api", "pins-api", min_replicas=2, max_replicas=6)
    body["spec"]["metrics"].append({"type": "custom", "name": "qps", "targetValue": "100"})
    scaler = _create(sandbox, PINSCALERS, body)
    wait_for(lambda: _get(sandbox, HPAS, "pins-api") is not None, 20)
    hpa = _get(sandbox, HPAS, "pins-api")
    assert hpa is not None
    assert hpa["metadata"]["ownerReferences"][0]["uid"] == scaler["metadata"]["uid"]
    spec = hpa["spec"]
    assert spec["scaleTargetRef"] == {
        "apiVersion": "compute.pinconsole.io/v1alpha1",
        "kind": "PinApp",
        "name": "pins-api",
    }
    assert (spec["minReplicas"], spec["maxReplicas"]) == (2, 6)
    assert spec["metrics"][0]["resource"]["target"]["averageUtilization"] == 70
    assert spec["metrics"][1]["pods"] == {
        "metric": {"name": "qps"},
        "target": {"type": "AverageValue", "averageValue": "100"},
    }
    assert spec["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 300
    wait_for(lambda: _condition(_get(sandbox, PINSCALERS, "pins-api"), "AbleToScale"), 10)
    # The first status may be written before the HPA controller's first pass counted pods.
    wait_for(
        lambda: (
            ((_get(sandbox, PINSCALERS, "pins-api") or {}).get("status") or {}).get(
                "currentReplicas", 0
            )
            >= 1
        ),
        10,
    )
    scaler_now = _get(sandbox, PINSCALERS, "pins-api")
    assert _condition(scaler_now, "TargetFound")["status"] == "True"
    _patch(sandbox, PINSCALERS, "pins-api", {"spec": {"minReplicas": 3, "maxReplicas": 8}})
    wait_for(
        lambda: (
            (h := _get(sandbox, HPAS, "pins-api"))
            and (h["spec"]["minReplicas"], h["spec"]["maxReplicas"]) == (3, 8)
        ),
        10,
    )
    sandbox.call(sandbox.emulator.delete, PINSCALERS, NS, "pins-api")
    wait_for(lambda: _get(sandbox, HPAS, "pins-api") is None, 10)


def test_a_schedule_window_raises_the_minimum_and_restores_it(
    sandbox: Sandbox, controller: Controller, clock: FakeClock
) -> None:
    _create(sandbox, PINAPPS, pinapp_body("pins-api", replicas=2))
    body = pinscaler_body("pins-api", "pins-api", min_replicas=2, max_replicas=6)
    body["spec"]["schedules"] = [
        {"name": "business-hours", "cron": "0 8 * * 1-5", "duration": "10h", "minReplicas": 4}
    ]
    # A metric the sandbox cannot read: the HPA then only enforces its range, nothing moves it.
    body["spec"]["metrics"] = [{"type": "custom", "name": "qps", "targetValue": "100"}]
    _create(sandbox, PINSCALERS, body)

    def hpa_min() -> int | None:
        return ((_get(sandbox, HPAS, "pins-api") or {}).get("spec") or {}).get("minReplicas")

    wait_for(lambda: hpa_min() == 2, 20)
    assert _condition(_get(sandbox, PINSCALERS, "pins-api"), "ScheduleActive")["status"] == "False"
    clock.set(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))  # the window opens
    _reconciler(controller).resync_all()
    wait_for(lambda: hpa_min() == 4, 10)
    # the emulated HPA brings the PinApp to its new minimum, and the Deployment's pods follow
    wait_for(lambda: _settled(sandbox, "pins-api", 4), 20)
    active = _condition(_get(sandbox, PINSCALERS, "pins-api"), "ScheduleActive")
    assert active["status"] == "True" and "business-hours" in active["message"]
    assert "MinReplicas" in _events(sandbox, "PinScaler", "pins-api")

    # A controller started mid-window (a restart) finds the window open from the clock alone.
    controller.stop()
    clock.set(clock() + timedelta(hours=3))
    later = Controller(
        [("sandbox", _factory(sandbox))],
        identity="restarted",
        settings=_settings(),
        clock=clock,
        watch_timeout=5,
    ).start()
    try:
        wait_for(lambda: _reconciler(later) is not None and _reconciler(later).synced(), 15)
        assert hpa_min() == 4
        clock.set(datetime(2026, 3, 2, 18, 0, tzinfo=UTC))  # the window closes
        _reconciler(later).resync_all()
        wait_for(lambda: hpa_min() == 2, 10)
        assert (
            _condition(_get(sandbox, PINSCALERS, "pins-api"), "ScheduleActive")["status"] == "False"
        )
    finally:
        later.stop()


def test_a_pinscaler_without_its_target_reports_it_and_does_not_loop(
    sandbox: Sandbox, controller: Controller
) -> None:
    _create(sandbox, PINSCALERS, pinscaler_body("ghost", "ghost"))
    wait_for(
        lambda: (
            _condition(_get(sandbox, PINSCALERS, "ghost"), "TargetFound").get("reason")
            == "PinAppNotFound"
        ),
        10,
    )
    reconciler = _reconciler(controller)
    wait_for(lambda: not len(reconciler.queue), 10)
    settled = reconciler.reconciles
    reconciler.reconcile_pinscaler(NS, "ghost")  # a repeat changes nothing and fails nothing
    assert reconciler.failures == 0
    assert _events(sandbox, "PinScaler", "ghost").count("TargetNotFound") == 1
    hpa = _get(sandbox, HPAS, "ghost")  # the HPA is there and says what it misses
    wait_for(lambda: _condition(_get(sandbox, HPAS, "ghost"), "AbleToScale"), 10)
    assert hpa is not None
    assert _condition(_get(sandbox, HPAS, "ghost"), "AbleToScale")["reason"] == "FailedGetScale"
    assert reconciler.reconciles - settled <= 3
    _create(sandbox, PINAPPS, pinapp_body("ghost", replicas=1))
    wait_for(
        lambda: (
            _condition(_get(sandbox, PINSCALERS, "ghost"), "TargetFound").get("status") == "True"
        ),
        10,
    )


# ---- leader election --------------------------------------------------------------------------
def _lease(sb: Sandbox) -> dict[str, Any] | None:
    from pinconsole.sandbox import LEASES

    return _get(sb, LEASES, "pinconsole-controller", ns="pinconsole")


def _micro(stamp: str) -> datetime:
    """A Lease's MicroTime (the client may send it as ``...Z`` or ``...+00:00``)."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_a_second_instance_waits_and_takes_over_when_the_leader_stops(
    sandbox: Sandbox, clock: FakeClock
) -> None:
    def start(identity: str) -> Controller:
        return Controller(
            [("sandbox", _factory(sandbox))],
            identity=identity,
            settings=_settings(),
            clock=clock,
            watch_timeout=5,
        ).start()

    first = start("first")
    wait_for(lambda: first.clusters["sandbox"].leading, 10)
    second = start("second")
    try:
        _create(sandbox, PINAPPS, pinapp_body("pins-api", replicas=1))
        wait_for(lambda: _get(sandbox, DEPLOYMENTS, "pins-api") is not None, 15)
        assert not second.clusters["sandbox"].leading
        assert second.clusters["sandbox"].reconciler is None  # a follower watches nothing
        first.stop()  # a clean stop gives the Lease up
        assert first.clusters["sandbox"].reconciler is None
        wait_for(lambda: second.clusters["sandbox"].leading, 10)
        assert (_lease(sandbox) or {})["spec"]["holderIdentity"] == "second"
        _create(sandbox, PINAPPS, pinapp_body("pins-worker", replicas=1))
        wait_for(lambda: _get(sandbox, DEPLOYMENTS, "pins-worker") is not None, 15)
    finally:
        second.stop()
        first.stop()


def test_when_the_leader_process_is_killed_the_other_takes_over_after_the_lease(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """Two ``pinconsole controller`` processes; kill -9 the one holding the Lease. The other
    takes over once the Lease has gone unrenewed for its duration, never before, and then
    reconciles what the dead one would have."""
    import json
    import os
    import signal
    import subprocess
    import sys

    env = {
        **os.environ,
        "PINCONSOLE_CLUSTERS": json.dumps(
            [{"name": "sandbox", "kubeconfig": str(sandbox.kubeconfig)}]
        ),
        "PINCONSOLE_CONTROLLER_LEASE_SECONDS": "2",
        "PINCONSOLE_DATA_DIR": str(tmp_path),
    }
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-m", "pinconsole.cli", "controller", "--identity", name],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name in ("alpha", "beta")
    }
    try:
        wait_for(lambda: ((_lease(sandbox) or {}).get("spec") or {}).get("holderIdentity"), 60)
        _create(sandbox, PINAPPS, pinapp_body("pins-api", replicas=1))
        wait_for(lambda: _get(sandbox, DEPLOYMENTS, "pins-api") is not None, 30)
        leader = (_lease(sandbox) or {})["spec"]["holderIdentity"]
        other = next(n for n in procs if n != leader)
        procs[leader].send_signal(signal.SIGKILL)
        procs[leader].wait(10)
        last = (_lease(sandbox) or {})["spec"]  # the dead leader's last renewal
        taken = wait_for(
            lambda: (s := (_lease(sandbox) or {})["spec"])["holderIdentity"] == other and s, 30
        )
        gap = (_micro(taken["acquireTime"]) - _micro(last["renewTime"])).total_seconds()
        assert gap >= last["leaseDurationSeconds"], "taken over before the lease ran out"
        assert taken["leaseTransitions"] == last["leaseTransitions"] + 1
        _create(sandbox, PINAPPS, pinapp_body("pins-worker", replicas=1))
        wait_for(lambda: _get(sandbox, DEPLOYMENTS, "pins-worker") is not None, 30)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
                proc.wait(15)


def test_the_command_refuses_to_run_without_a_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from pinconsole.cli import build_app
    from pinconsole.settings import get_settings

    monkeypatch.setenv("PINCONSOLE_CLUSTERS", "[]")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(build_app(), ["controller"])
        assert result.exit_code == 2 and "no clusters configured" in result.output
        result = CliRunner().invoke(build_app(), ["controller", "--cluster", "nowhere"])
        assert result.exit_code == 2 and "unknown cluster(s) nowhere" in result.output
    finally:
        get_settings.cache_clear()
