"""The home page's workload health: my services' PinApps from the caches, worst health wins,
and a crash-looping pod makes its PinApp (and service) down."""

from __future__ import annotations

from fixtures.polling import wait_for

from pinconsole.compute.clusters import ClusterManager
from pinconsole.compute.home import services_health, team_pinapp_refs, worst_health
from pinconsole.sandbox import PODS, Sandbox
from pinconsole.sandbox.pods import crash

PINS = {"name": "pins", "title": "Pins", "url": "/catalog/component/default/pins"}
BOARDS = {"name": "boards", "title": "Boards", "url": "/catalog/component/default/boards"}
DOCS = {"name": "docs", "title": "Docs", "url": "/catalog/component/default/docs"}


def _services() -> list[dict]:
    selector = "backstage.io/kubernetes-id in (pins-api,pins-worker)"
    return [
        {**BOARDS, "annotations": {"backstage.io/kubernetes-id": "boards-api"}},
        {**DOCS, "annotations": {}},  # no workloads
        {**PINS, "annotations": {"backstage.io/kubernetes-label-selector": selector}},
    ]


def test_worst_health_wins() -> None:
    assert worst_health(["healthy", "degraded", "paused"]) == "degraded"
    assert worst_health(["healthy", "down"]) == "down"
    assert worst_health(["paused", "healthy"]) == "healthy"
    assert worst_health(["paused"]) == "paused"
    assert worst_health([]) == "none"


def test_a_crash_looping_pinapp_makes_its_service_red(
    sqlite_db: str, sandbox: Sandbox, manager: ClusterManager
) -> None:
    view = services_health(_services(), manager=manager)
    by_name = {s["name"]: s for s in view["services"]}
    assert by_name["pins"]["health"] == "healthy" and by_name["pins"]["kind"] == "ok"
    assert [a["name"] for a in by_name["pins"]["apps"]] == ["pins-api", "pins-worker"]
    api = by_name["pins"]["apps"][0]
    assert api["url"] == "/workloads/sandbox/pins/pins-api"
    assert api["ready"] == api["desired"] > 0 and not api["crash_looping"]
    assert by_name["docs"] == {**DOCS, "health": "none", "kind": "unknown", "apps": []}
    assert view["refs"] == [
        "pinapp:sandbox/boards/boards-api",
        "pinapp:sandbox/pins/pins-api",
        "pinapp:sandbox/pins/pins-worker",
    ]

    cache = manager.get("sandbox")
    pod = cache.pods_of(("pins", "pins-worker"))[0]
    sandbox.call(sandbox.emulator.mutate, PODS, "pins", pod.name, crash)
    wait_for(
        lambda: any(p.reason == "CrashLoopBackOff" for p in cache.pods_of(("pins", "pins-worker")))
    )

    view = services_health(_services(), manager=manager)
    pins = view["services"][0]
    assert pins["name"] == "pins"  # the worst first
    assert pins["health"] == "down" and pins["kind"] == "critical"
    worker = {a["name"]: a for a in pins["apps"]}["pins-worker"]
    assert worker["crash_looping"] and worker["health"] == "down" and worker["restarts"] >= 1
    assert {a["name"]: a for a in pins["apps"]}["pins-api"]["health"] == "healthy"
    assert [s["name"] for s in view["services"]][-1] == "docs"  # no workloads last


def test_the_teams_pinapps_are_those_in_namespaces_they_own(
    sqlite_db: str, owners: None, sandbox: Sandbox, manager: ClusterManager
) -> None:
    assert team_pinapp_refs(["group:default/pins"], manager=manager) == [
        "pinapp:sandbox/pins/pins-api",
        "pinapp:sandbox/pins/pins-worker",
    ]
    assert team_pinapp_refs(["group:default/nobody"], manager=manager) == []
