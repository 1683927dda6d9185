"""What a PinApp's live charts plot, from its sampled history (``queries.pinapp_history``).

Two charts: replicas and restarts (whole numbers; ready and desired step from sample to sample,
desired dashed over ready so both show when they are equal), and CPU and memory (memory on an
axis of its own on the right). Times are UTC. How a chart is drawn is the design system's
(``components/charts.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Line:
    """One series: its values at the chart's times (``None``: no sample, e.g. no metrics API)."""

    key: str
    label: str
    values: list[float | None]
    step: bool = False  # held until the next sample (a count), else joined straight
    dashed: bool = False
    right_axis: bool = False


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


def pinapp_charts(history: dict[str, Any]) -> tuple[Chart, Chart, bool]:
    """(replicas and restarts, CPU and memory, whether the cluster has a metrics API)."""
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
    return replicas, usage, history["has_metrics_api"] is not False
