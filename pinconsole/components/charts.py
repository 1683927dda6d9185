"""Time charts for ``rx.plotly`` in the console's look: transparent, 240 px high, the legend
below, hours:minutes:seconds on the time axis.

A chart is the figure's JSON (``data`` and ``layout``), not a ``plotly.graph_objects.Figure``:
a live page publishes two every few seconds per open tab, and building a Figure validates every
property through plotly's validators (a quarter of the backend's time under load), while the
browser only ever receives the JSON. ``rx.plotly`` adds the theme's template itself, so the
figure carries none; ``live_chart`` only tells Reflex the var holds a figure. The unit tests
check that plotly accepts every figure built here.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import reflex as rx

Figure = dict[str, Any]


# The toolbar shows on hover only, with what a time chart needs (zoom, pan, reset, save): its
# full row covered the chart's title on a phone's width.
CHART_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": [
        "select2d",
        "lasso2d",
        "zoomIn2d",
        "zoomOut2d",
        "autoScale2d",
        "toggleSpikelines",
        "hoverClosestCartesian",
        "hoverCompareCartesian",
    ],
}


def live_chart(figure: rx.Var, id: str) -> rx.Component:
    """``rx.plotly`` of a state var holding a figure of ``time_chart``, as wide as its box."""
    return rx.plotly(
        data=figure.to(go.Figure),
        config=CHART_CONFIG,
        id=id,
        use_resize_handler=True,
        width="100%",
    )


def time_chart(chart: Any) -> Figure:
    """The figure of a chart of ``title``, ``times`` and ``lines`` (each ``key``, ``label``,
    ``values``, ``step``, ``dashed``, ``right_axis``) and ``tick_step`` (whole-number ticks)."""
    data = [
        {
            "type": "scatter",
            "x": chart.times,
            "y": line.values,
            "name": line.label,
            "mode": "lines" if getattr(line, "bound", False) else "lines+markers",
            "marker": {"size": 4},
            "line": {
                "shape": "hv" if line.step else "linear",
                "dash": ("dot" if line.dashed else "dash")
                if getattr(line, "bound", False)
                else ("dash" if line.dashed else "solid"),
                "width": 1 if getattr(line, "bound", False) else 2,
            },
            "yaxis": "y2" if line.right_axis else "y",
        }
        for line in chart.lines
    ]
    layout: dict[str, Any] = {
        # Left, where the hover toolbar (top right) never lands on it.
        "title": {"text": chart.title, "font": {"size": 14}, "x": 0, "xanchor": "left"},
        # More lines, more legend: a taller chart keeps the plot's height on a phone.
        "height": 240 if len(chart.lines) <= 3 else 300,
        "margin": {"l": 44, "r": 44, "t": 36, "b": 30},
        # The legend may grow to the chart's height instead of scrolling in half of it.
        "legend": {"orientation": "h", "y": -0.3, "maxheight": 1},
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
    if any(line.right_axis for line in chart.lines):
        layout["yaxis2"] = {"overlaying": "y", "side": "right", "rangemode": "tozero"}
    return {"data": data, "layout": layout}
