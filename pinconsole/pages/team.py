"""Team page ``/teams/[name]``: parent and child teams, members, owned entities, scorecard."""

from __future__ import annotations

import reflex as rx

from pinconsole.components import (
    Column,
    avatar,
    badge,
    box,
    column,
    datapoint,
    empty_state,
    flex,
    heading,
    icon,
    link,
    module,
    search_field,
    skeleton_rows,
    table,
    text,
)
from pinconsole.components.tokens import COLOR, RADIUS
from pinconsole.pages.catalog import COLUMNS as CATALOG_COLUMNS
from pinconsole.state.team import TeamsState, TeamState

# The catalog's columns minus the owner (it is this team) for the owned-entities table.
OWNED_COLUMNS = [
    Column(
        c.key, c.label, sortable=False, align=c.align, width=c.width, render=c.render, mono=c.mono
    )
    for c in CATALOG_COLUMNS
    if c.key != "owner"
]
# A department's page lists what its teams own too: there the owner says which team.
ROLLUP_COLUMNS = [
    Column(
        c.key, c.label, sortable=False, align=c.align, width=c.width, render=c.render, mono=c.mono
    )
    for c in CATALOG_COLUMNS
]


def person_chip(p: rx.Var) -> rx.Component:
    """An avatar and a linked name (teams and people)."""
    return flex(
        avatar(p["title"], src=p["picture"], size="sm"),
        column(
            link(p["title"], href=p["url"], weight="medium"),
            rx.cond(p["email"] != "", text(p["email"], size="100", color="subtle")),
            gap=0,
        ),
        gap=2,
        min_width="220px",
    )


def team_chip(p: rx.Var) -> rx.Component:
    return flex(
        avatar(p["title"], size="xs", color="red"),
        link(p["title"], href=p["url"], weight="medium"),
        gap=2,
    )


def _hierarchy() -> rx.Component:
    return module(
        column(
            column(
                text("Parent team", size="100", color="subtle", weight="semibold"),
                rx.cond(
                    TeamState.parent.contains("url"),  # type: ignore[attr-defined]
                    team_chip(TeamState.parent),
                    text("—", color="subtle"),
                ),
                gap=1,
            ),
            column(
                text("Child teams", size="100", color="subtle", weight="semibold"),
                rx.cond(
                    TeamState.children.length() > 0,  # type: ignore[attr-defined]
                    flex(rx.foreach(TeamState.children, team_chip), gap=4, wrap=True),
                    text("—", color="subtle"),
                ),
                gap=1,
            ),
            gap=4,
        ),
        title="Organisation",
        icon="network",
        id="team-hierarchy",
    )


def _scorecard() -> rx.Component:
    return module(
        flex(
            datapoint("Average score", TeamState.score),
            datapoint("Scored entities", TeamState.scored_entities),
            gap=8,
        ),
        column(
            rx.foreach(
                TeamState.checks,
                lambda ch: column(
                    flex(
                        text(ch["label"], size="100"),
                        text(ch["passed"], "/", ch["total"], size="100", color="subtle"),
                        justify="between",
                    ),
                    box(
                        box(
                            height="100%",
                            width=ch["percent"] + "%",
                            background=COLOR["success"],
                            border_radius=RADIUS["pill"],
                        ),
                        height="6px",
                        width="100%",
                        background=COLOR["surface_subtle"],
                        border_radius=RADIUS["pill"],
                        overflow="hidden",
                    ),
                    gap=1,
                ),
            ),
            gap=2,
        ),
        title="Scorecard",
        subtitle=rx.cond(TeamState.rolled_up, TeamState.rollup_note, None),
        icon="gauge",
        id="team-scorecard",
    )


def _members() -> rx.Component:
    return module(
        rx.cond(
            TeamState.members.length() > 0,  # type: ignore[attr-defined]
            flex(rx.foreach(TeamState.members, person_chip), gap=4, wrap=True),
            empty_state(
                "No members", "Nobody is a direct member of this team.", icon="users", compact=True
            ),
        ),
        title="Members",
        subtitle=TeamState.members_label,
        icon="users",
        id="team-members",
    )


def _owned_table(columns: list[Column]) -> rx.Component:
    return table(
        columns,
        TeamState.owned,
        empty=empty_state(
            "Owns nothing yet",
            "Entities whose spec.owner is this team appear here.",
            icon="library",
            compact=True,
        ),
        dense=True,
        id="team-owned",
    )


def _owned() -> rx.Component:
    return module(
        rx.cond(TeamState.rolled_up, _owned_table(ROLLUP_COLUMNS), _owned_table(OWNED_COLUMNS)),
        title="Owned entities",
        subtitle=rx.cond(
            TeamState.rolled_up,
            TeamState.owned_label + " · " + TeamState.rollup_note,
            TeamState.owned_label,
        ),
        icon="library",
        actions=[link("Open in catalog", href="/catalog?owner=" + TeamState.t_name, size="1")],
    )


def _contact() -> rx.Component:
    """The team's chat channel and the links of its Group profile (handbook, on-call, ...)."""
    return rx.cond(
        (TeamState.chat_name != "") | (TeamState.links.length() > 0),  # type: ignore[attr-defined]
        flex(
            rx.cond(
                TeamState.chat_name != "",
                flex(
                    icon("message-square", size=14),
                    rx.cond(
                        TeamState.chat_url != "",
                        link(TeamState.chat_name, href=TeamState.chat_url, external=True),
                        text(TeamState.chat_name),
                    ),
                    gap=1,
                    align="center",
                    id="team-chat",
                ),
            ),
            rx.foreach(
                TeamState.links,
                lambda lk: flex(
                    icon("external-link", size=14),
                    link(lk["title"], href=lk["url"], external=True, class_name="pc-team-link"),
                    gap=1,
                    align="center",
                ),
            ),
            gap=4,
            wrap=True,
            id="team-contact",
        ),
    )


def team_page() -> rx.Component:
    return rx.cond(
        TeamState.loaded,
        rx.cond(
            TeamState.found,
            column(
                flex(
                    avatar(TeamState.t_title, size="lg", color="red"),
                    column(
                        flex(
                            heading(TeamState.t_title, level=1, size="500", id="team-title"),
                            rx.cond(TeamState.t_type != "", badge(TeamState.t_type, "info")),
                            gap=3,
                        ),
                        flex(
                            text(TeamState.t_ref, mono=True, size="100", color="subtle"),
                            rx.cond(
                                TeamState.t_email != "",
                                link(
                                    TeamState.t_email,
                                    href="mailto:" + TeamState.t_email,
                                    size="1",
                                ),
                            ),
                            gap=3,
                        ),
                        gap=1,
                    ),
                    gap=4,
                ),
                rx.cond(TeamState.t_description != "", text(TeamState.t_description)),
                _contact(),
                flex(
                    rx.box(_hierarchy(), flex="1", min_width="300px"),
                    rx.box(_scorecard(), flex="1", min_width="300px"),
                    gap=4,
                    align="stretch",
                    wrap=True,
                ),
                _members(),
                _owned(),
                gap=5,
            ),
            empty_state("Team not found", TeamState.error, icon="search-x"),
        ),
        column(skeleton_rows(1, height="64px"), skeleton_rows(6), gap=4),
    )


TEAM_COLUMNS = [
    Column(
        "name",
        "Team",
        sortable=True,
        render=lambda r: flex(
            avatar(r["title"], size="xs", color="red"),
            column(
                link(r["title"], href=r["url"], weight="medium"),
                rx.cond(
                    r["description"] != "",
                    text(
                        r["description"],
                        size="100",
                        color="subtle",
                        truncate=True,
                        max_width="420px",
                    ),
                ),
                gap=0,
            ),
            gap=2,
        ),
    ),
    Column("type", "Type", sortable=True, render=lambda r: badge(r["type"], "info")),
    Column(
        "parent",
        "Parent",
        render=lambda r: rx.cond(
            r["parent_url"] != "",
            link(r["parent"], href=r["parent_url"]),
            text("—", color="subtle"),
        ),
    ),
    Column("children", "Child teams", align="right", width="110px"),
    Column("members", "Members", align="right", width="100px"),
]


def teams_page() -> rx.Component:
    """``/teams``: every group of the directory, searchable."""
    return column(
        search_field(
            TeamsState.f_text,
            TeamsState.set_text.debounce(300),  # type: ignore[attr-defined]
            placeholder="Search teams",
            size="sm",
            id="teams-search",
            width="300px",
        ),
        rx.cond(
            TeamsState.loaded,
            table(
                TEAM_COLUMNS,
                TeamsState.rows,
                sort_by=TeamsState.sort,
                sort_desc=TeamsState.sort_desc,
                on_sort=TeamsState.sort_by,
                paged=TeamsState,
                empty=empty_state(
                    "No teams", "Groups from the catalog appear here.", icon="users", compact=True
                ),
                id="teams-table",
            ),
            skeleton_rows(8),
        ),
        gap=4,
    )
