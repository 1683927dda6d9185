"""``/admin/audit``: who did what to which target, filterable, one page at a time."""

from __future__ import annotations

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
    search_field,
    table,
    text,
)
from pinconsole.components.tokens import COLOR, RADIUS, space
from pinconsole.state.audit import AuditState

OUTCOME_INTENT = {"ok": "success", "denied": "error", "error": "warning"}


def _outcome(row: rx.Var) -> rx.Component:
    return badge(
        row["outcome"],
        rx.match(row["outcome"], *OUTCOME_INTENT.items(), "neutral"),  # type: ignore[arg-type]
    )


def _target(row: rx.Var) -> rx.Component:
    return text(row["target"], mono=True, size="100", truncate=True, max_width="320px")


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
    Column("at", "When (UTC)", mono=True, width="190px"),
    Column("actor", "Who"),
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
                placeholder="Any outcome", radius="full", variant="soft", color_scheme="gray"
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
        rx.cond(
            AuditState.filtered,
            button("Clear", AuditState.clear_filters, color="transparent", size="sm"),
        ),
        gap=2,
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
            "Click a row for before and after.",
            color="subtle",
        ),
        _filters(),
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
