"""SearchField: a rounded search input; the results dropdown is a separate piece."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pinconsole.components.tokens import (
    COLOR,
    FONT_SIZE,
    LINE_HEIGHT,
    RADIUS,
    SHADOW,
    TOPBAR_HEIGHT,
    space,
)


def search_field(
    value: str | rx.Var,
    on_change: Any,
    *,
    placeholder: str = "Search",
    on_key_down: Any = None,
    on_focus: Any = None,
    on_blur: Any = None,
    on_clear: Any = None,
    size: str = "md",
    id: str | None = None,
    **props: Any,
) -> rx.Component:
    """A controlled search box (debounced). ``on_key_down`` gets the key name (Enter, Escape).

    ``on_clear`` adds an x button shown while there is text.
    """
    events: dict[str, Any] = {}
    if on_key_down is not None:
        events["on_key_down"] = on_key_down
    if on_focus is not None:
        events["on_focus"] = on_focus
    if on_blur is not None:
        events["on_blur"] = on_blur
    slots: list[Any] = [rx.input.slot(rx.icon("search", size=16), side="left")]
    if on_clear is not None:
        has_text = value != "" if isinstance(value, rx.Var) else bool(value)
        slots.append(
            rx.input.slot(
                rx.cond(
                    has_text,
                    rx.icon_button(
                        rx.icon("x", size=14),
                        on_click=on_clear,
                        variant="ghost",
                        color_scheme="gray",
                        size="1",
                        radius="full",
                        aria_label="Clear search",
                    ),
                ),
                side="right",
            )
        )
    return rx.input(
        *slots,
        value=value,
        on_change=on_change,
        placeholder=placeholder,
        type="search",
        size={"sm": "2", "md": "3", "lg": "3"}[size],
        radius="full",
        variant="soft",
        color_scheme="gray",
        id=id,
        aria_label=placeholder,
        auto_complete="off",
        **events,
        **props,
    )


def search_results(
    results: rx.Var,
    *,
    open: bool | rx.Var,
    highlighted: rx.Var | int = -1,
    on_select: Any = None,
    empty_text: Any = "No matches",
    footer: rx.Component | None = None,
    **props: Any,
) -> rx.Component:
    """A floating list under a search field: rows of {kind, title, subtitle, url, group,
    count, more}. A row with ``group`` starts a group (its heading shows ``group`` and
    ``count``: a kind is said once per group); a row with ``more`` is the closing "See all"
    link.

    ``on_select(url)`` is called on mouse-down (before the field's blur closes the list).
    """

    def header(item: Any) -> rx.Component:
        return rx.flex(
            rx.text(item["group"], as_="span", font_weight="600"),
            rx.text(item["count"], as_="span"),
            justify="between",
            padding_x=space(3),
            padding_top=space(2),
            padding_bottom=space(0.5),
            font_size=FONT_SIZE["100"],
            color=COLOR["text_subtle"],
            text_transform="uppercase",
            letter_spacing="0.04em",
            aria_hidden="true",  # each option names its kind to screen readers itself
        )

    def row(item: Any, index: Any) -> rx.Component:
        active = index == highlighted
        more = item["more"] != ""
        option = rx.flex(
            rx.flex(
                rx.text(
                    item["title"],
                    as_="span",
                    font_size=FONT_SIZE["200"],
                    line_height=LINE_HEIGHT["200"],
                    font_weight=rx.cond(more, "500", "600"),
                    color=rx.cond(more, COLOR["link"], COLOR["text"]),
                    overflow="hidden",
                    text_overflow="ellipsis",
                    white_space="nowrap",
                ),
                rx.cond(
                    item["subtitle"] != "",
                    rx.text(
                        item["subtitle"],
                        as_="span",
                        font_size=FONT_SIZE["100"],
                        line_height=LINE_HEIGHT["100"],
                        color=COLOR["text_subtle"],
                        overflow="hidden",
                        text_overflow="ellipsis",
                        white_space="nowrap",
                    ),
                ),
                direction="column",
                min_width="0",
                flex="1",
            ),
            align="center",
            gap=space(3),
            padding_x=space(3),
            padding_y=space(2),
            border_radius=RADIUS["sm"],
            border_top=rx.cond(more, f"1px solid {COLOR['border_subtle']}", "none"),
            margin_top=rx.cond(more, space(1), "0"),
            # "See all" stays in sight at the bottom of a list that scrolls.
            position=rx.cond(more, "sticky", "static"),
            bottom="0",
            background=rx.cond(
                active, COLOR["surface_subtle"], rx.cond(more, COLOR["surface"], "transparent")
            ),
            _hover={"background": COLOR["surface_subtle"]},
            cursor="pointer",
            role="option",
            aria_selected=active,
            aria_label=rx.cond(
                item["kind"] != "", item["title"] + ", " + item["kind"], item["title"]
            ),
            on_mouse_down=on_select(item["url"]) if on_select is not None else None,
            class_name="pc-search-result",
        )
        return rx.fragment(
            rx.cond(item["group"] != "", header(item)),
            option,
        )

    body: list[Any] = [
        rx.cond(
            results.length() > 0,  # type: ignore[attr-defined]
            rx.flex(rx.foreach(results, row), direction="column", gap=space(0.5)),
            rx.text(
                empty_text,
                as_="p",
                padding=space(3),
                font_size=FONT_SIZE["200"],
                color=COLOR["text_subtle"],
            ),
        )
    ]
    if footer is not None:
        body.append(footer)
    return rx.cond(
        open,
        rx.box(
            *body,
            # Under the field; on a phone, as wide as the screen (the field is narrow there).
            position=rx.breakpoints(initial="fixed", sm="absolute"),
            top=rx.breakpoints(initial=TOPBAR_HEIGHT, sm="calc(100% + 8px)"),
            left=rx.breakpoints(initial="8px", sm="0"),
            right=rx.breakpoints(initial="8px", sm="0"),
            padding=space(2),
            background=COLOR["surface"],
            border=f"1px solid {COLOR['border_subtle']}",
            border_radius=RADIUS["lg"],
            box_shadow=SHADOW["floating"],
            z_index="50",
            role="listbox",
            max_height="min(480px, calc(100vh - 96px))",
            overflow_y="auto",
            **props,
        ),
    )
