"""The HorizontalPodAutoscaler controller (autoscaling/v2) over the emulator's store.

Any target with a scale subresource, as the documented algorithm has it (``sync_hpa``, every
``SandboxEmulator.hpa_seconds``): replicas below min or above max are brought within range first;
otherwise desired = ceil(current x utilisation / target) from the pods' CPU usage against their
requests (within a 10% tolerance), the highest over the metrics; a scale-down takes the highest
recommendation of the stabilisation window. Custom (Pods) metrics have no metrics API here: such a
metric is reported as failed, and with a metric failed the HPA does not scale down.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from pinconsole.compute.selectors import matches, parse_selector
from pinconsole.sandbox import pods as pod_model
from pinconsole.sandbox.protocol import now_iso
from pinconsole.sandbox.resources import HPAS, KINDS, PODS, key_of
from pinconsole.sandbox.workloads import condition

if TYPE_CHECKING:
    from pinconsole.sandbox.cluster import SandboxEmulator

TOLERANCE = 0.1
DEFAULT_SCALE_DOWN_WINDOW = 300
CALCULATED = (
    "True",
    "ValidMetricFound",
    "the HPA was able to successfully calculate a replica count",
)


def sync_hpa(emu: SandboxEmulator, ns: str, name: str) -> None:
    hpa = emu._store[HPAS].get((ns, name))
    if hpa is None:
        return
    spec = hpa["spec"]
    ref = spec["scaleTargetRef"]
    low, high = int(spec.get("minReplicas", 1)), int(spec["maxReplicas"])
    old = (hpa.get("status") or {}).get("conditions") or []
    status: dict[str, Any] = {
        k: v
        for k, v in (hpa.get("status") or {}).items()
        if k in ("lastScaleTime", "currentMetrics")
    }
    status["observedGeneration"] = hpa["metadata"].get("generation", 1)
    key = key_of(ref.get("apiVersion", ""), ref.get("kind", ""))
    target = emu._store[key].get((ns, ref["name"])) if key else None
    if key is None or "scale" not in KINDS[key].subresources or target is None:
        what = f'{ref.get("kind", "")} "{ref.get("name", "")}"'
        message = (
            f"the HPA controller was unable to get the target's current scale: {what} not found"
        )
        status.update(currentReplicas=0, desiredReplicas=0)
        status["conditions"] = [
            condition(old, "AbleToScale", "False", "FailedGetScale", message, False)
        ]
        _write_hpa(emu, hpa, status, "FailedGetScale", message, "Warning")
        return
    scale = emu._scale_of(target)
    current = int(scale["spec"]["replicas"])
    status["currentReplicas"] = int(scale["status"].get("replicas", 0))
    able = condition(
        old,
        "AbleToScale",
        "True",
        "SucceededGetScale",
        "the HPA controller was able to get the target's current scale",
        False,
    )
    reason = ""
    if current == 0 and low != 0:
        desired = 0
        active = (
            "False",
            "ScalingDisabled",
            "scaling is disabled since the replica count of the target is zero",
        )
    elif current > high:
        desired, reason = high, "Current number of replicas above Spec.MaxReplicas"
        active = CALCULATED
    elif current < low:
        desired, reason = low, "Current number of replicas below Spec.MinReplicas"
        active = CALCULATED
    else:
        desired, reason, active, metrics = _from_metrics(emu, ns, spec, scale, current)
        status["currentMetrics"] = metrics
        desired = _stabilised(emu, hpa, spec, current, desired)
    limited = ("False", "DesiredWithinRange", "the desired count is within the acceptable range")
    if desired > high:
        desired, limited = (
            high,
            (
                "True",
                "TooManyReplicas",
                "the desired replica count is more than the maximum replica count",
            ),
        )
    elif desired < low and current != 0:
        desired, limited = (
            low,
            (
                "True",
                "TooFewReplicas",
                "the desired replica count is less than the minimum replica count",
            ),
        )
    status["desiredReplicas"] = desired
    status["conditions"] = [
        able,
        condition(old, "ScalingActive", *active, False),
        condition(old, "ScalingLimited", *limited, False),
    ]
    event = None
    if desired != current and active[0] == "True":
        emu.update(key, ns, ref["name"], {"spec": {"replicas": desired}}, "scale")
        status["lastScaleTime"] = now_iso()
        event = ("SuccessfulRescale", f"New size: {desired}; reason: {reason}", "Normal")
    _write_hpa(emu, hpa, status, *(event or (None, None, None)))


def _from_metrics(
    emu: SandboxEmulator, ns: str, spec: dict[str, Any], scale: dict[str, Any], current: int
) -> tuple[int, str, tuple[str, str, str], list[dict[str, Any]]]:
    selector = parse_selector(scale["status"].get("selector"))
    pods = [
        p
        for (pns, _n), p in emu._store[PODS].items()
        if pns == ns
        and scale["status"].get("selector")
        and matches(selector, p["metadata"].get("labels"))
        and p.get("status", {}).get("phase") == "Running"
    ]
    proposals: list[tuple[int, str]] = []
    failed: list[str] = []
    metrics: list[dict[str, Any]] = []
    for metric in spec.get("metrics") or []:
        if metric.get("type") == "Resource" and (metric.get("resource") or {}).get("name") == "cpu":
            target = int(metric["resource"]["target"].get("averageUtilization") or 0)
            requests = [pod_model.cpu_request(p) for p in pods]
            if not pods or not target or not all(requests):
                failed.append(
                    "FailedGetResourceMetric: missing request for cpu"
                    if pods
                    else "FailedGetResourceMetric: no pods"
                )
                continue
            usage = [emu.pod_usage(p)[0] for p in pods]
            utilisation = 100 * sum(usage) / sum(requests)
            metrics.append(
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "current": {
                            "averageUtilization": round(utilisation),
                            "averageValue": f"{round(sum(usage) / len(pods))}m",
                        },
                    },
                }
            )
            ratio = utilisation / target
            # Within the tolerance the HPA keeps the target's replicas as they are.
            wanted = current if abs(ratio - 1) <= TOLERANCE else math.ceil(ratio * len(pods))
            word = "above" if wanted > current else "below"
            proposals.append(
                (wanted, f"cpu resource utilization (percentage of request) {word} target")
            )
        else:
            name = ((metric.get("pods") or {}).get("metric") or {}).get("name") or metric.get(
                "type"
            )
            failed.append(
                f"FailedGetPodsMetric: unable to get metric {name}: no custom metrics API "
                "(custom.metrics.k8s.io) is served"
            )
    if not proposals:
        message = "; ".join(failed) or "no metrics"
        return current, "", ("False", message.split(":")[0], message), metrics
    desired, reason = max(proposals)
    if failed and desired < current:  # a metric could not be read: never scale down blind
        desired = current
    if desired < current:
        reason = "All metrics below target"
    return desired, reason, CALCULATED, metrics


def _stabilised(
    emu: SandboxEmulator, hpa: dict[str, Any], spec: dict[str, Any], current: int, desired: int
) -> int:
    """A scale-down takes the highest recommendation of the stabilisation window."""
    down = (spec.get("behavior") or {}).get("scaleDown") or {}
    window = down.get("stabilizationWindowSeconds")
    window = DEFAULT_SCALE_DOWN_WINDOW if window is None else int(window)
    now = emu.clock()
    # A new HPA starts from the current count, as the HPA controller does: no scale-down
    # before a whole window has passed.
    history = emu.recommendations.setdefault(hpa["metadata"]["uid"], [(now, current)])
    history.append((now, desired))
    history[:] = [(t, d) for t, d in history if now - t <= max(window, 0)]
    if desired < current:
        return min(current, max(d for _t, d in history))
    return desired


def _write_hpa(
    emu: SandboxEmulator,
    hpa: dict[str, Any],
    status: dict[str, Any],
    reason: str | None,
    message: str | None,
    type_: str | None,
) -> None:
    meta = hpa["metadata"]
    if status != hpa.get("status"):
        emu.mutate(HPAS, meta["namespace"], meta["name"], lambda o: o.__setitem__("status", status))
    old = next(
        (c for c in (hpa.get("status") or {}).get("conditions") or [] if c.get("reason") == reason),
        None,
    )
    if reason and message and type_ and (type_ == "Normal" or old is None):
        emu.add_event(
            meta["namespace"],
            "HorizontalPodAutoscaler",
            meta["name"],
            reason,
            message,
            type_,
            source="horizontal-pod-autoscaler",
        )
