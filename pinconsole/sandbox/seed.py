"""Demo data for a sandbox: PinApps (some with a PinScaler), their pods and events.

``pinapp_body`` and ``pinscaler_body`` are valid against the CRDs in ``deploy/crds``; tests use
them to create objects through the API as a client would.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

from pinconsole.compute.constants import API_VERSION, KUBE_ID_LABEL, TEAM_LABEL
from pinconsole.sandbox.cluster import SandboxEmulator
from pinconsole.sandbox.resources import NAMESPACES, PINAPPS, PINSCALERS


def pinapp_body(
    name: str,
    *,
    image: str = "registry.pinconsole.dev/demo/app:1.0.0",
    replicas: int = 2,
    tier: str = "on-demand",
    service: str | None = None,
    kubernetes_id: str | None = None,
    team: str | None = None,
    sidecar: bool = False,
) -> dict[str, Any]:
    labels = {KUBE_ID_LABEL: kubernetes_id or name}
    containers: list[dict[str, Any]] = [
        {
            "name": "main",
            "resources": {
                "requests": {"cpu": "250m", "memory": "256Mi"},
                "limits": {"cpu": "1", "memory": "512Mi"},
            },
            "env": [{"name": "LOG_LEVEL", "value": "info"}],
        }
    ]
    if sidecar:  # a second container, so the log view's container choice matters
        containers.append(
            {
                "name": "envoy",
                "image": "registry.pinconsole.dev/platform/envoy:1.31.0",
                "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
            }
        )
    if team:  # a label value cannot hold a ref's ':' and '/': the group's name
        labels[TEAM_LABEL] = team.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return {
        "apiVersion": API_VERSION,
        "kind": "PinApp",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "image": image,
            "replicas": replicas,
            "tier": tier,
            "service": service or f"component:default/{name}",
            "paused": False,
            "ports": [{"name": "http", "containerPort": 8080}],
            "containers": containers,
        },
    }


def pinscaler_body(
    name: str, target: str, min_replicas: int = 2, max_replicas: int = 6
) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "PinScaler",
        "metadata": {"name": name},
        "spec": {
            "targetRef": {"apiVersion": API_VERSION, "kind": "PinApp", "name": target},
            "minReplicas": min_replicas,
            "maxReplicas": max_replicas,
            "metrics": [{"type": "cpu", "targetUtilization": 70}],
            "schedules": [
                {
                    "name": "business-hours",
                    "cron": "0 8 * * 1-5",
                    "duration": "10h",
                    "minReplicas": min_replicas + 1,
                }
            ],
            "cooldownSeconds": 300,
        },
    }


def seed_demo(
    emulator: SandboxEmulator,
    services: Iterable[tuple[str, str, str | None]],
    *,
    rng: random.Random | None = None,
    pods: bool = True,
) -> int:
    """Create a PinApp (+ PinScaler for some) for each demo service, and with ``pods`` its pods,
    an event and status from the stand-in controller (``reconcile``); without, PinCompute's
    controller makes the Deployments and the emulator's controllers the pods, as in the demo.

    ``services`` yields ``(kubernetes_id, namespace, team)``. Runs on the emulator's loop.
    """
    rng = rng or random.Random(42)
    count = 0
    tiers = ["reserved", "on-demand", "preemptible"]
    for kube_id, namespace, team in services:
        if not emulator.exists(NAMESPACES, None, namespace):
            emulator.create(NAMESPACES, None, {"metadata": {"name": namespace}})
        if emulator.exists(PINAPPS, namespace, kube_id):
            continue
        replicas = rng.choice([1, 2, 2, 3, 3, 4, 6])
        app = emulator.create(
            PINAPPS,
            namespace,
            pinapp_body(
                kube_id,
                replicas=replicas,
                tier=rng.choice(tiers),
                image=f"registry.pinconsole.dev/{namespace}/{kube_id}:1.{rng.randint(0, 30)}.0",
                team=team,
                sidecar=len(kube_id) % 2 == 0,  # about half, without moving the seeded rng
            ),
        )
        for _ in range(replicas if pods else 0):
            emulator.add_pod(namespace, app)
        if rng.random() < 0.6:
            emulator.create(
                PINSCALERS,
                namespace,
                pinscaler_body(kube_id, kube_id, max(1, replicas - 1), replicas + 4),
            )
        if pods:
            emulator.add_event(
                namespace, "PinApp", kube_id, "ScalingReplicaSet", f"Scaled up to {replicas}"
            )
        count += 1
    if pods:
        emulator.reconcile()
    return count
