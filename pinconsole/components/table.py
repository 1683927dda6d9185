"""Table: sortable headers, server-side paging controls and an empty state.

The table only renders what the state holds (one page of rows); sorting and paging are
events the page's state handles, so the state never holds thousands of rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import reflex as rx

from pinconsole.components.buttons import icon_button
from pinconsole.components.module import empty_state
from pinconsole.components.tokens import COLOR, FONT_SIZE, space


@dataclass(frozen=True)
class Column:
    """One column: ``key`` is the dict key (rows as dicts) or index (rows as lists).

    ``render(row)`` receives the row Var and returns the cell's content (a link, a status...);
    without it the value is shown as text. ``sortable`` columns call ``on_sort(key)``.
    """

    key: str | int
    label: str
    sortable: bool = False
    align: Literal["left", "center", "right"] = "left"
    width: str | None = None
    render: Callable[[Any], Any] | None = None
    mono: bool = False


def _is_active(sort_by: Any, key: str | int) -> Any:
    if isinstance(sort_by, rx.Var):
        return sort_by == str(key)
    return sort_by == str(key)


def _sort_icon(active: Any, sort_desc: Any) -> Any:
    arrow = rx.cond(
        sort_desc,
        rx.icon("arrow-down", size=14),
        rx.icon("arrow-up", size=14),
    )
    idle = rx.icon("chevrons-up-down", size=14, opacity="0.35")
    if isinstance(active, rx.Var):
        return rx.cond(active, arrow, idle)
    return arrow if active else idle


def _header_cell(col: Column, sort_by: Any, sort_desc: Any, on_sort: Any) -> rx.Component:
    style: dict[str, Any] = {
        "text_align": col.align,
        "font_size": FONT_SIZE["100"],
        "font_weight": "600",
        "color": COLOR["text_subtle"],
        "text_transform": "none",
        "white_space": "nowrap",
    }
    if col.width:
        style["width"] = col.width
    if not (col.sortable and on_sort is not None):
        return rx.table.column_header_cell(col.label, **style)
    active = _is_active(sort_by, col.key)
    if isinstance(active, rx.Var):
        aria_sort: Any = rx.cond(active, rx.cond(sort_desc, "descending", "ascending"), "none")
    elif active:
        aria_sort = rx.cond(sort_desc, "descending", "ascending")
    else:
        aria_sort = "none"
    return rx.table.column_header_cell(
        rx.el.button(
            col.label,
            _sort_icon(active, sort_desc),
            on_click=on_sort(str(col.key)),
            display="inline-flex",
            align_items="center",
            gap=space(1),
            background="transparent",
            border="none",
            padding="0",
            cursor="pointer",
            color="inherit",
            font="inherit",
            class_name="pc-sort-button",
        ),
        aria_sort=aria_sort,
        **style,
    )


def _cell(col: Column, row: Any) -> rx.Component:
    if col.render is not None:
        content = col.render(row)
    else:
        content = rx.text(
            row[col.key],
            as_="span",
            font_family="var(--code-font-family)" if col.mono else None,
        )
    return rx.table.cell(content, text_align=col.align, vertical_align="middle")


def pagination(
    *,
    paged: Any = None,
    on_prev: Any = None,
    on_next: Any = None,
    has_prev: bool | rx.Var = False,
    has_next: bool | rx.Var = False,
    label: Any = None,
) -> rx.Component:
    """Previous/next controls with a label such as "51-100 of 2,314" (works with cursors).

    ``paged``: a state with the paging mixin (``state/paging.py``), which gives them all (a
    ``label`` given wins; ``""`` shows none)."""
    if paged is not None:
        on_prev, on_next = paged.prev_page, paged.next_page
        has_prev, has_next = paged.has_prev, paged.has_next
        label = paged.page_label if label is None else label
    return rx.flex(
        rx.text(
            label if label is not None else "",
            as_="span",
            font_size=FONT_SIZE["100"],
            color=COLOR["text_subtle"],
        ),
        rx.flex(
            icon_button(
                "chevron-left",
                on_prev,
                label="Previous page",
                color="gray",
                size="sm",
                disabled=~has_prev if isinstance(has_prev, rx.Var) else not has_prev,
            ),
            icon_button(
                "chevron-right",
                on_next,
                label="Next page",
                color="gray",
                size="sm",
                disabled=~has_next if isinstance(has_next, rx.Var) else not has_next,
            ),
            gap=space(2),
        ),
        justify="between",
        align="center",
        padding_top=space(3),
        width="100%",
        class_name="pc-pagination",
    )


def table(
    columns: Sequence[Column],
    rows: rx.Var,
    *,
    sort_by: str | rx.Var | None = None,
    sort_desc: bool | rx.Var = False,
    on_sort: Callable[[str], Any] | None = None,
    paged: Any = None,
    on_prev: Any = None,
    on_next: Any = None,
    has_prev: bool | rx.Var = False,
    has_next: bool | rx.Var = False,
    page_label: Any = None,
    empty: rx.Component | None = None,
    on_row_click: Callable[[Any], Any] | None = None,
    loading: bool | rx.Var = False,
    paginated: bool | None = None,
    dense: bool = False,
    **props: Any,
) -> rx.Component:
    """A data table over ``rows`` (a state Var: list of dicts or list of lists, one page).

    ``on_sort`` is an event handler taking the column key (the state flips direction when
    the same key comes twice); ``on_prev``/``on_next`` move pages; ``has_prev``/``has_next``
    enable them; ``page_label`` describes the page (``""``: none). ``paged``: a state with the
    paging mixin (``state/paging.py``), which gives all five (a ``page_label`` given wins).
    Paging controls appear when a page handler is given (or ``paginated=True``).
    """

    def render_row(row: Any) -> rx.Component:
        extra: dict[str, Any] = {}
        if on_row_click is not None:
            extra = {"on_click": on_row_click(row), "cursor": "pointer"}
        return rx.table.row(
            *[_cell(col, row) for col in columns], class_name="pc-table-row", **extra
        )

    grid = rx.table.root(
        rx.table.header(
            rx.table.row(*[_header_cell(c, sort_by, sort_desc, on_sort) for c in columns])
        ),
        rx.table.body(rx.foreach(rows, render_row)),
        variant="ghost",
        size="1" if dense else "2",
        width="100%",
        class_name="pc-table",
    )
    empty = empty or empty_state("Nothing to show", "There are no rows yet.", compact=True)
    body = rx.cond(rows.length() > 0, grid, empty)  # type: ignore[attr-defined]
    if isinstance(loading, rx.Var):
        body = rx.box(body, opacity=rx.cond(loading, "0.5", "1"), transition="opacity 120ms")
    parts: list[Any] = [rx.box(body, overflow_x="auto", width="100%")]
    handlers = paged is not None or on_prev is not None or on_next is not None
    if paginated or (paginated is None and handlers):
        parts.append(
            pagination(
                paged=paged,
                on_prev=on_prev,
                on_next=on_next,
                has_prev=has_prev,
                has_next=has_next,
                label=page_label,
            )
        )
    return rx.flex(*parts, direction="column", width="100%", **props)
