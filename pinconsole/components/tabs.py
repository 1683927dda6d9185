"""Tabs: a row of underlined tab labels; selection lives in the page state (or the URL)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import reflex as rx

from pinconsole.components.tokens import COLOR, FONT_SIZE, TRANSITION, space


@dataclass(frozen=True)
class Tab:
    """``href`` makes the tab a link (entity pages); otherwise ``on_change(value)`` fires.

    ``visible`` (a bool Var) shows the tab only while it holds, so one bar serves every set of
    optional tabs instead of one prebuilt bar per combination.
    """

    value: str
    label: str
    icon: str | None = None
    count: Any = None
    href: str | None = None
    visible: Any = None


def _selected(value: Any, tab_value: str) -> Any:
    return value == tab_value


def tabs(
    items: Sequence[Tab],
    value: str | rx.Var,
    on_change: Callable[[str], Any] | None = None,
    **props: Any,
) -> rx.Component:
    """The tab bar only; render the selected content with ``rx.match(value, ...)`` below it."""

    def one(tab: Tab) -> rx.Component:
        selected = _selected(value, tab.value)
        color = (
            rx.cond(selected, COLOR["text"], COLOR["text_subtle"])
            if isinstance(selected, rx.Var)
            else (COLOR["text"] if selected else COLOR["text_subtle"])
        )
        on_bar, off_bar = f"3px solid {COLOR['text']}", "3px solid transparent"
        bar = (
            rx.cond(selected, on_bar, off_bar)
            if isinstance(selected, rx.Var)
            else (on_bar if selected else off_bar)
        )
        children: list[Any] = []
        if tab.icon:
            children.append(rx.icon(tab.icon, size=16))
        children.append(rx.text(tab.label, as_="span"))
        if tab.count is not None:
            children.append(
                rx.text(
                    tab.count,
                    as_="span",
                    font_size=FONT_SIZE["100"],
                    padding_x=space(1.5),
                    border_radius="9999px",
                    background=COLOR["surface_subtle"],
                    color=COLOR["text_subtle"],
                )
            )
        inner = rx.flex(
            *children,
            align="center",
            gap=space(1.5),
            padding_x=space(1),
            padding_y=space(3),
            color=color,
            font_weight="600",
            font_size=FONT_SIZE["200"],
            border_bottom=bar,
            margin_bottom="-1px",
            transition=TRANSITION,
            _hover={"color": COLOR["text"]},
        )
        aria = {"role": "tab", "aria_selected": selected}
        if tab.href is not None:
            element = rx.link(inner, href=tab.href, underline="none", **aria)
        else:
            element = rx.box(
                inner,
                on_click=on_change(tab.value) if on_change is not None else None,
                cursor="pointer",
                tab_index=0,
                **aria,
            )
        return element if tab.visible is None else rx.cond(tab.visible, element)

    return rx.flex(
        *[one(t) for t in items],
        gap=space(6),
        border_bottom=f"1px solid {COLOR['border_subtle']}",
        role="tablist",
        width="100%",
        overflow_x="auto",
        **props,
    )
