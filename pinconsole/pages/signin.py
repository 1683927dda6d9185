"""``/signin``: pick a demo user, type a directory password, or learn why the proxy failed."""

from __future__ import annotations

import reflex as rx

from pinconsole.components import (
    avatar,
    button,
    callout,
    column,
    empty_state,
    flex,
    heading,
    icon,
    pagination,
    search_field,
    text,
    visually_hidden,
)
from pinconsole.components.tokens import COLOR, RADIUS, space
from pinconsole.state.signin import SignInState


def _person(person: rx.Var) -> rx.Component:
    return rx.el.button(
        visually_hidden("Sign in as "),
        flex(
            rx.box(
                avatar(person["display_name"], src=person["picture"], size="md"), aria_hidden="true"
            ),
            column(
                text(person["display_name"], weight="semibold", truncate=True),
                text(
                    person["name"],
                    rx.cond(person["teams"] != "", " · " + person["teams"].to(str), ""),
                    size="100",
                    color="subtle",
                    truncate=True,
                ),
                gap=0,
                min_width="0",
                flex="1",
            ),
            icon("arrow-right", size=16, color=COLOR["text_subtle"]),
            gap=3,
            width="100%",
        ),
        on_click=SignInState.choose(person["name"]),
        class_name="pc-signin-person",
        width="100%",
        text_align="left",
        padding=space(3),
        border_radius=RADIUS["md"],
        border=f"1px solid {COLOR['border_subtle']}",
        background=COLOR["surface"],
        cursor="pointer",
        _hover={"background": COLOR["surface_subtle"]},
    )


def _demo() -> rx.Component:
    return column(
        callout(
            "Demo mode: choose anyone from the directory. Anyone can be anyone here, "
            "so this works only on the embedded database.",
            "info",
        ),
        search_field(
            SignInState.search,
            SignInState.set_search.debounce(300),  # type: ignore[attr-defined]
            placeholder="Search people by name, title or email",
            id="signin-search",
        ),
        rx.cond(
            SignInState.people.length() > 0,  # type: ignore[attr-defined]
            rx.box(
                rx.foreach(SignInState.people, _person),
                display="grid",
                grid_template_columns=["1fr", "1fr", "1fr 1fr"],
                gap=space(2),
                opacity=rx.cond(SignInState.loading, "0.5", "1"),
            ),
            empty_state(
                rx.cond(SignInState.search != "", "Nobody matches", "No users yet"),
                rx.cond(
                    SignInState.search != "",
                    "Try another name.",
                    "Run `pinconsole demo seed` to create the demo organisation.",
                ),
                icon="users",
                compact=True,
            ),
        ),
        pagination(paged=SignInState),
        gap=4,
    )


def _password() -> rx.Component:
    return rx.form(
        column(
            rx.cond(
                SignInState.password_error != "",
                callout(SignInState.password_error, "error"),
            ),
            column(
                text("User name", size="100", weight="semibold"),
                rx.input(
                    name="username",
                    default_value=SignInState.username,
                    auto_complete="username",
                    required=True,
                    size="3",
                    auto_focus=True,
                ),
                gap=1,
            ),
            column(
                text("Password", size="100", weight="semibold"),
                rx.input(
                    name="password",
                    type="password",
                    auto_complete="current-password",
                    required=True,
                    size="3",
                ),
                gap=1,
            ),
            button(
                "Sign in",
                color="red",
                size="lg",
                type="submit",
                loading=SignInState.busy,
                full_width=True,
            ),
            gap=4,
        ),
        on_submit=SignInState.submit_password,
        reset_on_submit=False,
        width="100%",
    )


def _header_mode() -> rx.Component:
    return callout(
        rx.cond(
            SignInState.auth_error != "",
            SignInState.auth_error,
            "Waiting for your identity from the proxy…",
        ),
        "warning",
        title="Signed in by your proxy",
    )


def signin_page() -> rx.Component:
    """The sign-in page body (rendered without the app shell)."""
    body = rx.cond(
        SignInState.mode == "header",
        _header_mode(),
        rx.cond(
            SignInState.has_password,
            _password(),
            rx.cond(
                SignInState.auth_error != "",
                callout(SignInState.auth_error, "error"),
                _demo(),
            ),
        ),
    )
    return rx.box(
        column(
            flex(
                # The shell's logo, so the console looks the same before and after sign-in.
                rx.image(src="/logo.svg", width="34px", height="34px", alt=""),
                text("PinConsole", size="400", weight="bold"),
                gap=2,
            ),
            column(
                heading("Sign in", level=1),
                text(
                    rx.cond(
                        SignInState.mode == "demo",
                        "Pick a person to see PinConsole through their eyes.",
                        "Use your directory account.",
                    ),
                    color="subtle",
                ),
                gap=1,
            ),
            rx.cond(SignInState.notice != "", callout(SignInState.notice, "warning")),
            body,
            gap=6,
            width="100%",
            max_width=rx.cond(SignInState.has_password, "420px", "760px"),
            padding=space(8),
            background=COLOR["surface"],
            border_radius=RADIUS["lg"],
            border=f"1px solid {COLOR['border_subtle']}",
        ),
        # The shell wraps every page; sign-in covers it (nothing to navigate before sign-in).
        position="fixed",
        inset="0",
        z_index="100",
        overflow_y="auto",
        display="flex",
        align_items="flex-start",
        justify_content="center",
        padding=f"{space(16)} {space(4)}",
        background=COLOR["background"],
    )
