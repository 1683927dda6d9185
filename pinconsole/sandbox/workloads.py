"""What kube-controller-manager and the kubelets do for workloads, over the emulator's store.

- Deployments (``sync_deployment``): one ReplicaSet per pod template (named after the
  template's hash, labelled ``pod-template-hash``), rolled as the RollingUpdate strategy
  documents (``maxSurge`` and ``maxUnavailable``, 25% each by default: the new ReplicaSet grows
  while the total stays within desired + surge, old ones shrink while availability stays at
  desired - unavailable) or Recreate (old ones to zero first); a paused Deployment starts no new
  rollout but still scales; old ReplicaSets past ``revisionHistoryLimit`` go; status and the
  Available, Progressing (ProgressDeadlineExceeded after ``progressDeadlineSeconds``) and
  ReplicaFailure conditions as the Deployment controller writes them.
- ReplicaSets (``sync_replicaset``): pods follow ``replicas`` (not-ready and newer pods go
  first), created from the template with an owner reference; a namespace over its pod quota
  (``SandboxEmulator.pod_quota``) fails creation with a ReplicaFailure condition, as a
  ResourceQuota does.
- The kubelet: a pod is created Pending and runs (Ready) on the next pass.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from typing import TYPE_CHECKING, Any

from pinconsole.sandbox import pods as pod_model
from pinconsole.sandbox.protocol import ApiError, now_iso
from pinconsole.sandbox.resources import DEPLOYMENTS, PODS, REPLICASETS

if TYPE_CHECKING:
    from pinconsole.sandbox.cluster import SandboxEmulator

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
BURST = 500  # pods a ReplicaSet creates in one pass at most, as the controller's burst


def controller_of(obj: dict[str, Any]) -> dict[str, Any] | None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def template_hash(template: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()
    return digest[:10]


def _owned(emu: SandboxEmulator, key: str, ns: str | None, uid: str) -> list[dict[str, Any]]:
    return [
        obj
        for (ons, _n), obj in emu._store[key].items()
        if ons == ns
        and (ref := controller_of(obj)) is not None
        and ref.get("uid") == uid
        and obj["metadata"].get("deletionTimestamp") is None
    ]


def _scaled(value: Any, total: int, round_up: bool) -> int:
    """An IntOrString of ``total`` (``25%`` or ``1``), rounded as the Deployment controller does."""
    text = str(value if value is not None else "25%")
    if text.endswith("%"):
        share = total * float(text[:-1]) / 100
        return math.ceil(share) if round_up else math.floor(share)
    return int(text)


def _revision(rs: dict[str, Any]) -> int:
    return int((rs["metadata"].get("annotations") or {}).get(REVISION, "0"))


def _replicas(obj: dict[str, Any]) -> int:
    return int((obj.get("spec") or {}).get("replicas") or 0)


def _st(obj: dict[str, Any], field: str) -> int:
    return int((obj.get("status") or {}).get(field) or 0)


def condition(
    old: list[dict[str, Any]], type_: str, status: str, reason: str, message: str, progressed: bool
) -> dict[str, Any]:
    """A condition keeping its transition time while its status holds (and its update time
    while neither its reason nor ``progressed`` changes), as the controllers write them."""
    stamp = now_iso()
    prev = next((c for c in old if c.get("type") == type_), None)
    same = prev is not None and prev.get("status") == status
    unchanged = same and prev.get("reason") == reason and not progressed
    return {
        "type": type_,
        "status": status,
        "lastUpdateTime": prev["lastUpdateTime"] if unchanged and prev else stamp,
        "lastTransitionTime": prev["lastTransitionTime"] if same and prev else stamp,
        "reason": reason,
        "message": message,
    }


# ---- Deployments -------------------------------------------------------------------------------
def sync_deployment(emu: SandboxEmulator, ns: str | None, name: str) -> None:
    deploy = emu._store[DEPLOYMENTS].get((ns, name))
    if deploy is None or deploy["metadata"].get("deletionTimestamp") is not None:
        return
    spec = deploy["spec"]
    desired = _replicas(deploy)
    template = spec["template"]
    digest = template_hash(template)
    sets = _owned(emu, REPLICASETS, ns, deploy["metadata"]["uid"])
    new = next((rs for rs in sets if rs["metadata"]["labels"].get(HASH_LABEL) == digest), None)
    old = sorted((rs for rs in sets if rs is not new), key=_revision)
    progressed = False
    if new is None and not spec.get("paused"):
        start = desired if not any(_replicas(rs) for rs in old) else 0
        if spec["strategy"].get("type") == "Recreate" and old:
            start = 0
        new = _new_replicaset(emu, deploy, digest, start, max([0, *map(_revision, old)]) + 1)
        progressed = True
    wanted = {id(rs): _replicas(rs) for rs in sets + ([new] if new is not None else [])}
    if spec.get("paused") or new is None:
        _scale_paused(deploy, new, old, wanted)
    elif spec["strategy"].get("type") == "Recreate":
        for rs in old:
            wanted[id(rs)] = 0
        if not any(_st(rs, "replicas") for rs in old):
            wanted[id(new)] = desired
    else:
        _roll(deploy, new, old, wanted)
    for rs in [*old, *([new] if new is not None else [])]:
        if wanted[id(rs)] != _replicas(rs):
            progressed = True
            _set_replicas(emu, deploy, rs, wanted[id(rs)])
    limit = int(spec.get("revisionHistoryLimit", 10))
    idle = [rs for rs in old if wanted[id(rs)] == 0 and not _st(rs, "replicas")]
    for rs in idle[: max(0, len(idle) - limit)]:
        emu.delete(REPLICASETS, ns, rs["metadata"]["name"])
    _deployment_status(emu, deploy, new, old, progressed)


def _new_replicaset(
    emu: SandboxEmulator, deploy: dict[str, Any], digest: str, replicas: int, revision: int
) -> dict[str, Any]:
    meta, spec = deploy["metadata"], deploy["spec"]
    template = json.loads(json.dumps(spec["template"]))
    template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = digest
    selector = {**spec["selector"]["matchLabels"], HASH_LABEL: digest}
    name = f"{meta['name']}-{digest}"
    rs = emu.create(
        REPLICASETS,
        meta["namespace"],
        {
            "metadata": {
                "name": name,
                "labels": template["metadata"]["labels"],
                "annotations": {REVISION: str(revision)},
                "ownerReferences": [_owner_ref(deploy)],
            },
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": selector},
                "template": template,
            },
        },
    )
    emu.add_event(
        meta["namespace"],
        "Deployment",
        meta["name"],
        "ScalingReplicaSet",
        f"Scaled up replica set {name} to {replicas}",
        source="deployment-controller",
    )
    return rs


def _owner_ref(owner: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _scale_paused(
    deploy: dict[str, Any],
    new: dict[str, Any] | None,
    old: list[dict[str, Any]],
    wanted: dict[int, int],
) -> None:
    """A paused Deployment still scales: the difference goes to the newest active set."""
    sets = [*old, *([new] if new is not None else [])]
    if not sets:
        return
    total = sum(wanted.values())
    target = new if new is not None else max(sets, key=_revision)
    active = [rs for rs in sets if wanted[id(rs)] > 0]
    if active and target not in active:
        target = max(active, key=_revision)
    wanted[id(target)] = max(0, wanted[id(target)] + _replicas(deploy) - total)


def _roll(
    deploy: dict[str, Any], new: dict[str, Any], old: list[dict[str, Any]], wanted: dict[int, int]
) -> None:
    """One step of a RollingUpdate, as the Deployment controller takes it."""
    desired = _replicas(deploy)
    rolling = deploy["spec"]["strategy"].get("rollingUpdate") or {}
    surge = _scaled(rolling.get("maxSurge"), desired, round_up=True)
    unavailable = _scaled(rolling.get("maxUnavailable"), desired, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    sets = [*old, new]
    total = sum(wanted[id(rs)] for rs in sets)
    current = wanted[id(new)]
    if current < desired:
        wanted[id(new)] = min(desired, current + max(0, desired + surge - total))
    elif current > desired:
        wanted[id(new)] = desired
    if not any(_st(rs, "replicas") or wanted[id(rs)] for rs in old):
        return
    min_available = desired - unavailable
    new_unavailable = _replicas(new) - _st(new, "availableReplicas")
    budget = sum(_st(rs, "replicas") for rs in sets) - min_available - new_unavailable
    if budget <= 0:
        return
    for rs in old:  # unhealthy old pods go first, within the budget
        unhealthy = wanted[id(rs)] - _st(rs, "availableReplicas")
        if unhealthy > 0 and budget > 0:
            cut = min(unhealthy, budget)
            wanted[id(rs)] -= cut
            budget -= cut
    budget = sum(_st(rs, "availableReplicas") for rs in sets) - min_available
    for rs in old:
        if budget <= 0:
            break
        cut = min(wanted[id(rs)], budget)
        wanted[id(rs)] -= cut
        budget -= cut


def _set_replicas(emu: SandboxEmulator, deploy: dict[str, Any], rs: dict[str, Any], n: int) -> None:
    meta = rs["metadata"]
    was = _replicas(rs)
    emu.mutate(REPLICASETS, meta["namespace"], meta["name"], lambda o: o["spec"].update(replicas=n))
    emu.add_event(
        meta["namespace"],
        "Deployment",
        deploy["metadata"]["name"],
        "ScalingReplicaSet",
        f"Scaled {'up' if n > was else 'down'} replica set {meta['name']} to {n} from {was}",
        source="deployment-controller",
    )


def _deployment_status(
    emu: SandboxEmulator,
    deploy: dict[str, Any],
    new: dict[str, Any] | None,
    old: list[dict[str, Any]],
    progressed: bool,
) -> None:
    meta, spec = deploy["metadata"], deploy["spec"]
    ns, name = meta["namespace"], meta["name"]
    deploy = emu._store[DEPLOYMENTS][(ns, name)]
    fresh = [emu._store[REPLICASETS].get((ns, rs["metadata"]["name"])) for rs in old]
    sets = [rs for rs in fresh if rs is not None]
    if new is not None:
        new = emu._store[REPLICASETS].get((ns, new["metadata"]["name"]))
        if new is not None:
            sets.append(new)
    desired = _replicas(deploy)
    available = sum(_st(rs, "availableReplicas") for rs in sets)
    updated = _st(new, "replicas") if new is not None else 0
    rolling = spec["strategy"].get("rollingUpdate") or {}
    unavailable = (
        _scaled(rolling.get("maxUnavailable"), desired, round_up=False)
        if spec["strategy"].get("type") == "RollingUpdate"
        else 0
    )
    old_conditions = (deploy.get("status") or {}).get("conditions") or []
    conditions = []
    if available >= desired - unavailable:
        conditions.append(
            condition(
                old_conditions,
                "Available",
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.",
                False,
            )
        )
    else:
        conditions.append(
            condition(
                old_conditions,
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
                False,
            )
        )
    replicas = sum(_st(rs, "replicas") for rs in sets)
    complete = new is not None and updated == desired == available == replicas
    rs_name = new["metadata"]["name"] if new is not None else name
    if spec.get("paused"):
        progress = ("Unknown", "DeploymentPaused", "Deployment is paused")
    elif complete:
        progress = (
            "True",
            "NewReplicaSetAvailable",
            f'ReplicaSet "{rs_name}" has successfully progressed.',
        )
    else:
        progress = ("True", "ReplicaSetUpdated", f'ReplicaSet "{rs_name}" is progressing.')
        prev = next((c for c in old_conditions if c.get("type") == "Progressing"), None)
        deadline = int(spec.get("progressDeadlineSeconds", 600))
        if (
            not progressed
            and prev is not None
            and prev.get("reason") in ("ReplicaSetUpdated", "ProgressDeadlineExceeded")
            and emu.clock() - _epoch(prev.get("lastUpdateTime")) > deadline
        ):
            progress = (
                "False",
                "ProgressDeadlineExceeded",
                f'ReplicaSet "{rs_name}" has timed out progressing.',
            )
    conditions.append(condition(old_conditions, "Progressing", *progress, progressed))
    failure = next(
        (
            c
            for rs in sets
            for c in (rs.get("status") or {}).get("conditions") or []
            if c.get("type") == "ReplicaFailure" and c.get("status") == "True"
        ),
        None,
    )
    if failure is not None:
        conditions.append(
            condition(
                old_conditions,
                "ReplicaFailure",
                "True",
                failure["reason"],
                failure["message"],
                False,
            )
        )
    status = {
        "observedGeneration": meta.get("generation", 1),
        "replicas": replicas,
        "updatedReplicas": updated,
        "readyReplicas": sum(_st(rs, "readyReplicas") for rs in sets),
        "availableReplicas": available,
        "unavailableReplicas": max(0, sum(_replicas(rs) for rs in sets) - available),
        "conditions": conditions,
    }
    status = {k: v for k, v in status.items() if v or k in ("observedGeneration", "conditions")}
    if status != deploy.get("status"):
        emu.mutate(DEPLOYMENTS, ns, name, lambda o: o.__setitem__("status", status))


def _epoch(stamp: str | None) -> float:
    from pinconsole.sandbox.protocol import parse_time

    return parse_time(stamp).timestamp()


# ---- ReplicaSets and the kubelet ---------------------------------------------------------------
def sync_replicaset(emu: SandboxEmulator, ns: str | None, name: str) -> None:
    rs = emu._store[REPLICASETS].get((ns, name))
    if rs is None or rs["metadata"].get("deletionTimestamp") is not None:
        return
    pods = _owned(emu, PODS, ns, rs["metadata"]["uid"])
    diff = len(pods) - _replicas(rs)
    failure: tuple[str, str] | None = None
    if diff < 0:
        for _ in range(min(-diff, BURST)):
            try:
                pods.append(_create_pod(emu, rs))
            except ApiError as exc:
                failure = ("FailedCreate", exc.message)
                emu.add_event(
                    ns or "",
                    "ReplicaSet",
                    name,
                    "FailedCreate",
                    f"Error creating: {exc.message}",
                    "Warning",
                    source="replicaset-controller",
                )
                break
    elif diff > 0:
        ranked = sorted(
            pods,
            key=lambda p: (pod_model.pod_ready(p), p["metadata"].get("creationTimestamp", "")),
        )
        for pod in ranked[:diff]:
            emu.delete(PODS, ns, pod["metadata"]["name"])
            pods.remove(pod)
            emu.add_event(
                ns or "",
                "ReplicaSet",
                name,
                "SuccessfulDelete",
                f"Deleted pod: {pod['metadata']['name']}",
                source="replicaset-controller",
            )
    pods = [emu._store[PODS][(ns, p["metadata"]["name"])] for p in pods]
    ready = sum(1 for p in pods if pod_model.pod_ready(p))
    old = (rs.get("status") or {}).get("conditions") or []
    conditions = []
    if failure is not None:
        conditions.append(condition(old, "ReplicaFailure", "True", *failure, False))
    status: dict[str, Any] = {
        "replicas": len(pods),
        "fullyLabeledReplicas": len(pods),
        "readyReplicas": ready,
        "availableReplicas": ready,
        "observedGeneration": rs["metadata"].get("generation", 1),
    }
    status = {k: v for k, v in status.items() if v or k == "replicas"}
    if conditions:
        status["conditions"] = conditions
    if status != rs.get("status"):
        emu.mutate(REPLICASETS, ns, name, lambda o: o.__setitem__("status", status))


def _create_pod(emu: SandboxEmulator, rs: dict[str, Any]) -> dict[str, Any]:
    ns = rs["metadata"]["namespace"]
    quota = emu.pod_quota.get(ns)
    if quota is not None:
        used = sum(1 for (pns, _n) in emu._store[PODS] if pns == ns)
        if used >= quota:
            raise ApiError(
                403,
                "Forbidden",
                f'pods "{rs["metadata"]["name"]}-" is forbidden: exceeded quota: pods, '
                f"requested: pods=1, used: pods={used}, limited: pods={quota}",
            )
    template = rs["spec"]["template"]
    spec = json.loads(json.dumps(template.get("spec") or {}))
    spec["nodeName"] = f"node-{random.randint(1, 12):02d}"
    name = f"{rs['metadata']['name']}-{random.getrandbits(40):010x}"[
        : len(rs["metadata"]["name"]) + 6
    ]
    pod = emu.create(
        PODS,
        ns,
        {
            "metadata": {
                "name": name,
                "labels": dict((template.get("metadata") or {}).get("labels") or {}),
                "annotations": dict((template.get("metadata") or {}).get("annotations") or {}),
                "ownerReferences": [_owner_ref(rs)],
            },
            "spec": spec,
            "status": pod_model.pod_status("Pending", spec.get("containers") or [], 0),
        },
    )
    emu.pending.add((ns, name))
    emu.add_event(
        ns,
        "Pod",
        name,
        "Scheduled",
        f"Successfully assigned {ns}/{name} to {spec['nodeName']}",
        source="default-scheduler",
    )
    return pod


def start_pods(emu: SandboxEmulator, pending: set[tuple[str, str]]) -> None:
    """The kubelet: pods seen Pending on the previous pass start now."""
    for ns, name in pending:
        pod = emu._store[PODS].get((ns, name))
        if pod is not None and pod.get("status", {}).get("phase") == "Pending":
            emu.mutate(PODS, ns, name, pod_model.set_running)
