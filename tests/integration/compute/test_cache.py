"""The watch-fed cache against the sandbox emulator through the official client: initial list,
watch events, reconnect after the emulator restarts, relist on 410, stale marking, queries."""

from __future__ import annotations

import time

import pytest
from fixtures.polling import wait_for
from kubernetes import client, config

from pinconsole.compute import queries
from pinconsole.compute.clusters import ClusterManager
from pinconsole.sandbox import PINAPPS, PODS, Sandbox, pinapp_body

GROUP, VERSION = "compute.pinconsole.io", "v1alpha1"


@pytest.fixture(autouse=True)
def _catalog(sqlite_db: str) -> str:
    """Rows name the team owning their namespace, which the queries read from the catalog."""
    return sqlite_db


def _api(sandbox: Sandbox) -> client.CustomObjectsApi:
    return client.CustomObjectsApi(
        config.new_client_from_config(str(sandbox.kubeconfig), context="sandbox")
    )


def test_initial_list_fills_cache_and_indexes(sandbox: Sandbox, manager: ClusterManager) -> None:
    cache = manager.get("sandbox")
    assert {k for k in cache.pinapps} == {
        ("pins", "pins-api"),
        ("pins", "pins-worker"),
        ("boards", "boards-api"),
    }
    pods = cache.pods_of(("pins", "pins-api"))
    assert len(pods) == cache.pinapps[("pins", "pins-api")]["spec"]["replicas"]
    assert cache.keys_for_kube_id("boards-api") == {("boards", "boards-api")}
    rows, total, summary = queries.list_pinapps(manager=manager)
    assert total == 3 and sum(summary.values()) == 3
    assert {r["health"] for r in rows} <= {"healthy", "degraded", "down", "paused"}


def test_watch_add_modify_delete(sandbox: Sandbox, manager: ClusterManager) -> None:
    api = _api(sandbox)
    cache = manager.get("sandbox")
    body = pinapp_body("feed-api", replicas=2)
    api.create_namespaced_custom_object(GROUP, VERSION, "pins", "pinapps", body)
    wait_for(lambda: ("pins", "feed-api") in cache.rows)
    api.patch_namespaced_custom_object(
        GROUP, VERSION, "pins", "pinapps", "feed-api", {"spec": {"paused": True}}
    )
    wait_for(lambda: cache.rows[("pins", "feed-api")]["health"] == "paused")
    rows, total, _ = queries.list_pinapps(health="paused", manager=manager)
    assert [r["name"] for r in rows] == ["feed-api"] and total == 1
    api.delete_namespaced_custom_object(GROUP, VERSION, "pins", "pinapps", "feed-api")
    wait_for(lambda: ("pins", "feed-api") not in cache.rows)


def test_pod_events_update_row(sandbox: Sandbox, manager: ClusterManager) -> None:
    cache = manager.get("sandbox")
    pod = cache.pods_of(("pins", "pins-api"))[0]

    def crash(obj: dict) -> None:
        obj["status"]["containerStatuses"][0]["restartCount"] = 7

    sandbox.call(sandbox.emulator.mutate, PODS, "pins", pod.name, crash)
    wait_for(lambda: cache.rows[("pins", "pins-api")]["restarts"] >= 7)


def test_reconnect_after_emulator_restart(sandbox: Sandbox, manager: ClusterManager) -> None:
    cache = manager.get("sandbox")
    sandbox.pause()
    wait_for(lambda: cache.stale, timeout=10)
    status = queries.cluster_statuses(manager)[0]
    assert status["stale"] and status["stale_since"] and status["error"]
    # the cluster keeps serving what it last saw
    assert queries.list_pinapps(manager=manager)[1] == 3
    sandbox.call(sandbox.emulator.create, PINAPPS, "pins", pinapp_body("while-away"))
    sandbox.resume()
    wait_for(lambda: ("pins", "while-away") in cache.rows, timeout=15)
    wait_for(lambda: not cache.stale, timeout=15)
    assert cache.state["pinapps"].lists == 1  # resumed from its resourceVersion, no relist


def test_410_gone_relists(sandbox: Sandbox, manager: ClusterManager) -> None:
    cache = manager.get("sandbox")
    sandbox.pause()
    wait_for(lambda: cache.stale, timeout=10)
    sandbox.call(sandbox.emulator.delete, PINAPPS, "pins", "pins-worker")
    sandbox.call(sandbox.emulator.compact)
    sandbox.resume()
    wait_for(lambda: ("pins", "pins-worker") not in cache.rows, timeout=15, why=cache.state)
    assert cache.state["pinapps"].lists >= 2


def test_unreachable_cluster_is_stale_while_others_work(
    sandbox: Sandbox, manager: ClusterManager, tmp_path
) -> None:
    from pinconsole.compute.cache import ClusterCache
    from pinconsole.compute.clusters import api_factory
    from pinconsole.sandbox import free_port
    from pinconsole.settings import ClusterSettings

    dead = Sandbox(port=free_port())
    dead.write_kubeconfig(tmp_path / "dead")  # nothing listens there
    cfg = ClusterSettings(name="dead", kubeconfig=str(tmp_path / "dead"), context="sandbox")
    manager.add(
        ClusterCache(name="dead", api_factory=api_factory(cfg), max_backoff=0.5), sampler=False
    )
    wait_for(lambda: manager.get("dead").stale)
    statuses = {s["name"]: s for s in queries.cluster_statuses(manager)}
    assert statuses["dead"]["stale"] and not statuses["sandbox"]["stale"]
    assert queries.list_pinapps(manager=manager)[1] == 3


def test_get_pinapp_and_workloads_for_entity(sandbox: Sandbox, manager: ClusterManager) -> None:
    detail = queries.get_pinapp("sandbox", "pins", "pins-api", manager=manager)
    assert detail["row"]["name"] == "pins-api"
    assert detail["pods"] and {"name", "phase", "restarts", "age", "node"} <= set(detail["pods"][0])
    assert detail["events"], "seeded events are shown"
    assert "kind: PinApp" in detail["yaml"]
    assert {c["type"] for c in detail["conditions"]} == {"Available", "Progressing"}
    if detail["scaler"]:
        assert detail["scaler"]["spec"]["targetRef"]["name"] == "pins-api"
        assert detail["scaler"]["status"]["currentReplicas"] == detail["row"]["pods"]

    by_id = {"metadata": {"annotations": {"backstage.io/kubernetes-id": "pins-api"}}}
    assert [r["name"] for r in queries.workloads_for_entity(by_id, manager=manager)] == ["pins-api"]
    ours = {"metadata": {"annotations": {"pinconsole.io/kubernetes-id": "boards-api"}}}
    assert [r["name"] for r in queries.workloads_for_entity(ours, manager=manager)] == [
        "boards-api"
    ]
    selector = {
        "metadata": {
            "annotations": {
                "backstage.io/kubernetes-label-selector": "backstage.io/kubernetes-id in "
                "(pins-api,pins-worker)",
                "backstage.io/kubernetes-namespace": "pins",
            }
        }
    }
    names = [r["name"] for r in queries.workloads_for_entity(selector, manager=manager)]
    assert names == ["pins-api", "pins-worker"]
    wrong_ns = {
        "metadata": {
            "annotations": {
                "backstage.io/kubernetes-id": "pins-api",
                "backstage.io/kubernetes-namespace": "boards",
            }
        }
    }
    assert queries.workloads_for_entity(wrong_ns, manager=manager) == []
    assert not queries.has_kubernetes_annotations({"metadata": {}})


def test_list_filters_and_paging(sandbox: Sandbox, manager: ClusterManager) -> None:
    rows, total, _ = queries.list_pinapps(namespace="pins", manager=manager)
    assert total == 2 and [r["name"] for r in rows] == ["pins-api", "pins-worker"]
    rows, total, _ = queries.list_pinapps(text="BOARDS", manager=manager)
    assert [r["name"] for r in rows] == ["boards-api"]
    rows, total, _ = queries.list_pinapps(limit=1, offset=1, manager=manager)
    assert total == 3 and len(rows) == 1
    with pytest.raises(Exception, match="health"):
        queries.list_pinapps(health="sick", manager=manager)


def test_metrics_sampling(sandbox: Sandbox, manager: ClusterManager) -> None:
    cache = manager.get("sandbox")
    cache.sample_metrics()
    cache.sample_metrics()
    history = queries.pinapp_history("sandbox", "pins", "pins-api", manager=manager)
    assert history["has_metrics_api"] is True
    samples = history["samples"]
    assert len(samples) == 2
    assert samples[-1]["cpu_millicores"] > 0 and samples[-1]["memory_mib"] > 0
    assert samples[-1]["desired"] == cache.rows[("pins", "pins-api")]["desired"]


def test_no_metrics_api_is_reported(tmp_path) -> None:
    from pinconsole.compute.cache import ClusterCache
    from pinconsole.compute.clusters import api_factory
    from pinconsole.sandbox import SandboxEmulator, seed_demo
    from pinconsole.settings import ClusterSettings

    sb = Sandbox(SandboxEmulator(metrics_api=False), kubeconfig=tmp_path / "kc").start()
    try:
        sb.call(seed_demo, sb.emulator, [("solo", "solo", None)])
        cfg = ClusterSettings(name="bare", kubeconfig=str(sb.kubeconfig), context="sandbox")
        mgr = ClusterManager()
        cache = mgr.add(ClusterCache(name="bare", api_factory=api_factory(cfg)), sampler=False)
        assert cache.wait_synced(15)
        cache.sample_metrics()
        history = queries.pinapp_history("bare", "solo", "solo", manager=mgr)
        assert history["has_metrics_api"] is False
        assert history["samples"][0]["cpu_millicores"] is None
        assert history["samples"][0]["desired"] >= 1
        mgr.stop()
    finally:
        sb.stop()


def test_cluster_that_stops_answering_is_stale_within_seconds(sandbox: Sandbox, tmp_path) -> None:
    """Connections stay open but nothing answers (a partition): the heartbeat marks the cluster
    stale long before the watches' read timeout, and it recovers when answers come back."""
    from pinconsole.compute.cache import ClusterCache
    from pinconsole.compute.clusters import api_factory
    from pinconsole.settings import ClusterSettings

    cfg = ClusterSettings(name="sandbox", kubeconfig=str(sandbox.kubeconfig), context="sandbox")
    mgr = ClusterManager()
    cache = mgr.add(
        ClusterCache(
            name="sandbox",
            api_factory=api_factory(cfg),
            metrics_interval=0.3,
            heartbeat_timeout=1.0,
            max_backoff=0.5,
        )
    )
    try:
        assert cache.wait_synced(15)
        wait_for(lambda: cache.has_metrics_api is True, timeout=10)
        assert not cache.stale
        sandbox.emulator.frozen = True
        started = time.monotonic()
        wait_for(lambda: cache.stale, timeout=10)
        assert time.monotonic() - started < 8  # the watch read timeout alone would take 270 s
        assert "no answer" in (queries.cluster_statuses(mgr)[0]["error"] or "")
        assert queries.list_pinapps(manager=mgr)[1] == 3  # still serving what it saw
        sandbox.emulator.frozen = False
        wait_for(lambda: not cache.stale, timeout=20, why=cache.state)
    finally:
        sandbox.emulator.frozen = False
        mgr.stop()
