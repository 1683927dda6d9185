"""A person on their entity page (``/catalog/user/[namespace]/[name]``): their profile, teams and
what they own (directly or through a team); and ``/users/[name]``, which opens that page."""

from __future__ import annotations

import reflex as rx

from pinconsole.components import (
    avatar,
    column,
    empty_state,
    flex,
    link,
    module,
    skeleton_rows,
    table,
    text,
)
from pinconsole.pages.catalog import COLUMNS as CATALOG_COLUMNS
from pinconsole.pages.team import OWNED_COLUMNS, team_chip
from pinconsole.state.user import UserState

# Owned through a team: the owner column says which one.
USER_COLUMNS = [c for c in CATALOG_COLUMNS if c.key in ("name", "kind", "owner")] + [
    c for c in OWNED_COLUMNS if c.key in ("lifecycle", "score")
]


def user_opening_page() -> rx.Component:
    """``/users/[name]`` while its ``on_load`` sends the browser to the entity page."""
    return column(skeleton_rows(1, height="64px"), skeleton_rows(6), gap=4, id="user-opening")


def person_profile() -> rx.Component:
    """The person's card (picture, name, email): a User's overview shows it beside About."""
    return module(
        flex(
            avatar(UserState.u_title, src=UserState.u_picture, size="lg"),
            column(
                text(UserState.u_title, weight="semibold"),
                rx.cond(
                    UserState.u_email != "",
                    link(UserState.u_email, href="mailto:" + UserState.u_email, size="1"),
                    text("No email in the directory.", size="100", color="subtle"),
                ),
                gap=1,
            ),
            gap=4,
        ),
        title="Profile",
        icon="user",
        id="user-profile",
    )


def person_section() -> rx.Component:
    """Teams and owned entities; the entity page shows them on a User's overview."""
    return rx.cond(
        UserState.loaded & UserState.found,
        column(
            module(
                rx.cond(
                    UserState.teams.length() > 0,  # type: ignore[attr-defined]
                    flex(rx.foreach(UserState.teams, team_chip), gap=4, wrap=True),
                    text("Not a member of any team.", color="subtle"),
                ),
                title="Teams",
                icon="users",
                id="user-teams",
            ),
            module(
                table(
                    [
                        c.__class__(
                            c.key,
                            c.label,
                            sortable=False,
                            align=c.align,
                            width=c.width,
                            render=c.render,
                            mono=c.mono,
                        )
                        for c in USER_COLUMNS
                    ],
                    UserState.owned,
                    empty=empty_state(
                        "Owns nothing",
                        "Neither this person nor their teams own catalog entities.",
                        icon="library",
                        compact=True,
                    ),
                    dense=True,
                    id="user-owned",
                ),
                title="Owned entities",
                subtitle="Directly or through one of their teams",
                icon="library",
            ),
            gap=4,
        ),
        rx.cond(UserState.loaded, rx.fragment(), skeleton_rows(3)),
    )
