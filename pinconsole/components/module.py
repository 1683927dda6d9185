"""Module (a titled card, Gestalt's Module) and the empty state every list needs."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pinconsole.components.tokens import COLOR, FONT_SIZE, LINE_HEIGHT, RADIUS, space


def module(
    *children: Any,
    title: Any = None,
    subtitle: Any = None,
    icon: str | None = None,
    actions: list[rx.Component] | None = None,
    padding: float = 6,
    **props: Any,
) -> rx.Component:
    """A card on the page background: optional header (icon, title, subtitle, actions)."""
    parts: list[Any] = []
    if title is not None or actions:
        heading_parts: list[Any] = []
        if icon:
            heading_parts.append(
                rx.flex(
                    rx.icon(icon, size=18),
                    align="center",
                    justify="center",
                    width="32px",
                    height="32px",
                    min_width="32px",
                    border_radius=RADIUS["sm"],
                    background=COLOR["surface_subtle"],
                    color=COLOR["text"],
                )
            )
        titles: list[Any] = []
        if title is not None:
            titles.append(
                rx.heading(
                    title,
                    as_="h2",
                    font_size=FONT_SIZE["300"],
                    line_height=LINE_HEIGHT["300"],
                    font_weight="700",
                    color=COLOR["text"],
                )
            )
        if subtitle is not None:
            titles.append(
                rx.text(
                    subtitle,
                    as_="p",
                    font_size=FONT_SIZE["100"],
                    line_height=LINE_HEIGHT["100"],
                    color=COLOR["text_subtle"],
                )
            )
        heading_parts.append(rx.flex(*titles, direction="column", min_width="0"))
        # The titles take the room; the actions go below them where both do not fit (a phone).
        header = [
            rx.flex(
                *heading_parts, align="center", gap=space(3), min_width="min(240px, 100%)", flex="1"
            )
        ]
        if actions:
            header.append(rx.flex(*actions, align="center", gap=space(1)))
        parts.append(
            rx.flex(
                *header, align="center", justify="between", gap=space(3), width="100%", wrap="wrap"
            )
        )
    parts.extend(children)
    return rx.flex(
        *parts,
        direction="column",
        gap=space(4),
        padding=space(padding),
        background=COLOR["surface"],
        border=f"1px solid {COLOR['border_subtle']}",
        border_radius=RADIUS["lg"],
        min_width="0",
        **props,
    )


def empty_state(
    title: Any,
    message: Any = None,
    *,
    icon: str = "inbox",
    action: rx.Component | None = None,
    compact: bool = False,
    **props: Any,
) -> rx.Component:
    """What a list shows before it has data: an icon, what is missing, and what to do."""
    parts: list[Any] = [
        rx.flex(
            rx.icon(icon, size=20 if compact else 24),
            align="center",
            justify="center",
            width="40px" if compact else "48px",
            height="40px" if compact else "48px",
            border_radius="50%",
            background=COLOR["surface_subtle"],
            color=COLOR["text_subtle"],
        ),
        rx.text(
            title,
            as_="p",
            font_size=FONT_SIZE["200"],
            line_height=LINE_HEIGHT["200"],
            font_weight="600",
            color=COLOR["text"],
            text_align="center",
        ),
    ]
    if message is not None:
        parts.append(
            rx.text(
                message,
                as_="p",
                font_size=FONT_SIZE["100"] if compact else FONT_SIZE["200"],
                line_height=LINE_HEIGHT["100"] if compact else LINE_HEIGHT["200"],
                color=COLOR["text_subtle"],
                text_align="center",
                max_width="360px",
            )
        )
    if action is not None:
        parts.append(rx.box(action, padding_top=space(2)))
    return rx.flex(
        *parts,
        direction="column",
        align="center",
        justify="center",
        gap=space(2),
        padding_y=space(6 if compact else 10),
        padding_x=space(4),
        width="100%",
        **props,
    )


def skeleton_rows(count: int = 3, *, height: str = "40px", **props: Any) -> rx.Component:
    """Placeholder rows while a module's data loads (prerendered pages show these first)."""
    return rx.flex(
        *[rx.skeleton(rx.box(height=height, width="100%"), loading=True) for _ in range(count)],
        direction="column",
        gap=space(3),
        width="100%",
        aria_busy="true",
        **props,
    )
