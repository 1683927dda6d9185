"""Callout (an inline message in the page) and toast (a transient message)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pinconsole.components.tokens import COLOR, INTENT_SCALE, space

_CALLOUT_ICON = {
    "info": "info",
    "success": "circle-check",
    "warning": "triangle-alert",
    "error": "circle-alert",
    "recommendation": "sparkles",
}


def callout(
    message: Any,
    type: str = "info",
    *,
    title: Any = None,
    action: rx.Component | None = None,
    icon: str | None = None,
    **props: Any,
) -> rx.Component:
    """A message in the page: ``type`` is info, success, warning, error or recommendation."""
    body: list[Any] = []
    if title is not None:
        body.append(rx.text(title, as_="p", font_weight="700", color=COLOR["text"]))
    body.append(rx.text(message, as_="p", color=COLOR["text"]))
    content: list[Any] = [
        rx.box(
            rx.icon(icon or _CALLOUT_ICON[type], size=20),
            color=COLOR.get(f"{type}_text", COLOR["text"]),
            padding_top="2px",
        ),
        rx.flex(*body, direction="column", gap=space(1), flex="1"),
    ]
    if action is not None:
        content.append(action)
    scale = INTENT_SCALE.get(type, "blue")
    return rx.flex(
        *content,
        gap=space(3),
        align="start",
        padding=space(4),
        border_radius="16px",
        background=f"var(--{scale}-a3)",
        border=f"1px solid var(--{scale}-a5)",
        font_size="14px",
        line_height="20px",
        width="100%",
        role="alert" if type in ("error", "warning") else "status",
        **props,
    )


def toast(message: str | rx.Var, type: str = "info", *, description: str | None = None) -> Any:
    """An event that shows a toast (use as an event handler's return value or ``on_click``)."""
    fn = {
        "info": rx.toast.info,
        "success": rx.toast.success,
        "warning": rx.toast.warning,
        "error": rx.toast.error,
    }.get(type, rx.toast.info)
    kwargs: dict[str, Any] = {"position": "bottom-right"}
    if description:
        kwargs["description"] = description
    return fn(message, **kwargs)
