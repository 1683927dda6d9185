"""The console's and the controller's RBAC (deploy/kubernetes/base/console-rbac.yaml and
controller-rbac.yaml) allow exactly the Kubernetes calls their code makes, run against the
emulator and each request turned into the attributes RBAC checks. The console: the caches'
lists and watches, the heartbeat and the metrics sampler, every action (scale, restart, pause,
resume, PinScaler min/max and schedules) and pod logs. The controller: a PinApp and a PinScaler
created, changed and their Service removed, Events written and repeated, its Lease taken,
renewed and given up. Every client API method their modules name must have been seen here, so
a new call cannot slip past this test without a rule, and a rule no call needs fails it too."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp.web
import attrs
import pytest
import yaml
from fixtures.kubernetes_rbac import api_methods_named_in, attributes, granted, route_of
from fixtures.polling import wait_for

from pinconsole.access import Principal
from pinconsole.compute import actions, logs, queries
from pinconsole.compute.cache import ClusterCache
from pinconsole.compute.clusters import ClusterManager, api_factory
from pinconsole.compute.controller import Controller
from pinconsole.compute.controller.events import EventRecorder
from pinconsole.sandbox import (
    DEPLOYMENTS,
    HPAS,
    PINAPPS,
    PINSCALERS,
    SERVICES,
    Sandbox,
    SandboxEmulator,
    pinapp_body,
    pinscaler_body,
    seed_demo,
)
from pinconsole.settings import ClusterSettings, Settings

ROOT = Path(__file__).resolve().parents[3]
MODULES = ("actions", "queries", "cache", "logs")
ADMIN = Principal(name="root", is_admin=True)


Request = tuple[str, str, dict[str, str]]  # method, path as sent, query


@attrs.define(kw_only=True)
class RecordingEmulator(SandboxEmulator):
    """The sandbox, noting each request as it arrives (before any rewriting of its path)."""

    seen: list[Request] = attrs.field(factory=list, init=False)

    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        url = raw_request.rel_url
        self.seen.append((raw_request.method.upper(), url.path, dict(url.query)))
        return await super().__call__(raw_request)


@pytest.fixture
def recorded(tmp_path: Path) -> Iterator[tuple[Sandbox, ClusterManager]]:
    sandbox = Sandbox(RecordingEmulator(), kubeconfig=tmp_path / "kubeconfig").start()
    sandbox.call(seed_demo, sandbox.emulator, [("pins-api", "pins", "group:default/pins")])
    manager = ClusterManager()
    cluster = ClusterSettings(name="sandbox", kubeconfig=str(sandbox.kubeconfig), context="sandbox")
    cache = ClusterCache(name="sandbox", api_factory=api_factory(cluster), watch_timeout=30)
    manager.add(cache, sampler=False)  # sampled by hand below
    assert cache.wait_synced(15)
    yield sandbox, manager
    manager.stop()
    sandbox.stop()


def _requests(sandbox: Sandbox) -> list[Request]:
    emulator = sandbox.emulator
    assert isinstance(emulator, RecordingEmulator)
    return sandbox.call(lambda: list(emulator.seen))


def _watches(requests: list[Request]) -> list[str]:
    return [path for m, path, params in requests if attributes(m, path, params)[2] == "watch"]


def _rules(file: str, kind: str) -> list[dict[str, Any]]:
    docs = yaml.safe_load_all((ROOT / "deploy/kubernetes/base" / file).read_text())
    (role,) = [d for d in docs if d["kind"] == kind]
    return role["rules"]


def _exercised(requests: list[Request], modules: list[Path]) -> None:
    """Every client API method ``modules`` name was among ``requests``."""
    for module in modules:
        for name, cls in api_methods_named_in(module).items():
            verb, pattern = route_of(cls, name)
            assert any(m == verb and pattern.match(p) for m, p, _ in requests), (
                f"{module.relative_to(ROOT)} calls {name}, which this test never made: "
                "exercise it here"
            )


def test_the_console_may_make_exactly_the_calls_its_code_makes(
    sqlite_db: str, recorded: tuple[Sandbox, ClusterManager]
) -> None:
    sandbox, manager = recorded
    cache = manager.get("sandbox")
    scaler = pinscaler_body("pins-api", "pins-api")
    sandbox.call(sandbox.emulator.create, PINSCALERS, "pins", scaler)
    # The caches list, then watch, every kind.
    wait_for(lambda: len(set(_watches(_requests(sandbox)))) == 4)
    assert cache.heartbeat()
    cache.sample_metrics()
    assert cache.has_metrics_api

    # Reads come from the caches alone: the queries send nothing but what the watches do.
    before = len(_requests(sandbox))
    wait_for(lambda: cache.scaler_of(("pins", "pins-api")))
    queries.list_pinapps(manager=manager)
    page = queries.get_pinapp("sandbox", "pins", "pins-api", manager=manager)
    queries.pinapp_history("sandbox", "pins", "pins-api", manager=manager)
    queries.namespaces(manager)
    pod = page["pods"][0]["name"]
    queries.require_pod_of("sandbox", "pins", "pins-api", pod, manager=manager)
    during = _requests(sandbox)[before:]
    assert len(_watches(during)) == len(during), during

    # Every action, and the logs of a pod, read and follow.
    actions.scale_pinapp(ADMIN, "sandbox", "pins", "pins-api", 3, manager=manager)
    actions.restart_pinapp(ADMIN, "sandbox", "pins", "pins-api", manager=manager)
    actions.pause_pinapp(ADMIN, "sandbox", "pins", "pins-api", manager=manager)
    actions.resume_pinapp(ADMIN, "sandbox", "pins", "pins-api", manager=manager)
    actions.scale_pinscaler(ADMIN, "sandbox", "pins", "pins-api", 1, 6, manager=manager)
    schedule = [{"cron": "0 8 * * 1-5", "duration": "10h", "minReplicas": 4}]
    actions.set_schedules(ADMIN, "sandbox", "pins", "pins-api", schedule, manager=manager)
    assert logs.pod_logs("sandbox", "pins", pod, tail_lines=5, manager=manager)
    stream = logs.follow_pod_logs("sandbox", "pins", pod, tail_lines=1, manager=manager)
    next(stream)
    stream.close()

    requests = _requests(sandbox)
    _exercised(requests, [ROOT / f"pinconsole/compute/{module}.py" for module in MODULES])
    needed = {attributes(method, path, params) for method, path, params in requests}
    allowed = granted(_rules("console-rbac.yaml", "ClusterRole"))
    assert needed - allowed == set(), "calls the console makes that its ClusterRole refuses"
    assert allowed - needed == set(), "rules no call of the console needs (least privilege)"


def _get(sandbox: Sandbox, key: str, name: str) -> dict[str, Any] | None:
    return sandbox.call(lambda: sandbox.emulator._store[key].get(("pins", name)))


def test_the_controller_may_make_exactly_the_calls_its_code_makes(tmp_path: Path) -> None:
    sandbox = Sandbox(RecordingEmulator(hpa_seconds=0.2), kubeconfig=tmp_path / "kubeconfig")
    sandbox.start().run_loops(controller_seconds=0.05, chaos_seconds=None)
    cluster = ClusterSettings(name="sandbox", kubeconfig=str(sandbox.kubeconfig))
    settings = Settings(controller_lease_seconds=2, controller_workers=1)
    running = Controller([("sandbox", api_factory(cluster))], identity="rbac", settings=settings)
    try:
        running.start()
        update = sandbox.emulator.update
        sandbox.call(sandbox.emulator.create, PINAPPS, "pins", pinapp_body("pins-api"))
        scaler = pinscaler_body("pins-api", "pins-api")
        sandbox.call(sandbox.emulator.create, PINSCALERS, "pins", scaler)
        wait_for(
            lambda: _get(sandbox, HPAS, "pins-api") and _get(sandbox, SERVICES, "pins-api"), 20
        )
        wait_for(lambda: (_get(sandbox, PINAPPS, "pins-api") or {}).get("status") or {}, 20)
        # Changed: the Deployment, the Service and the HPA are updated; no ports, no Service.
        ports = [{"name": "http", "containerPort": 9090}]
        sandbox.call(
            update, PINAPPS, "pins", "pins-api", {"spec": {"image": "app:2", "ports": ports}}
        )
        sandbox.call(update, PINSCALERS, "pins", "pins-api", {"spec": {"maxReplicas": 9}})
        wait_for(lambda: (_get(sandbox, HPAS, "pins-api") or {})["spec"]["maxReplicas"] == 9, 20)
        service = lambda: (_get(sandbox, SERVICES, "pins-api") or {}).get("spec") or {}  # noqa: E731
        wait_for(lambda: service()["ports"][0]["port"] == 9090, 20)
        deployment = lambda: (_get(sandbox, DEPLOYMENTS, "pins-api") or {}).get("spec") or {}  # noqa: E731
        wait_for(lambda: deployment()["template"]["spec"]["containers"][0]["image"] == "app:2", 20)
        sandbox.call(update, PINAPPS, "pins", "pins-api", {"spec": {"ports": []}})
        wait_for(lambda: _get(sandbox, SERVICES, "pins-api") is None, 20)
        # A repeated event raises the first one's count (the controller waits 10 minutes).
        app = _get(sandbox, PINAPPS, "pins-api")
        assert app is not None
        recorder = EventRecorder(api_factory(cluster)(), repeat_seconds=0)
        recorder.record(app, "Normal", "Checked", "twice")
        recorder.record(app, "Normal", "Checked", "twice")
        assert recorder.written == 2
        time.sleep(settings.controller_lease_seconds)  # at least one renewal of the Lease
    finally:
        running.stop()  # gives the Lease up
        sandbox.stop()

    assert isinstance(sandbox.emulator, RecordingEmulator)
    requests = list(sandbox.emulator.seen)  # its loop has stopped: nothing writes to it now
    package = ROOT / "pinconsole" / "compute" / "controller"
    _exercised(requests, sorted(package.glob("*.py")))
    leases = [r for r in requests if "/coordination.k8s.io/" in r[1]]
    assert leases and all(
        p.startswith(f"/apis/coordination.k8s.io/v1/namespaces/{settings.controller_namespace}/")
        for _, p, _ in leases
    ), "the Lease lives in the controller's namespace (a Role there, not cluster-wide)"
    in_namespace = {attributes(*r) for r in leases}
    cluster_wide = {attributes(*r) for r in requests if r not in leases}
    allowed = granted(_rules("controller-rbac.yaml", "ClusterRole"))
    assert cluster_wide - allowed == set(), (
        "calls the controller makes that its ClusterRole refuses"
    )
    assert allowed - cluster_wide == set(), "rules no call of the controller needs"
    assert granted(_rules("controller-rbac.yaml", "Role")) == in_namespace
