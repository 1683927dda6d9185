"""/settings/tokens: one's own API tokens for scripts (``Authorization: Bearer <token>``)."""

from __future__ import annotations

import reflex as rx

from pinconsole import components as c
from pinconsole.state.tokens import EXPIRY_CHOICES
from pinconsole.state.tokens import TokensState as S


def _state(row: rx.Var) -> rx.Component:
    return c.status(row["state_kind"], row["state"])


def _mono(key: str):  # type: ignore[no-untyped-def]
    return lambda row: c.text(row[key], mono=True, white_space="nowrap")


def _revoke(row: rx.Var) -> rx.Component:
    return rx.cond(
        row["state"] == "active",
        c.button(
            "Revoke",
            S.ask_revoke(row["id"]),
            size="sm",
            aria_label="Revoke token " + row["prefix"],
        ),
    )


def _create_form() -> rx.Component:
    return c.module(
        c.flex(
            rx.input(
                value=S.description,
                on_change=S.set_description,
                placeholder="What it is for (e.g. CI deploys)",
                max_length=200,
                id="token-description",
                aria_label="What the token is for",
                width="320px",
            ),
            rx.select.root(
                rx.select.trigger(
                    id="token-expiry", aria_label="Expires after " + S.expiry_days + " days"
                ),
                rx.select.content(*[rx.select.item(d, value=d) for d in EXPIRY_CHOICES]),
                value=S.expiry_days,
                on_change=S.set_expiry_days,
            ),
            c.text("days", color="subtle"),
            c.button("Create token", S.create, color="red", id="token-create"),
            gap=3,
            wrap="wrap",
            align="center",
        ),
        rx.cond(S.error != "", c.callout(S.error, "error", id="token-error")),
        title="New token",
        subtitle="It acts as you, with your rights, until it expires or you revoke it.",
        icon="key-round",
    )


def _created() -> rx.Component:
    return rx.cond(
        S.created_token != "",
        c.callout(
            rx.flex(
                rx.code(S.created_token, id="token-secret", size="3", word_break="break-all"),
                c.text("Valid until " + S.created_expires + ".", color="subtle"),
                direction="column",
                gap="2",
            ),
            "success",
            title="Copy your token now: it is shown only once",
            action=c.flex(
                c.button(
                    "Copy",
                    rx.set_clipboard(S.created_token),
                    icon_start="copy",
                    size="sm",
                    id="token-copy",
                ),
                c.button("Done", S.dismiss_created, size="sm", color="transparent"),
                gap=2,
            ),
        ),
    )


def _confirm() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Revoke token " + S.confirm["prefix"].to(str) + "…?"),
            rx.alert_dialog.description(
                rx.cond(
                    S.confirm["description"].to(str) != "",
                    "\u201c" + S.confirm["description"].to(str) + "\u201d stops working at once",
                    "It stops working at once",
                ),
                ": every script using it gets 401 from its next request. This cannot be undone.",
            ),
            c.flex(
                rx.alert_dialog.cancel(c.button("Cancel", S.cancel_revoke)),
                rx.alert_dialog.action(
                    c.button("Revoke token", S.revoke, color="red", id="token-revoke-confirm")
                ),
                gap=3,
                justify="end",
                margin_top="16px",
            ),
        ),
        open=S.confirm.length() > 0,  # type: ignore[attr-defined]
        on_open_change=lambda _open: S.cancel_revoke(),
    )


def tokens_page() -> rx.Component:
    columns = [
        c.Column("prefix", "Token", render=_mono("prefix")),
        c.Column("description", "For"),
        c.Column("created", "Created", render=_mono("created")),
        c.Column("expires", "Expires", render=_mono("expires")),
        c.Column("last_used", "Last used", render=_mono("last_used")),
        c.Column("state", "State", render=_state),
        c.Column("actions", "", render=_revoke, align="right"),
    ]
    return c.column(
        c.text(
            "Scripts call the REST API (see /api/v1/docs) with Authorization: Bearer <token>.",
            color="subtle",
        ),
        _create_form(),
        _created(),
        c.module(
            c.table(
                columns,
                S.rows,
                id="token-table",
                empty=c.empty_state(
                    "No tokens yet", "Create one above for a script or CI job.", icon="key-round"
                ),
            ),
            title="Your tokens",
        ),
        _confirm(),
        gap=6,
    )
