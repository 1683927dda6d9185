"""The resources the sandbox serves, keyed ``group/version/plural`` (core ones ``/v1/plural``).

The core kinds PinCompute reads (pods, events, namespaces), what the PinApp controller writes
(services, apps/v1 Deployments and their ReplicaSets, autoscaling/v2 HPAs, coordination.k8s.io
Leases), PinCompute's CRDs with their ``status`` and ``scale`` subresources, and
``metrics.k8s.io`` PodMetrics. CRD schemas come from ``deploy/crds``, so the emulator refuses
what a real API server with those CRDs would refuse.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from pinconsole.compute.constants import API_VERSION, PINAPP_PLURAL, PINSCALER_PLURAL

PINAPPS = f"{API_VERSION}/{PINAPP_PLURAL}"
PINSCALERS = f"{API_VERSION}/{PINSCALER_PLURAL}"
PODS = "/v1/pods"
EVENTS = "/v1/events"
NAMESPACES = "/v1/namespaces"
SERVICES = "/v1/services"
DEPLOYMENTS = "apps/v1/deployments"
REPLICASETS = "apps/v1/replicasets"
HPAS = "autoscaling/v2/horizontalpodautoscalers"
LEASES = "coordination.k8s.io/v1/leases"
POD_METRICS = "metrics.k8s.io/v1beta1/pods"


class Kind(NamedTuple):
    """What discovery says about a resource, and which subresources it has."""

    kind: str
    api_version: str
    namespaced: bool
    subresources: tuple[str, ...]


KINDS: dict[str, Kind] = {
    PODS: Kind("Pod", "v1", True, ("log", "status")),
    EVENTS: Kind("Event", "v1", True, ()),
    NAMESPACES: Kind("Namespace", "v1", False, ()),
    SERVICES: Kind("Service", "v1", True, ("status",)),
    DEPLOYMENTS: Kind("Deployment", "apps/v1", True, ("status", "scale")),
    REPLICASETS: Kind("ReplicaSet", "apps/v1", True, ("status", "scale")),
    HPAS: Kind("HorizontalPodAutoscaler", "autoscaling/v2", True, ("status",)),
    LEASES: Kind("Lease", "coordination.k8s.io/v1", True, ()),
    PINAPPS: Kind("PinApp", API_VERSION, True, ("status", "scale")),
    PINSCALERS: Kind("PinScaler", API_VERSION, True, ("status",)),
}


def load_schemas() -> dict[str, dict[str, Any]]:
    """CRD schemas by resource key, so the emulator rejects what a real API server would."""
    from pinconsole.compute.crds import CRD_DIR, load_crds

    if not CRD_DIR.is_dir():
        return {}
    return {
        f"{crd['spec']['group']}/{v['name']}/{crd['spec']['names']['plural']}": v["schema"][
            "openAPIV3Schema"
        ]
        for crd in load_crds().values()
        for v in crd["spec"]["versions"]
    }


def key_of(api_version: str, kind: str) -> str | None:
    """The resource key serving ``kind`` of ``api_version`` (a scaleTargetRef, an owner)."""
    for key, info in KINDS.items():
        if info.kind == kind and info.api_version == api_version:
            return key
    return None
