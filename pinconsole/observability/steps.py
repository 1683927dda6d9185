"""Step and rate-window arithmetic for range queries, as Grafana does it.

A chart wants about 600 points: fewer look coarse, more cost Prometheus work no screen shows.
The step never goes below the scrape interval (points in between repeat a sample) nor leaves
more than Prometheus's 11,000 points per series (it refuses such a query). ``rate()`` over a
window shorter than two scrapes returns nothing, so the window follows Grafana's
``$__rate_interval``: max(4 x scrape interval, step + scrape interval).
"""

from __future__ import annotations

import math

TARGET_POINTS = 600
MAX_POINTS = 11_000  # Prometheus: "exceeded maximum resolution of 11,000 points per timeseries"


def choose_step(
    start: float, end: float, scrape_interval: float, *, points: int = TARGET_POINTS
) -> int:
    """Whole seconds between points for ``[start, end]`` (Unix seconds)."""
    if end <= start:
        raise ValueError(f"end ({end}) must be after start ({start})")
    if scrape_interval <= 0 or points <= 0:
        raise ValueError("scrape interval and points must be positive")
    span = end - start
    step = max(span / points, scrape_interval, span / MAX_POINTS, 1.0)
    return math.ceil(step - 1e-9)


def rate_interval(step: float, scrape_interval: float) -> int:
    """Whole seconds of a ``rate()`` window for ``step`` (Grafana's ``$__rate_interval``)."""
    return math.ceil(max(4 * scrape_interval, step + scrape_interval) - 1e-9)


def duration(seconds: float) -> str:
    """A PromQL duration literal for whole seconds: ``60s``."""
    return f"{math.ceil(seconds - 1e-9)}s"


def expand(promql: str, step: float, scrape_interval: float) -> str:
    """Fill Grafana's ``$__rate_interval`` and ``$__interval`` so dashboards' queries carry
    over; other text is left as written."""
    return promql.replace(
        "$__rate_interval", duration(rate_interval(step, scrape_interval))
    ).replace("$__interval", duration(step))
