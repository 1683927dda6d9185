"""``/admin/audit``: who did what to which target, filterable (the filters in the URL), one
page at a time, actors and targets linked to their pages, the filtered rows as CSV."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pinconsole.components import (
    Column,
    badge,
    button,
    callout,
    column,
    empty_state,
    flex,
    heading,
    link,
    search_field,
    table,
    text,
)
from pinconsole.components.tokens import COLOR, FONT_SIZE, RADIUS, space
from pinconsole.state.audit import AuditState

OUTCOME_INTENT = {"ok": "success", "denied": "error", "error": "warning"}


def _outcome(row: rx.Var) -> rx.Component:
    return badge(
        row["outcome"],
        rx.match(row["outcome"], *OUTCOME_INTENT.items(), "neutral"),  # type: ignore[arg-type]
    )


def _linked(label: rx.Var, href: rx.Var, **props: Any) -> rx.Component:
    """``label`` as a link to ``href`` when the row has a page for it, else plain text; a click
    on the link opens that page, not the row's details."""
    return text(
        rx.cond(href != "", link(label, href=href, on_click=rx.stop_propagation), label),
        **props,
    )


def _when(row: rx.Var) -> rx.Component:
    """The time, as the button that opens the row's details (rows are clickable too, but only
    a button is reachable from the keyboard)."""
    return rx.el.button(
        row["at"],
        on_click=AuditState.open_detail(row).stop_propagation,
        class_name="pc-audit-when",
        aria_label="Details of the event at " + row["at"].to(str),
        font_family="var(--code-font-family)",
        font_size=FONT_SIZE["100"],
        color=COLOR["text"],
        background="transparent",
        border="none",
        padding="0",
        cursor="pointer",
        text_decoration="underline dotted",
        text_underline_offset="3px",
        _focus_visible={"outline": f"2px solid {COLOR['focus']}", "outline_offset": "2px"},
    )


def _actor(row: rx.Var) -> rx.Component:
    return _linked(row["actor"], row["actor_url"], size="200")


def _target(row: rx.Var) -> rx.Component:
    return _linked(
        row["target"], row["target_url"], mono=True, size="100", truncate=True, max_width="320px"
    )


def _what(row: rx.Var) -> rx.Component:
    return column(
        text(row["action"], weight="semibold", size="200"),
        rx.cond(
            row["detail"] != "",
            text(row["detail"], size="100", color="subtle", truncate=True, max_width="360px"),
            rx.cond(
                row["change"] != "",
                text("changed: ", row["change"], size="100", color="subtle"),
            ),
        ),
        gap=0,
    )


COLUMNS = [
    Column("at", "When (UTC)", render=_when, width="190px"),
    Column("actor", "Who", render=_actor),
    Column("action", "Action", render=_what),
    Column("target", "Target", render=_target),
    Column("outcome", "Outcome", render=_outcome, width="100px"),
]


def _filters() -> rx.Component:
    return flex(
        search_field(
            AuditState.actor,
            AuditState.set_actor.debounce(300),  # type: ignore[attr-defined]
            placeholder="Actor",
            size="sm",
            id="audit-actor",
            width="180px",
        ),
        search_field(
            AuditState.action,
            AuditState.set_action.debounce(300),  # type: ignore[attr-defined]
            placeholder="Action",
            size="sm",
            id="audit-action",
            width="180px",
        ),
        search_field(
            AuditState.target,
            AuditState.set_target.debounce(300),  # type: ignore[attr-defined]
            placeholder="Target",
            size="sm",
            id="audit-target",
            width="240px",
        ),
        rx.select.root(
            rx.select.trigger(
                placeholder="Any outcome",
                radius="full",
                variant="soft",
                color_scheme="gray",
                aria_label="Outcome: "
                + rx.cond(AuditState.outcome == "", "any", AuditState.outcome),
            ),
            rx.select.content(
                rx.select.item("Any outcome", value="all"),
                rx.select.item("ok", value="ok"),
                rx.select.item("denied", value="denied"),
                rx.select.item("error", value="error"),
            ),
            value=rx.cond(AuditState.outcome == "", "all", AuditState.outcome),
            on_change=AuditState.set_outcome,
            size="2",
        ),
        gap=2,
        wrap=True,
        align="center",
    )


def _range_and_export() -> rx.Component:
    """The date range (and Clear for every filter), then the export of what they select."""
    return flex(
        flex(
            _date("From", "audit-from", AuditState.date_from, AuditState.set_date_from),
            _date("To", "audit-to", AuditState.date_to, AuditState.set_date_to),
            rx.cond(
                AuditState.filtered,
                button("Clear filters", AuditState.clear_filters, color="transparent", size="sm"),
            ),
            gap=3,
            wrap=True,
            align="center",
        ),
        _export(),
        gap=3,
        justify="between",
        align="center",
        wrap=True,
    )


def _date(label: str, id: str, value: rx.Var, on_change: object) -> rx.Component:
    """A day (UTC, inclusive), labelled for screen readers and sighted people alike."""
    return rx.el.label(
        text(label, size="100", color="subtle", inline=True),
        rx.input(type="date", value=value, on_change=on_change, id=id, size="2", radius="full"),
        display="flex",
        align_items="center",
        gap=space(2),
    )


def _export() -> rx.Component:
    """The filtered rows as CSV: a plain link (a file from the API, not a client-side page),
    which the API admits with this browser's session."""
    return flex(
        text(AuditState.export_note, size="100", color="subtle"),
        rx.link(
            rx.icon("download", size=14),
            "Export CSV",
            href=AuditState.export_href,
            reload_document=True,  # the browser fetches it: the router has no such page
            download=True,
            underline="none",
            id="audit-export",
            class_name="pc-audit-export",
            display="inline-flex",
            align_items="center",
            gap=space(1.5),
            padding_x=space(3),
            height="24px",
            border_radius="9999px",
            background="var(--gray-a3)",
            color=COLOR["text"],
            font_size=FONT_SIZE["100"],
            font_weight="600",
            text_decoration="none",
            _hover={"background": "var(--gray-a4)"},
            _focus_visible={"outline": f"2px solid {COLOR['focus']}", "outline_offset": "2px"},
        ),
        gap=3,
        align="center",
        justify="end",
        wrap=True,
    )


def _json_block(label: str, value: rx.Var) -> rx.Component:
    return column(
        text(label, size="100", weight="semibold", color="subtle"),
        rx.cond(
            value != "",
            rx.el.pre(
                value,
                font_family="var(--code-font-family)",
                font_size="12px",
                background=COLOR["surface_subtle"],
                padding=space(3),
                border_radius=RADIUS["sm"],
                overflow="auto",
                max_height="320px",
                margin="0",
            ),
            text("—", color="subtle"),
        ),
        gap=1,
        flex="1",
        min_width="0",
    )


def _detail_dialog() -> rx.Component:
    row = AuditState.selected
    return rx.dialog.root(
        rx.dialog.content(
            column(
                heading(row["action"], level=3),
                text(row["at"], " UTC · ", row["actor"], " · ", row["target"], color="subtle"),
                rx.cond(row["detail"] != "", text(row["detail"])),
                flex(
                    _json_block("Before", row["before"]),
                    _json_block("After", row["after"]),
                    gap=4,
                    align="start",
                ),
                flex(
                    rx.dialog.close(button("Close", color="gray")),
                    justify="end",
                ),
                gap=4,
            ),
            max_width="760px",
        ),
        open=AuditState.detail_open,
        on_open_change=AuditState.set_detail_open,
    )


def audit_page() -> rx.Component:
    return column(
        text(
            "Every change made through PinConsole, and every refused attempt. "
            "Open an event's time for before and after; times and days are UTC.",
            color="subtle",
        ),
        column(_filters(), _range_and_export(), gap=3),
        rx.cond(
            AuditState.dates_reversed,
            callout("The From day is after the To day: no event can match.", "warning"),
        ),
        rx.cond(AuditState.error != "", callout(AuditState.error, "error")),
        table(
            COLUMNS,
            AuditState.rows,
            paged=AuditState,
            loading=AuditState.loading,
            on_row_click=AuditState.open_detail,
            empty=empty_state(
                rx.cond(AuditState.filtered, "No matching events", "No events yet"),
                rx.cond(
                    AuditState.filtered,
                    "Loosen the filters to see more.",
                    "Changes appear here as people use PinConsole.",
                ),
                icon="scroll-text",
                compact=True,
            ),
        ),
        _detail_dialog(),
        gap=4,
    )
