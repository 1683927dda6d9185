"""What a PinApp and a PinScaler ask of Kubernetes, and the status they get back: pure functions.

``deployment_for`` and ``service_for`` turn a PinApp into the apps/v1 Deployment and the Service
it owns; ``hpa_for`` turns a PinScaler into the autoscaling/v2 HPA on its PinApp's scale
subresource, its minimum raised while a schedule window is open. ``pinapp_status`` and
``scaler_status`` mirror what Kubernetes reports. Comparing wanted with observed (``in_sync``)
tolerates what the API server adds (defaults, a Service's clusterIP) and notices any field we
set that someone changed; the ``pinconsole.io/spec-hash`` annotation notices fields we stopped
setting.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pinconsole.compute.constants import (
    API_VERSION,
    MANAGED_BY_LABEL,
    PINAPP_LABEL,
    SPEC_HASH_ANNOTATION,
)
from pinconsole.compute.schedules import ScheduleState
from pinconsole.settings import TierSettings

MIRRORED_PINAPP = ("Available", "Progressing", "ReplicaFailure")
MIRRORED_SCALER = ("AbleToScale", "ScalingActive", "ScalingLimited")
CONDITION_FIELDS = ("type", "status", "reason", "message", "lastTransitionTime")


def owner_ref(owner: Mapping[str, Any], kind: str) -> dict[str, Any]:
    meta = owner["metadata"]
    return {
        "apiVersion": API_VERSION,
        "kind": kind,
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def controlled_by(obj: Mapping[str, Any] | None, owner: Mapping[str, Any]) -> bool:
    """Whether ``obj`` names ``owner`` (by uid) as its controller."""
    if obj is None:
        return False
    uid = owner["metadata"]["uid"]
    return any(
        ref.get("controller") and ref.get("uid") == uid
        for ref in obj["metadata"].get("ownerReferences") or []
    )


def spec_hash(body: Mapping[str, Any]) -> str:
    """A digest of what we set on an object (its spec, labels and owner)."""
    meta = body["metadata"]
    mine = {"spec": body["spec"], "labels": meta.get("labels"), "owners": meta["ownerReferences"]}
    return hashlib.sha256(json.dumps(mine, sort_keys=True).encode()).hexdigest()[:16]


def _metadata(owner: Mapping[str, Any], kind: str, labels: dict[str, str]) -> dict[str, Any]:
    """An owned object's metadata: the owner's name and namespace, our labels, the owner."""
    meta = owner["metadata"]
    return {
        "name": meta["name"],
        "namespace": meta["namespace"],
        "labels": labels,
        "ownerReferences": [owner_ref(owner, kind)],
    }


def _stamped(body: dict[str, Any]) -> dict[str, Any]:
    body["metadata"]["annotations"] = {SPEC_HASH_ANNOTATION: spec_hash(body)}
    return body


def covers(observed: Any, wanted: Any) -> bool:
    """True when every field of ``wanted`` holds in ``observed`` (which may hold more: the API
    server's defaults). Lists must have the same length, item by item."""
    if isinstance(wanted, Mapping):
        return isinstance(observed, Mapping) and all(
            covers(observed.get(k), v) for k, v in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(observed, list)
            and len(observed) == len(wanted)
            and all(covers(o, w) for o, w in zip(observed, wanted, strict=True))
        )
    return bool(observed == wanted)


def in_sync(observed: Mapping[str, Any] | None, wanted: Mapping[str, Any]) -> bool:
    if observed is None:
        return False
    meta = observed["metadata"]
    return (
        (meta.get("annotations") or {}).get(SPEC_HASH_ANNOTATION)
        == wanted["metadata"]["annotations"][SPEC_HASH_ANNOTATION]
        and covers(observed.get("spec"), wanted["spec"])
        and covers(meta.get("labels") or {}, wanted["metadata"]["labels"])
        and covers(meta.get("ownerReferences"), wanted["metadata"]["ownerReferences"])
    )


def merged(observed: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """The object to PUT: what is observed (others' labels and annotations, the version it
    stands on, fields the server allocated) with our spec, labels and owner over it."""
    body = copy.deepcopy(dict(observed))
    body.pop("status", None)
    meta = body["metadata"]
    meta["labels"] = {**(meta.get("labels") or {}), **wanted["metadata"]["labels"]}
    meta["annotations"] = {**(meta.get("annotations") or {}), **wanted["metadata"]["annotations"]}
    meta["ownerReferences"] = wanted["metadata"]["ownerReferences"]
    body["spec"] = copy.deepcopy(wanted["spec"])
    return body


# ---- PinApp -> Deployment and Service ----------------------------------------------------------
def _labels(app: Mapping[str, Any]) -> dict[str, str]:
    meta = app["metadata"]
    return {
        **(meta.get("labels") or {}),
        PINAPP_LABEL: meta["name"],
        MANAGED_BY_LABEL: "pinconsole",
    }


def _containers(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    containers = []
    for i, item in enumerate(spec.get("containers") or [{"name": "main"}]):
        container: dict[str, Any] = {
            "name": item["name"],
            "image": item.get("image") or spec["image"],
        }
        for field in ("resources", "env"):
            if item.get(field):
                container[field] = copy.deepcopy(item[field])
        if i == 0 and spec.get("ports"):
            container["ports"] = [
                {k: port[k] for k in ("name", "containerPort", "protocol") if k in port}
                for port in spec["ports"]
            ]
        containers.append(container)
    return containers


def deployment_for(app: Mapping[str, Any], tiers: Mapping[str, TierSettings]) -> dict[str, Any]:
    """The Deployment a PinApp owns: its image, replicas, containers (resources, env, ports),
    its tier's scheduling, ``paused`` and its pod template metadata (the restart annotation)."""
    meta, spec = app["metadata"], app["spec"]
    selector = {PINAPP_LABEL: meta["name"]}
    template = spec.get("template", {}).get("metadata") or {}
    pod_labels = {**_labels(app), **(template.get("labels") or {}), **selector}
    pod_spec: dict[str, Any] = {"containers": _containers(spec)}
    tier = tiers.get(spec.get("tier", ""))
    if tier is not None:
        if tier.node_selector:
            pod_spec["nodeSelector"] = dict(tier.node_selector)
        if tier.tolerations:
            pod_spec["tolerations"] = copy.deepcopy(tier.tolerations)
        if tier.priority_class_name:
            pod_spec["priorityClassName"] = tier.priority_class_name
    pod_meta: dict[str, Any] = {"labels": pod_labels}
    if template.get("annotations"):
        pod_meta["annotations"] = dict(template["annotations"])
    return _stamped(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": _metadata(app, "PinApp", _labels(app)),
            "spec": {
                "replicas": int(spec.get("replicas", 0)),
                "paused": bool(spec.get("paused", False)),
                "selector": {"matchLabels": selector},
                "template": {"metadata": pod_meta, "spec": pod_spec},
            },
        }
    )


def service_for(app: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ClusterIP Service of a PinApp that declares ports (None without ports)."""
    ports = app["spec"].get("ports") or []
    if not ports:
        return None
    meta = app["metadata"]
    service_ports = []
    for port in ports:
        number = int(port["containerPort"])
        name = port.get("name") or (f"port-{number}" if len(ports) > 1 else None)
        entry: dict[str, Any] = {
            "port": number,
            "targetPort": number,
            "protocol": port.get("protocol", "TCP"),
        }
        if name:
            entry["name"] = name
        service_ports.append(entry)
    return _stamped(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": _metadata(app, "PinApp", _labels(app)),
            "spec": {
                "type": "ClusterIP",
                "selector": {PINAPP_LABEL: meta["name"]},
                "ports": service_ports,
            },
        }
    )


def _condition(
    old: list[dict[str, Any]], type_: str, status: str, reason: str, message: str, now: str
) -> dict[str, Any]:
    prev = next((c for c in old if c.get("type") == type_), None)
    since = prev.get("lastTransitionTime") if prev and prev.get("status") == status else None
    return {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": since or now,
    }


def _mirrored(source: Mapping[str, Any] | None, types: tuple[str, ...]) -> list[dict[str, Any]]:
    conditions = ((source or {}).get("status") or {}).get("conditions") or []
    return [
        {k: c[k] for k in CONDITION_FIELDS if c.get(k) is not None}
        for c in conditions
        if c.get("type") in types
    ]


def pinapp_status(
    app: Mapping[str, Any],
    deployment: Mapping[str, Any] | None,
    applied: bool,
    problem: tuple[str, str] | None,
    now: str,
) -> dict[str, Any]:
    """A PinApp's status from its Deployment: counts, the image the rollout finished on,
    the generation applied and the Deployment's conditions, plus ``Reconciled`` (ours)."""
    old = app.get("status") or {}
    name = app["metadata"]["name"]
    status: dict[str, Any] = {"selector": f"{PINAPP_LABEL}={name}"}
    current_image = old.get("currentImage")
    if deployment is not None and controlled_by(deployment, app):
        ds = deployment.get("status") or {}
        for field in ("replicas", "readyReplicas", "updatedReplicas"):
            status[field] = int(ds.get(field) or 0)
        wanted = int(deployment["spec"].get("replicas") or 0)
        done = (
            int(ds.get("observedGeneration") or 0)
            >= int(deployment["metadata"].get("generation", 1))
            and status["updatedReplicas"] == status["replicas"] == wanted
            and int(ds.get("availableReplicas") or 0) == wanted
        )
        if done or (current_image is None and wanted == 0):
            current_image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    else:
        status.update(replicas=0, readyReplicas=0, updatedReplicas=0)
    if current_image:
        status["currentImage"] = current_image
    generation = app["metadata"].get("generation", 1) if applied else old.get("observedGeneration")
    if generation is not None:
        status["observedGeneration"] = generation
    reason, message = problem or ("Applied", "the Deployment and Service match the PinApp")
    status["conditions"] = [
        *_mirrored(
            deployment if deployment is not None and controlled_by(deployment, app) else None,
            MIRRORED_PINAPP,
        ),
        _condition(
            old.get("conditions") or [],
            "Reconciled",
            "False" if problem else "True",
            reason,
            message,
            now,
        ),
    ]
    return status


# ---- PinScaler -> HPA --------------------------------------------------------------------------
def _metric(item: Mapping[str, Any]) -> dict[str, Any]:
    if item.get("type") == "custom":
        return {
            "type": "Pods",
            "pods": {
                "metric": {"name": item["name"]},
                "target": {"type": "AverageValue", "averageValue": str(item["targetValue"])},
            },
        }
    return {
        "type": "Resource",
        "resource": {
            "name": "cpu",
            "target": {"type": "Utilization", "averageUtilization": int(item["targetUtilization"])},
        },
    }


def hpa_for(scaler: Mapping[str, Any], schedules: ScheduleState) -> dict[str, Any]:
    """The HPA on the PinApp's scale subresource: min (raised by an open window, at least 1 as
    autoscaling/v2 requires), max, the metrics, the cooldown as the scale-down window."""
    spec = scaler["spec"]
    high = int(spec["maxReplicas"])
    low = max(1, min(high, schedules.raised_min(int(spec.get("minReplicas", 1)))))
    body: dict[str, Any] = {
        "scaleTargetRef": {
            "apiVersion": API_VERSION,
            "kind": "PinApp",
            "name": spec["targetRef"]["name"],
        },
        "minReplicas": low,
        "maxReplicas": high,
    }
    if spec.get("metrics"):
        body["metrics"] = [_metric(m) for m in spec["metrics"]]
    if spec.get("cooldownSeconds") is not None:
        body["behavior"] = {
            "scaleDown": {"stabilizationWindowSeconds": int(spec["cooldownSeconds"])}
        }
    return _stamped(
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": _metadata(scaler, "PinScaler", {MANAGED_BY_LABEL: "pinconsole"}),
            "spec": body,
        }
    )


def scaler_status(
    scaler: Mapping[str, Any],
    hpa: Mapping[str, Any] | None,
    target: Mapping[str, Any] | None,
    schedules: ScheduleState,
    problem: tuple[str, str] | None,
    now: datetime,
) -> dict[str, Any]:
    """A PinScaler's status from its HPA, plus TargetFound, ScheduleActive and Reconciled."""
    old = scaler.get("status") or {}
    old_conditions = old.get("conditions") or []
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    hs = ((hpa or {}).get("status") or {}) if controlled_by(hpa, scaler) else {}
    status: dict[str, Any] = {}
    current = hs.get("currentReplicas")
    if current is None and target is not None:
        current = (target.get("status") or {}).get("replicas")
    status["currentReplicas"] = int(current or 0)
    status["desiredReplicas"] = int(hs.get("desiredReplicas") or status["currentReplicas"])
    if hs.get("lastScaleTime"):
        status["lastScaleTime"] = hs["lastScaleTime"]
    target_name = scaler["spec"]["targetRef"]["name"]
    found = (
        ("True", "PinAppFound", f"PinApp {target_name} is the scale target")
        if target is not None
        else (
            "False",
            "PinAppNotFound",
            f"PinApp {target_name} does not exist in namespace {scaler['metadata']['namespace']}; "
            "the HPA waits for it",
        )
    )
    if schedules.open:
        window = max(schedules.open, key=lambda w: w.min_replicas)
        active = (
            "True",
            "ScheduleWindowOpen",
            f"schedule {window.name} raises minReplicas to {window.min_replicas} until "
            f"{window.end:%Y-%m-%dT%H:%M:%SZ}",
        )
    else:
        after = (
            f" until {schedules.next_change:%Y-%m-%dT%H:%M:%SZ}" if schedules.next_change else ""
        )
        active = ("False", "NoWindowOpen", f"minReplicas is the PinScaler's own{after}")
    if schedules.invalid:
        problem = problem or (
            "InvalidSchedule",
            "; ".join(f"{name}: {error}" for name, error in schedules.invalid),
        )
    reason, message = problem or ("Applied", "the HPA matches the PinScaler")
    status["conditions"] = [
        *_mirrored(hpa if controlled_by(hpa, scaler) else None, MIRRORED_SCALER),
        _condition(old_conditions, "TargetFound", *found, stamp),
        _condition(old_conditions, "ScheduleActive", *active, stamp),
        _condition(
            old_conditions, "Reconciled", "False" if problem else "True", reason, message, stamp
        ),
    ]
    return status
