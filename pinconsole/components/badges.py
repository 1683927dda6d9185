"""Badge (a short label) and Status (a colored dot with a label) for health and state."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pinconsole.components.tokens import (
    COLOR,
    FONT_SIZE,
    INTENT_SCALE,
    LINE_HEIGHT,
    STATUS_COLOR,
    STATUS_KINDS,
    STATUS_LABEL,
    Intent,
    space,
)


def badge(
    label: Any,
    type: Intent | rx.Var = "neutral",
    *,
    icon: str | None = None,
    solid: bool = False,
    **props: Any,
) -> rx.Component:
    """A small rounded label: ``type`` is info/success/warning/error/neutral/recommendation.

    ``type`` may be a Var holding one of those names (e.g. a lifecycle mapped by the state).
    """
    if isinstance(type, rx.Var):
        scheme: Any = rx.match(
            type,
            *[(name, scale) for name, scale in INTENT_SCALE.items()],
            "gray",
        )
    else:
        scheme = INTENT_SCALE[type]
    children = [rx.icon(icon, size=12)] if icon else []
    return rx.badge(
        *children,
        label,
        color_scheme=scheme,
        variant="solid" if solid else "soft",
        # Radix's soft badge text (step 11) on its tint, and white on a solid red, amber or
        # grass, miss WCAG AA at 12 px; high contrast uses step 12.
        high_contrast=True,
        radius="full",
        size="1",
        font_weight="600",
        **props,
    )


def _status_value(kind: str | rx.Var, table: dict[str, str], default: str) -> Any:
    if isinstance(kind, rx.Var):
        return rx.match(kind, *[(k, table[k]) for k in STATUS_KINDS], default)
    return table.get(kind, default)


def status(
    kind: str | rx.Var,
    label: Any = None,
    *,
    subtext: Any = None,
    size: str = "200",
    **props: Any,
) -> rx.Component:
    """A status dot and label; ``kind`` is ok, warning, critical, unknown or stale.

    Without ``label`` the standard wording is shown ("Healthy", "Warning", ...).
    """
    color = _status_value(kind, STATUS_COLOR, STATUS_COLOR["unknown"])
    text = label if label is not None else _status_value(kind, STATUS_LABEL, "Unknown")
    dot = rx.box(
        width="8px",
        height="8px",
        min_width="8px",
        border_radius="50%",
        background=color,
    )
    label_el = rx.text(
        text,
        as_="span",
        font_size=FONT_SIZE[size],
        line_height=LINE_HEIGHT[size],
        color=COLOR["text"],
        font_weight="500",
    )
    body: list[Any] = [label_el]
    if subtext is not None:
        body.append(
            rx.text(
                subtext,
                as_="span",
                font_size=FONT_SIZE["100"],
                line_height=LINE_HEIGHT["100"],
                color=COLOR["text_subtle"],
            )
        )
    return rx.flex(
        dot,
        rx.flex(*body, direction="column"),
        align="center",
        gap=space(2),
        role="status",
        **props,
    )
