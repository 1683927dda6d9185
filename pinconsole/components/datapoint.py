"""Datapoint: a metric value with its label and an optional trend (Gestalt's Datapoint)."""

from __future__ import annotations

from typing import Any, Literal

import reflex as rx

from pinconsole.components.primitives import BARE_BUTTON
from pinconsole.components.tokens import COLOR, FONT_SIZE, LINE_HEIGHT, space

Sentiment = Literal["auto", "good", "bad", "neutral"]


def _trend(value: float | rx.Var, sentiment: Sentiment) -> rx.Component:
    """Arrow and percentage; green when good, red when bad (``auto``: up is good)."""
    if isinstance(value, rx.Var):
        num = value.to(float)
        up = num >= 0
        arrow: Any = rx.cond(up, rx.icon("arrow-up", size=14), rx.icon("arrow-down", size=14))
        pct: Any = rx.cond(up, num, -num).to_string() + "%"  # type: ignore[operator]
        if sentiment == "auto":
            color: Any = rx.cond(num == 0, COLOR["text_subtle"], rx.cond(up, "g", "b"))
            color = rx.match(color, ("g", COLOR["success_text"]), ("b", COLOR["error_text"]), color)
        else:
            color = _SENTIMENT_COLOR[sentiment]
    else:
        name = "minus" if value == 0 else ("arrow-up" if value > 0 else "arrow-down")
        arrow = rx.icon(name, size=14)
        pct = f"{abs(value):g}%"
        if sentiment == "auto":
            sentiment = "neutral" if value == 0 else ("good" if value > 0 else "bad")
        color = _SENTIMENT_COLOR[sentiment]
    return rx.flex(
        arrow,
        rx.text(pct, as_="span", font_size=FONT_SIZE["200"], font_weight="600"),
        align="center",
        gap=space(0.5),
        color=color,
        aria_label="trend",
    )


_SENTIMENT_COLOR = {
    "good": COLOR["success_text"],
    "bad": COLOR["error_text"],
    "neutral": COLOR["text_subtle"],
}


def datapoint(
    title: Any,
    value: Any,
    *,
    trend: float | rx.Var | None = None,
    trend_sentiment: Sentiment = "auto",
    tooltip: str | None = None,
    size: Literal["md", "lg"] = "md",
    badge: rx.Component | None = None,
    on_click: Any = None,
    pressed: bool | rx.Var | None = None,
    **props: Any,
) -> rx.Component:
    """``title`` above a big ``value``; ``trend`` is a signed percentage (e.g. ``-3.5``).

    ``trend_sentiment="bad"`` colors any change red (e.g. error rate going up is ``"auto"``
    inverted: pass ``"bad"`` for a rise that hurts). With ``on_click`` the datapoint is a
    button (a tile that filters: reachable with Tab, pressed with Enter or Space), ``pressed``
    its on/off state for screen readers.
    """
    value_size = FONT_SIZE["500"] if size == "md" else FONT_SIZE["600"]
    header: list[Any] = [
        rx.text(
            title,
            as_="span",
            font_size=FONT_SIZE["200"],
            line_height=LINE_HEIGHT["200"],
            color=COLOR["text_subtle"],
            font_weight="500",
        )
    ]
    if tooltip:
        header.append(
            rx.tooltip(
                rx.icon("info", size=14, color=COLOR["text_subtle"]),
                content=tooltip,
            )
        )
    row: list[Any] = [
        rx.text(
            value,
            as_="span",
            font_size=value_size,
            line_height="1.15",
            font_weight="700",
            color=COLOR["text"],
            letter_spacing="-0.02em",
        )
    ]
    if trend is not None:
        row.append(_trend(trend, trend_sentiment))
    if badge is not None:
        row.append(badge)
    body = rx.flex(
        rx.flex(*header, align="center", gap=space(1)),
        rx.flex(*row, align="baseline", gap=space(2), wrap="wrap"),
        direction="column",
        gap=space(1),
        **({} if on_click is not None else props),
    )
    if on_click is None:
        return body
    if pressed is not None:
        props["aria_pressed"] = pressed
    style = {**BARE_BUTTON, "text_align": "left"}
    return rx.el.button(
        body, type="button", on_click=on_click, class_name="pc-datapoint-button", **style, **props
    )
