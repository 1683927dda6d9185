"""What a PinApp's live charts plot, from its sampled history (``queries.pinapp_history``).

Two charts: replicas and restarts (whole numbers; ready and desired step from sample to sample,
desired dashed over ready so both show when they are equal), and CPU and memory (memory on an
axis of its own on the right) with the pods' requests and limits as thin lines. Times are UTC.
How a chart is drawn is the design system's (``components/charts.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pinconsole.compute.quantities import PodResources


@dataclass(frozen=True)
class Line:
    """One series: its values at the chart's times (``None``: no sample, e.g. no metrics API)."""

    key: str
    label: str
    values: list[float | None]
    step: bool = False  # held until the next sample (a count), else joined straight
    dashed: bool = False
    right_axis: bool = False
    bound: bool = False  # a request or limit: a thin line without markers


@dataclass(frozen=True)
class Chart:
    title: str
    times: list[str]  # ISO 8601, UTC, to the second
    lines: list[Line] = field(default_factory=list)
    tick_step: int | None = None  # whole-number ticks this far apart (counts), else automatic


def _chart(
    title: str,
    samples: list[dict[str, Any]],
    series: list[tuple[str, str]],
    *,
    counts: bool = False,
    right: str | None = None,
) -> Chart:
    times = [datetime.fromtimestamp(s["t"], UTC).strftime("%Y-%m-%dT%H:%M:%S") for s in samples]
    lines = [
        Line(
            key,
            label,
            [s.get(key) for s in samples],
            step=key in ("desired", "ready"),
            dashed=key == "desired",
            right_axis=key == right,
        )
        for key, label in series
    ]
    tick_step = None
    if counts:
        top = max((float(v or 0) for line in lines for v in line.values), default=1.0)
        tick_step = max(1, math.ceil(top / 4))
    return Chart(title, times, lines, tick_step)


def _bounds(samples: list[dict[str, Any]], resources: PodResources) -> list[Line]:
    """The PinApp's requests and limits at each sample: one pod's, times the pods desired
    then (what the scheduler reserves and what the kubelet caps)."""
    desired = [float(s.get("desired") or 0) for s in samples]
    out = []
    for value, label, right, dashed in (
        (resources.cpu_request, "CPU requested", False, False),
        (resources.cpu_limit, "CPU limit", False, True),
        (resources.memory_request, "Memory requested (right)", True, False),
        (resources.memory_limit, "Memory limit (right)", True, True),
    ):
        if value is None:
            continue
        key = label.split(" (")[0].lower().replace(" ", "_")
        values: list[float | None] = [round(value * d, 1) for d in desired]
        out.append(Line(key, label, values, step=True, dashed=dashed, right_axis=right, bound=True))
    return out


def pinapp_charts(
    history: dict[str, Any], resources: PodResources | None = None
) -> tuple[Chart, Chart, bool]:
    """(replicas and restarts, CPU and memory, whether the cluster has a metrics API). With
    ``resources`` the usage chart also draws the requests and limits."""
    samples = history["samples"]
    replicas = _chart(
        "Replicas and restarts",
        samples,
        [("ready", "Ready"), ("desired", "Desired"), ("restarts", "Restarts")],
        counts=True,
    )
    usage = _chart(
        "CPU and memory",
        samples,
        [("cpu_millicores", "CPU (millicores)"), ("memory_mib", "Memory (MiB, right)")],
        right="memory_mib",
    )
    if resources is not None and samples:
        usage = Chart(usage.title, usage.times, usage.lines + _bounds(samples, resources))
    return replicas, usage, history["has_metrics_api"] is not False
