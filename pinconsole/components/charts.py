"""Time charts (plotly figures for ``rx.plotly``) in the console's look: transparent, 240 px
high, the legend below, hours:minutes:seconds on the time axis."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go


def time_chart(chart: Any) -> go.Figure:
    """The figure of a chart of ``title``, ``times`` and ``lines`` (each ``key``, ``label``,
    ``values``, ``step``, ``dashed``, ``right_axis``) and ``tick_step`` (whole-number ticks)."""
    fig = go.Figure()
    right = False
    for line in chart.lines:
        right = right or line.right_axis
        fig.add_trace(
            go.Scatter(
                x=chart.times,
                y=line.values,
                name=line.label,
                mode="lines+markers",
                marker={"size": 4},
                line={
                    "shape": "hv" if line.step else "linear",
                    "dash": "dash" if line.dashed else "solid",
                },
                yaxis="y2" if line.right_axis else "y",
            )
        )
    layout: dict[str, Any] = {
        "title": {"text": chart.title, "font": {"size": 14}},
        "height": 240,
        "margin": {"l": 44, "r": 44, "t": 36, "b": 30},
        "legend": {"orientation": "h", "y": -0.3},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        # The first and last time labels would overflow the plot into the y axes' labels.
        "xaxis": {
            "type": "date",
            "tickformat": "%H:%M:%S",
            "ticklabeloverflow": "hide past domain",
        },
        "yaxis": {"rangemode": "tozero"},
    }
    if chart.tick_step:
        layout["yaxis"].update(tick0=0, dtick=chart.tick_step, tickformat="d")
    if right:
        layout["yaxis2"] = {"overlaying": "y", "side": "right", "rangemode": "tozero"}
    fig.update_layout(**layout)
    return fig
