"""The console's own error pages, inside the shell: an unknown address, a page for
administrators only, and what a page shows while the browser's sign-in is being checked."""

from __future__ import annotations

import reflex as rx

from pinconsole import components as c
from pinconsole.components.tokens import COLOR, RADIUS, space
from pinconsole.state.base import AppState

NOT_FOUND_TITLE = "Page not found"


def _panel(icon: str, *children: rx.Component, **props: object) -> rx.Component:
    """An error's message: an icon, then what happened and where to go from here."""
    return c.flex(
        rx.flex(
            rx.icon(icon, size=24),
            align="center",
            justify="center",
            width="48px",
            height="48px",
            flex_shrink="0",
            border_radius="50%",
            background=COLOR["surface_subtle"],
            color=COLOR["text_subtle"],
        ),
        c.column(*children, gap=3, min_width="0"),
        gap=4,
        align="start",
        padding=space(6),
        border=f"1px solid {COLOR['border_subtle']}",
        border_radius=RADIUS["lg"],
        background=COLOR["surface"],
        max_width="720px",
        **props,
    )


def _home_links(*extra: rx.Component) -> rx.Component:
    return c.flex(
        c.button("Go home", href="/", color="red", icon_start="house"),
        *extra,
        gap=2,
        wrap="wrap",
        padding_top=space(1),
    )


def not_found_page() -> rx.Component:
    """An address no page has (Reflex's 404 route): which one, and the way back."""
    path = rx.State.router.url.path
    return _panel(
        "map-pin-off",
        c.text(
            "Nothing in PinConsole lives at ",
            rx.el.code(path, font_family="var(--code-font-family)", word_break="break-all"),
            ".",
            size="300",
        ),
        c.text(
            "The link may be out of date, or the address mistyped. What you were looking for "
            "may be in the catalog, or the search at the top finds it by name.",
            color="subtle",
        ),
        _home_links(c.button("Open the catalog", href="/catalog", icon_start="library")),
        class_name="pc-not-found",
    )


def administrators_only(title: str) -> rx.Component:
    """What a signed-in non-administrator sees in place of the admin page ``title``: which
    page, why, and whom to ask (the page's data never reaches them: its loaders refuse)."""
    ask = rx.cond(
        AppState.admin_group != "",
        c.text(
            "Members of ",
            c.link(AppState.admin_group, href=AppState.admin_group_url),
            " are administrators: ask one of them to add you to that group, or to do what "
            "you came here for.",
        ),
        c.text(
            "Administrators are named in PinConsole's settings (admins): ask one of them, or "
            "whoever runs PinConsole, for access."
        ),
    )
    return _panel(
        "lock",
        c.heading("Administrators only", level=2, size="400"),
        c.text(
            f"{title} is a page for PinConsole's administrators. You are signed in as ",
            rx.el.strong(AppState.user_label),
            rx.cond(
                AppState.user_label != AppState.user_name,
                " (" + AppState.user_name + ")",
                "",
            ),
            ", who is not an administrator.",
        ),
        ask,
        _home_links(),
        class_name="pc-admin-only",
    )


def checking_sign_in() -> rx.Component:
    """The page's place until the backend said who is signed in: a signed-out visitor is
    sent to the sign-in page from here, never shown a page without its data."""
    return c.flex(
        rx.spinner(size="3"),
        c.text("Checking your sign-in…", color="subtle"),
        gap=3,
        align="center",
        padding_y=space(10),
        justify="center",
        width="100%",
        aria_busy="true",
        class_name="pc-checking-sign-in",
    )
