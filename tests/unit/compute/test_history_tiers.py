"""Six hours of a PinApp's history: the last hour as sampled, older minutes aggregated; and the
requests and limits its charts draw."""

from __future__ import annotations

import itertools

from pinconsole.compute.cache import COARSE_EVERY, History
from pinconsole.compute.quantities import pod_resources
from pinconsole.compute.series import pinapp_charts


def _history(samples: int, maxlen: int = 720) -> History:
    h = History(maxlen)
    for i in range(samples):
        ready = 1.0 if i % COARSE_EVERY == 3 else 2.0  # one dip a minute
        h.append((5.0 * i, 2.0, ready, float(i // 100), 100.0 + i % 2, -1.0))
    return h


def test_a_window_inside_the_hour_is_as_sampled() -> None:
    h = _history(720 * 3)
    rows = h.samples(0.0, 900)
    assert len(rows) == 181  # 15 min at 5 s, both ends included
    assert rows[-1]["t"] == 5.0 * (720 * 3 - 1)
    assert h.samples(0.0) == h.samples(0.0, None)
    assert len(h.samples(0.0)) == 720


def test_older_minutes_are_aggregated_without_hiding_dips() -> None:
    h = _history(720 * 6)  # six hours
    rows = h.samples(0.0, 6 * 3600)
    fine = h.samples(0.0)
    older = rows[: len(rows) - len(fine)]
    assert len(older) >= 5 * 60 - 1  # a sample a minute for the five hours before the last
    assert all(a["t"] < b["t"] for a, b in itertools.pairwise(rows))
    assert all(r["ready"] == 1.0 for r in older)  # the minute's dip stays
    assert all(r["cpu_millicores"] == 100.5 for r in older)  # the minute's mean
    assert all(r["memory_mib"] is None for r in older)  # unknown stays unknown


def test_requests_and_limits_follow_the_desired_pods() -> None:
    spec = {
        "containers": [
            {"resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1"}}},
            {"resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "2"}}},
        ]
    }
    res = pod_resources(spec)
    assert (res.cpu_request, res.cpu_limit, res.memory_request) == (300.0, 3000.0, 320.0)
    assert res.memory_limit is None  # one container is unbounded: so is the pod
    history = {
        "has_metrics_api": True,
        "samples": [{"t": 0.0, "desired": 2.0}, {"t": 5.0, "desired": 3.0}],
    }
    _replicas, usage, _ = pinapp_charts(history, res)
    lines = {line.label: line for line in usage.lines}
    assert lines["CPU requested"].values == [600.0, 900.0]
    assert lines["CPU limit"].values == [6000.0, 9000.0]
    assert lines["Memory requested (right)"].right_axis
    assert "Memory limit (right)" not in lines
    assert (
        pod_resources({"containers": [{"resources": {"requests": {"cpu": "x"}}}]}).cpu_request
        is None
    )
