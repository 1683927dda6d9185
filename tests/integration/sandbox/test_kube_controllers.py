"""The sandbox's Kubernetes side, as a controller sees it through the official client: the
Deployment and ReplicaSet controllers rolling pods, the kubelet starting them, HPAs keeping a
target within range from CPU usage, Leases and Services stored as the API server stores them,
and deletion with finalizers, preconditions and the garbage collector's three propagation
policies. The emulator's passes are run by hand (``settle``), so nothing here waits on a clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from pinconsole.sandbox import (
    DEPLOYMENTS,
    HPAS,
    PINAPPS,
    PODS,
    REPLICASETS,
    SERVICES,
    Sandbox,
    SandboxEmulator,
    pinapp_body,
)
from pinconsole.sandbox.workloads import HASH_LABEL

NS = "shop"


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    sb = Sandbox(SandboxEmulator(), kubeconfig=tmp_path / "kubeconfig").start()
    yield sb
    sb.stop()


@pytest.fixture
def api(sandbox: Sandbox) -> client.ApiClient:
    return config.new_client_from_config(str(sandbox.kubeconfig))


def _deployment(name: str, replicas: int = 3, image: str = "shop/cart:1", **spec: Any) -> dict:
    labels = {"app": name}
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": "main",
                            "image": image,
                            "resources": {"requests": {"cpu": "100m"}},
                        }
                    ]
                },
            },
            **spec,
        },
    }


def _rolled_out(sb: Sandbox, api: client.ApiClient, replicas: int) -> client.AppsV1Api:
    """A Deployment ``cart`` created and settled: its ReplicaSet and running pods."""
    apps = client.AppsV1Api(api)
    apps.create_namespaced_deployment(NS, _deployment("cart", replicas=replicas))
    sb.call(sb.emulator.settle)
    return apps


def _pass(sb: Sandbox, *, hpas: bool) -> bool:
    """One pass of the emulator's controllers (with or without the HPAs)."""
    return bool(sb.call(lambda: sb.emulator.control(hpas=hpas)))


def _delete(apps: client.AppsV1Api, policy: str) -> None:
    apps.delete_namespaced_deployment(
        "cart", NS, body=client.V1DeleteOptions(propagation_policy=policy)
    )


def _objects(sb: Sandbox, key: str) -> list[dict[str, Any]]:
    return [o for o in sb.call(sb.emulator.objects_of, key) if o["metadata"]["namespace"] == NS]


def _pods_by_image(sb: Sandbox) -> dict[str, int]:
    counts: dict[str, int] = {}
    for pod in _objects(sb, PODS):
        image = pod["spec"]["containers"][0]["image"]
        counts[image] = counts.get(image, 0) + 1
    return counts


def test_a_deployment_gets_a_replicaset_and_running_pods_with_status(
    sandbox: Sandbox, api: client.ApiClient
) -> None:
    apps = client.AppsV1Api(api)
    created = apps.create_namespaced_deployment(NS, _deployment("cart"))
    # The API server's defaults, as a controller comparing what it wants must expect them.
    assert created.spec.strategy.rolling_update.max_surge == "25%"
    assert created.spec.template.spec.containers[0].image_pull_policy == "IfNotPresent"
    sandbox.call(sandbox.emulator.settle)
    (rs,) = apps.list_namespaced_replica_set(NS).items
    assert rs.metadata.owner_references[0].kind == "Deployment"
    assert rs.metadata.owner_references[0].controller is True
    pods = client.CoreV1Api(api).list_namespaced_pod(NS, label_selector="app=cart").items
    assert len(pods) == 3 and {p.status.phase for p in pods} == {"Running"}
    assert {p.metadata.labels[HASH_LABEL] for p in pods} == {rs.metadata.labels[HASH_LABEL]}
    status = apps.read_namespaced_deployment_status("cart", NS).status
    assert (status.replicas, status.ready_replicas, status.updated_replicas) == (3, 3, 3)
    assert status.observed_generation == 1
    conditions = {c.type: (c.status, c.reason) for c in status.conditions}
    assert conditions == {
        "Available": ("True", "MinimumReplicasAvailable"),
        "Progressing": ("True", "NewReplicaSetAvailable"),
    }


def test_a_new_template_rolls_within_surge_and_unavailability(
    sandbox: Sandbox, api: client.ApiClient
) -> None:
    apps = _rolled_out(sandbox, api, replicas=4)
    apps.patch_namespaced_deployment(
        "cart",
        NS,
        {
            "spec": {
                "template": {"spec": {"containers": [{"name": "main", "image": "shop/cart:2"}]}}
            }
        },
    )
    seen: list[dict[str, int]] = []
    for _ in range(40):
        busy = _pass(sandbox, hpas=False)
        counts = _pods_by_image(sandbox)
        seen.append(counts)
        # maxSurge 25% of 4 = 1 more pod at most; maxUnavailable 25% = 1 fewer available
        assert sum(counts.values()) <= 5
        if not busy:
            break
    assert seen[-1] == {"shop/cart:2": 4}
    assert any(len(c) == 2 for c in seen), "old and new pods ran side by side"
    sets = apps.list_namespaced_replica_set(NS).items
    assert sorted(s.spec.replicas for s in sets) == [0, 4]
    new = next(s for s in sets if s.spec.replicas == 4)
    assert new.metadata.annotations["deployment.kubernetes.io/revision"] == "2"
    status = apps.read_namespaced_deployment_status("cart", NS).status
    assert status.updated_replicas == 4 and status.observed_generation == 2


def test_a_paused_deployment_scales_but_does_not_roll(
    sandbox: Sandbox, api: client.ApiClient
) -> None:
    apps = _rolled_out(sandbox, api, replicas=2)
    apps.patch_namespaced_deployment(
        "cart",
        NS,
        {
            "spec": {
                "paused": True,
                "replicas": 3,
                "template": {"spec": {"containers": [{"name": "main", "image": "shop/cart:2"}]}},
            }
        },
    )
    sandbox.call(sandbox.emulator.settle)
    assert _pods_by_image(sandbox) == {"shop/cart:1": 3}
    status = apps.read_namespaced_deployment_status("cart", NS).status
    assert {c.type: c.reason for c in status.conditions}["Progressing"] == "DeploymentPaused"
    apps.patch_namespaced_deployment("cart", NS, {"spec": {"paused": False}})
    sandbox.call(sandbox.emulator.settle)
    assert _pods_by_image(sandbox) == {"shop/cart:2": 3}


def test_scale_and_status_subresources_of_a_deployment(
    sandbox: Sandbox, api: client.ApiClient
) -> None:
    apps = _rolled_out(sandbox, api, replicas=1)
    scale = apps.read_namespaced_deployment_scale("cart", NS)
    assert (scale.spec.replicas, scale.status.replicas, scale.status.selector) == (1, 1, "app=cart")
    seen = apps.read_namespaced_deployment("cart", NS)
    apps.patch_namespaced_deployment_scale("cart", NS, {"spec": {"replicas": 2}})
    with pytest.raises(ApiException) as caught:  # replacing what was read before the scale
        apps.replace_namespaced_deployment("cart", NS, seen)
    assert caught.value.status == 409
    # status sent with the object is dropped, and a write that changes nothing is no new version
    version = apps.read_namespaced_deployment("cart", NS).metadata.resource_version
    apps.patch_namespaced_deployment("cart", NS, {"status": {"readyReplicas": 99}})
    after = apps.read_namespaced_deployment("cart", NS)
    assert after.status.ready_replicas != 99 and after.metadata.resource_version == version
    sandbox.call(sandbox.emulator.settle)
    assert len(_objects(sandbox, PODS)) == 2
    with pytest.raises(ApiException) as caught:
        apps.patch_namespaced_deployment(
            "cart", NS, {"spec": {"selector": {"matchLabels": {"app": "other"}}}}
        )
    assert caught.value.status == 422


def test_a_quota_shows_as_replica_failure(sandbox: Sandbox, api: client.ApiClient) -> None:
    sandbox.emulator.pod_quota[NS] = 2
    apps = _rolled_out(sandbox, api, replicas=3)
    assert len(_objects(sandbox, PODS)) == 2
    status = apps.read_namespaced_deployment_status("cart", NS).status
    failure = next(c for c in status.conditions if c.type == "ReplicaFailure")
    assert failure.status == "True" and failure.reason == "FailedCreate"
    assert "exceeded quota" in failure.message


def test_background_deletion_collects_dependents_after_the_owner(
    sandbox: Sandbox, api: client.ApiClient
) -> None:
    apps = _rolled_out(sandbox, api, replicas=2)
    apps.delete_namespaced_deployment("cart", NS)
    with pytest.raises(ApiException):
        apps.read_namespaced_deployment("cart", NS)  # gone at once
    assert _objects(sandbox, REPLICASETS)  # its dependents wait for the collector
    sandbox.call(sandbox.emulator.settle)
    assert not _objects(sandbox, REPLICASETS) and not _objects(sandbox, PODS)


def test_foreground_deletion_keeps_the_owner_until_its_dependents_are_gone(
    sandbox: Sandbox, api: client.ApiClient
) -> None:
    apps = _rolled_out(sandbox, api, replicas=2)
    _delete(apps, "Foreground")
    marked = apps.read_namespaced_deployment("cart", NS)
    assert marked.metadata.deletion_timestamp is not None
    assert marked.metadata.finalizers == ["foregroundDeletion"]
    _pass(sandbox, hpas=False)  # the ReplicaSet goes in the foreground
    assert sandbox.call(sandbox.emulator.exists, DEPLOYMENTS, NS, "cart")
    sandbox.call(sandbox.emulator.settle)
    assert not sandbox.call(sandbox.emulator.exists, DEPLOYMENTS, NS, "cart")
    assert not _objects(sandbox, REPLICASETS) and not _objects(sandbox, PODS)


def test_orphan_deletion_leaves_the_dependents_without_the_reference(
    sandbox: Sandbox, api: client.ApiClient
) -> None:
    apps = _rolled_out(sandbox, api, replicas=2)
    _delete(apps, "Orphan")
    sandbox.call(sandbox.emulator.settle)
    assert not sandbox.call(sandbox.emulator.exists, DEPLOYMENTS, NS, "cart")
    (rs,) = apps.list_namespaced_replica_set(NS).items
    assert not rs.metadata.owner_references
    assert len(_objects(sandbox, PODS)) == 2  # the ReplicaSet still owns its pods


def test_an_owner_recreated_under_the_same_name_does_not_keep_old_dependents(
    sandbox: Sandbox, api: client.ApiClient
) -> None:
    core = client.CoreV1Api(api)
    first = sandbox.call(sandbox.emulator.create, PINAPPS, NS, pinapp_body("cart"))
    service = {
        "metadata": {
            "name": "cart",
            "ownerReferences": [
                {
                    "apiVersion": first["apiVersion"],
                    "kind": "PinApp",
                    "name": "cart",
                    "uid": first["metadata"]["uid"],
                    "controller": True,
                }
            ],
        },
        "spec": {"selector": {"app": "cart"}, "ports": [{"port": 80}]},
    }
    created = core.create_namespaced_service(NS, service)
    assert created.spec.cluster_ip and created.spec.ports[0].target_port == 80
    sandbox.call(sandbox.emulator.delete, PINAPPS, NS, "cart")
    sandbox.call(sandbox.emulator.create, PINAPPS, NS, pinapp_body("cart"))
    sandbox.call(sandbox.emulator.settle)
    assert not sandbox.call(sandbox.emulator.exists, SERVICES, NS, "cart")


def test_finalizers_and_preconditions(sandbox: Sandbox, api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    svc = core.create_namespaced_service(
        NS,
        {
            "metadata": {"name": "db", "finalizers": ["example.com/keep"]},
            "spec": {"ports": [{"port": 5432}]},
        },
    )
    with pytest.raises(ApiException) as caught:
        core.delete_namespaced_service(
            "db", NS, body=client.V1DeleteOptions(preconditions={"uid": "someone-else"})
        )
    assert caught.value.status == 409
    core.delete_namespaced_service(
        "db", NS, body=client.V1DeleteOptions(preconditions={"uid": svc.metadata.uid})
    )
    marked = core.read_namespaced_service("db", NS)
    assert marked.metadata.deletion_timestamp is not None
    # an update keeps the allocated clusterIP and the deletion mark; emptying finalizers deletes
    core.patch_namespaced_service("db", NS, {"metadata": {"finalizers": None}})
    with pytest.raises(ApiException) as caught:
        core.read_namespaced_service("db", NS)
    assert caught.value.status == 404


def test_leases_are_stored_with_optimistic_concurrency(
    sandbox: Sandbox, api: client.ApiClient
) -> None:
    leases = client.CoordinationV1Api(api)
    body = client.V1Lease(
        metadata=client.V1ObjectMeta(name="pinconsole-controller"),
        spec=client.V1LeaseSpec(holder_identity="a", lease_duration_seconds=15),
    )
    lease = leases.create_namespaced_lease(NS, body)
    lease.spec.holder_identity = "b"
    leases.replace_namespaced_lease("pinconsole-controller", NS, lease)
    lease.spec.holder_identity = "c"  # still at the version "b" replaced
    with pytest.raises(ApiException) as caught:
        leases.replace_namespaced_lease("pinconsole-controller", NS, lease)
    assert caught.value.status == 409
    assert leases.read_namespaced_lease("pinconsole-controller", NS).spec.holder_identity == "b"


def _hpa(target: dict[str, Any], low: int, high: int, **extra: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": target["metadata"]["name"]},
        "spec": {
            "scaleTargetRef": {
                "apiVersion": target.get("apiVersion", "apps/v1"),
                "kind": target.get("kind", "Deployment"),
                "name": target["metadata"]["name"],
            },
            "minReplicas": low,
            "maxReplicas": high,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 50},
                    },
                }
            ],
            **extra,
        },
    }


def _set_usage(sb: Sandbox, millicores: int) -> None:
    for pod in sb.emulator.objects_of(PODS):  # on the emulator's loop already
        sb.emulator.usage[(NS, pod["metadata"]["name"])] = (millicores, 100_000)


def test_an_hpa_follows_cpu_within_min_and_max(sandbox: Sandbox, api: client.ApiClient) -> None:
    apps = client.AppsV1Api(api)
    scaling = client.AutoscalingV2Api(api)
    deploy = apps.create_namespaced_deployment(NS, _deployment("cart", replicas=2)).to_dict()
    deploy.update(apiVersion="apps/v1", kind="Deployment")
    window = {"scaleDown": {"stabilizationWindowSeconds": 0}}
    scaling.create_namespaced_horizontal_pod_autoscaler(NS, _hpa(deploy, 1, 5, behavior=window))
    sandbox.call(sandbox.emulator.settle)
    sandbox.call(_set_usage, sandbox, 100)  # 100% of the 100m request, target 50%: double
    _pass(sandbox, hpas=True)
    assert apps.read_namespaced_deployment_scale("cart", NS).spec.replicas == 4
    sandbox.call(sandbox.emulator.settle)
    sandbox.call(_set_usage, sandbox, 500)  # far above: capped at max
    _pass(sandbox, hpas=True)
    hpa = scaling.read_namespaced_horizontal_pod_autoscaler("cart", NS)
    assert hpa.status.desired_replicas == 5
    assert {c.type: c.reason for c in hpa.status.conditions}["ScalingLimited"] == "TooManyReplicas"
    assert hpa.status.last_scale_time is not None
    sandbox.call(sandbox.emulator.settle)
    sandbox.call(_set_usage, sandbox, 5)  # idle: down to min
    _pass(sandbox, hpas=True)
    assert apps.read_namespaced_deployment_scale("cart", NS).spec.replicas == 1


def test_an_hpa_raises_a_target_below_its_minimum_at_once(
    sandbox: Sandbox, api: client.ApiClient
) -> None:
    app = sandbox.call(sandbox.emulator.create, PINAPPS, NS, pinapp_body("cart", replicas=1))
    client.AutoscalingV2Api(api).create_namespaced_horizontal_pod_autoscaler(NS, _hpa(app, 3, 6))
    _pass(sandbox, hpas=True)
    assert sandbox.call(sandbox.emulator.get, PINAPPS, NS, "cart")["spec"]["replicas"] == 3


def test_an_hpa_without_its_target_says_so(sandbox: Sandbox, api: client.ApiClient) -> None:
    scaling = client.AutoscalingV2Api(api)
    ghost = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "ghost"}}
    scaling.create_namespaced_horizontal_pod_autoscaler(NS, _hpa(ghost, 1, 3))
    _pass(sandbox, hpas=True)
    _pass(sandbox, hpas=True)
    hpa = scaling.read_namespaced_horizontal_pod_autoscaler("ghost", NS)
    able = next(c for c in hpa.status.conditions if c.type == "AbleToScale")
    assert (able.status, able.reason) == ("False", "FailedGetScale")
    warnings = [
        e
        for e in client.CoreV1Api(api).list_namespaced_event(NS).items
        if e.reason == "FailedGetScale"
    ]
    assert len(warnings) == 1  # said once, not at every sync
    assert sandbox.call(sandbox.emulator.objects_of, HPAS)


def test_an_invalid_hpa_is_refused(api: client.ApiClient) -> None:
    ghost = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "ghost"}}
    with pytest.raises(ApiException) as caught:
        client.AutoscalingV2Api(api).create_namespaced_horizontal_pod_autoscaler(
            NS, _hpa(ghost, 4, 3)
        )
    assert caught.value.status == 422 and "minReplicas" in caught.value.body
