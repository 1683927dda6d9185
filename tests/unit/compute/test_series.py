"""What a PinApp's live charts plot, from its sampled history (``compute/series.py``)."""

from __future__ import annotations

import plotly.graph_objects as go

from pinconsole.components.charts import time_chart
from pinconsole.compute.series import pinapp_charts

HISTORY = {
    "has_metrics_api": None,  # not known yet: the charts say nothing is missing
    "samples": [
        {"t": 0, "ready": 1, "desired": 2, "restarts": 0, "cpu_millicores": None, "memory_mib": 9},
        {"t": 5, "ready": 2, "desired": 2, "restarts": 7, "cpu_millicores": 120, "memory_mib": 10},
    ],
}


def test_replicas_are_counts_and_memory_has_its_own_axis() -> None:
    replicas, usage, has_metrics_api = pinapp_charts(HISTORY)
    assert has_metrics_api
    assert replicas.times == ["1970-01-01T00:00:00", "1970-01-01T00:00:05"]
    assert [(line.key, line.step, line.dashed) for line in replicas.lines] == [
        ("ready", True, False),
        ("desired", True, True),  # dashed over ready: both show when equal
        ("restarts", False, False),
    ]
    assert replicas.tick_step == 2  # whole numbers, about four ticks up to 7
    assert usage.tick_step is None
    assert [line.right_axis for line in usage.lines] == [False, True]
    assert usage.lines[0].values == [None, 120]  # a missing sample stays a gap


def test_the_figure_draws_what_the_series_say() -> None:
    replicas, usage, _ = pinapp_charts(HISTORY)
    figure = time_chart(replicas)
    assert [t["line"]["shape"] for t in figure["data"]] == ["hv", "hv", "linear"]
    assert figure["layout"]["yaxis"]["dtick"] == 2 and "yaxis2" not in figure["layout"]
    assert time_chart(usage)["layout"]["yaxis2"]["side"] == "right"


def test_plotly_accepts_every_figure_as_it_is_sent() -> None:
    """The figures are JSON built by hand (no validation at run time): plotly's own validators
    take them whole, every property known, and read them back unchanged."""
    for chart in pinapp_charts(HISTORY)[:2]:
        figure = time_chart(chart)
        validated = go.Figure(figure).to_plotly_json()  # raises on an unknown property
        assert validated["data"] == figure["data"]
        assert {k: validated["layout"][k] for k in figure["layout"]} == figure["layout"]
    assert pinapp_charts({"has_metrics_api": False, "samples": []})[2] is False
