"""What the API server does to built-in kinds on every write: defaulting and validation.

A real API server fills defaults when it decodes a Deployment, a Service or an HPA (strategy,
revisionHistoryLimit, container pull policies, a Service's clusterIP, an HPA's scaling
behaviour) and refuses what validation refuses (a selector that does not match the template's
labels, an immutable selector or clusterIP changed, minReplicas above maxReplicas). A client
that compares what it wants with what it reads must cope with those defaults, so the emulator
adds them too. ``admit`` is called on every create and update with the old object (or None).
"""

from __future__ import annotations

import ipaddress
import itertools
from typing import Any

from pinconsole.sandbox.protocol import ApiError
from pinconsole.sandbox.resources import DEPLOYMENTS, HPAS, LEASES, REPLICASETS, SERVICES

_SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/16")
_next_ip = itertools.count(10)


def admit(key: str, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    """Default and validate ``obj`` (in place) as the API server does for its kind."""
    if key in (DEPLOYMENTS, REPLICASETS):
        _default_workload(key, obj)
        _validate_workload(obj, old)
    elif key == SERVICES:
        _default_service(obj, old)
    elif key == HPAS:
        _default_hpa(obj)
        _validate_hpa(obj)
    elif key == LEASES:
        spec = obj.get("spec") or {}
        seconds = spec.get("leaseDurationSeconds")
        if seconds is not None and (not isinstance(seconds, int) or seconds <= 0):
            _invalid("spec.leaseDurationSeconds", seconds, "must be greater than 0")


def _invalid(field: str, value: Any, why: str) -> None:
    raise ApiError(422, "Invalid", f"{field}: Invalid value: {value!r}: {why}")


def _default_pod_spec(spec: dict[str, Any]) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    for container in spec.get("containers") or []:
        image = str(container.get("image") or "")
        latest = ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest")
        container.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
        container.setdefault("terminationMessagePath", "/dev/termination-log")
        container.setdefault("terminationMessagePolicy", "File")
        container.setdefault("resources", {})
        for port in container.get("ports") or []:
            port.setdefault("protocol", "TCP")


def _default_workload(key: str, obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    if key == DEPLOYMENTS:
        spec.setdefault("progressDeadlineSeconds", 600)
        strategy = spec.setdefault("strategy", {"type": "RollingUpdate"})
        if strategy.get("type", "RollingUpdate") == "RollingUpdate":
            strategy["type"] = "RollingUpdate"
            rolling = strategy.setdefault("rollingUpdate", {})
            rolling.setdefault("maxSurge", "25%")
            rolling.setdefault("maxUnavailable", "25%")
    _default_pod_spec(spec.setdefault("template", {}).setdefault("spec", {}))


def _validate_workload(obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    spec = obj["spec"]
    selector = (spec.get("selector") or {}).get("matchLabels")
    if not selector:
        _invalid("spec.selector", spec.get("selector"), "empty selector is invalid for deployment")
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if any(labels.get(k) != v for k, v in selector.items()):
        _invalid("spec.template.metadata.labels", labels, "`selector` does not match template")
    if not (spec["template"].get("spec") or {}).get("containers"):
        _invalid("spec.template.spec.containers", [], "Required value")
    replicas = spec.get("replicas")
    if not isinstance(replicas, int) or replicas < 0:
        _invalid("spec.replicas", replicas, "must be greater than or equal to 0")
    if old is not None and (old.get("spec") or {}).get("selector") != spec.get("selector"):
        _invalid("spec.selector", spec.get("selector"), "field is immutable")


def _default_service(obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    for port in spec.get("ports") or []:
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port.get("port"))
    was = ((old or {}).get("spec") or {}).get("clusterIP")
    if was and not spec.get("clusterIP"):  # an update without the allocated IP keeps it
        spec["clusterIP"] = was
    elif was and spec["clusterIP"] != was:
        _invalid("spec.clusterIP", spec["clusterIP"], "field is immutable")
    elif not spec.get("clusterIP"):
        spec["clusterIP"] = str(_SERVICE_CIDR[next(_next_ip) % _SERVICE_CIDR.num_addresses])
    spec["clusterIPs"] = [spec["clusterIP"]]


def _default_hpa(obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("minReplicas", 1)
    behavior = spec.setdefault("behavior", {})
    up = behavior.setdefault("scaleUp", {})
    up.setdefault("stabilizationWindowSeconds", 0)
    up.setdefault("selectPolicy", "Max")
    up.setdefault(
        "policies",
        [
            {"type": "Pods", "value": 4, "periodSeconds": 15},
            {"type": "Percent", "value": 100, "periodSeconds": 15},
        ],
    )
    down = behavior.setdefault("scaleDown", {})
    down.setdefault("selectPolicy", "Max")
    down.setdefault("policies", [{"type": "Percent", "value": 100, "periodSeconds": 15}])


def _validate_hpa(obj: dict[str, Any]) -> None:
    spec = obj["spec"]
    ref = spec.get("scaleTargetRef") or {}
    if not ref.get("kind") or not ref.get("name"):
        _invalid("spec.scaleTargetRef", ref, "kind and name are required")
    low, high = spec.get("minReplicas"), spec.get("maxReplicas")
    if not isinstance(high, int) or high < 1:
        _invalid("spec.maxReplicas", high, "must be greater than or equal to 1")
    if not isinstance(low, int) or low < 1:
        _invalid("spec.minReplicas", low, "must be greater than or equal to 1")
    if low > high:
        _invalid("spec.maxReplicas", high, "must be greater than or equal to `minReplicas`")
