"""Home: greeting, my services, my team, my team's recent changes, and plugins' home modules."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pinconsole import components as c
from pinconsole.components.tokens import COLOR, FONT_SIZE, space
from pinconsole.plugins import get_registry
from pinconsole.state.home import HomeState

# Time of day in the browser's own timezone (the server's clock would greet wrongly).
_GREETING = rx.Var(
    "(() => { const h = new Date().getHours(); return h < 5 ? 'Good evening' : "
    "h < 12 ? 'Good morning' : h < 18 ? 'Good afternoon' : 'Good evening'; })()",
    _var_type=str,
)


def _when_loaded(content: rx.Component, rows: int = 3) -> rx.Component:
    """Skeleton rows until the backend has sent the data (the prerendered HTML has none)."""
    return rx.cond(HomeState.loaded, content, c.skeleton_rows(rows))


def _has_route(route: str) -> bool:
    return any(p.route == route for p in get_registry().pages)


def _hero() -> rx.Component:
    name = rx.cond(HomeState.first_name != "", HomeState.first_name, "there")
    actions: list[Any] = []
    if _has_route("/catalog"):
        actions.append(c.button("Browse catalog", href="/catalog", icon_start="library"))
    actions.append(
        c.button(
            "API docs",
            href="/api/v1/docs",
            external=True,
            icon_start="book-open",
            color="transparent",
        )
    )
    return c.flex(
        c.flex(
            c.avatar(
                rx.cond(HomeState.display_name != "", HomeState.display_name, "?"),
                size="lg",
                color="red",
            ),
            c.column(
                c.heading(_GREETING, ", ", name, level=1, size="500"),
                c.text(
                    "Your services, your team and what changed recently, in one place.",
                    color="subtle",
                    size="300",
                ),
                gap=1,
            ),
            gap=4,
        ),
        c.flex(*actions, gap=2),
        justify="between",
        wrap=True,
        gap=4,
    )


def _stats() -> rx.Component:
    return c.module(
        rx.grid(
            c.datapoint("Your services", HomeState.services.length()),
            c.datapoint(
                "Team members",
                rx.cond(HomeState.has_team, HomeState.team["members"], "—"),
            ),
            c.datapoint(
                "Entities owned by your team",
                rx.cond(HomeState.has_team, HomeState.team["owned_total"], "—"),
            ),
            c.datapoint(
                "Team scorecard",
                rx.cond(HomeState.has_team, HomeState.team["score"], "—"),
                tooltip="Average catalog scorecard of the team's entities (0-100)",
            ),
            columns=rx.breakpoints(initial="2", md="4"),
            gap=space(6),
            width="100%",
        ),
        padding=6,
    )


def _service_name(row: Any) -> rx.Component:
    return c.column(
        c.link(row["title"], href=row["url"], color="default", font_weight="600"),
        c.text(row["description"], size="100", color="subtle", truncate=True, max_width="420px"),
        gap=0,
    )


def _failing_checks(row: Any) -> rx.Component:
    return rx.cond(
        row["failing"] != "",
        c.flex(
            c.badge(row["failing_count"], "error"),
            c.link(
                row["failing"],
                href=row["scorecard_url"],
                font_size=FONT_SIZE["100"],
                title="Open the scorecard",
            ),
            gap=2,
            align="center",
        ),
        c.text("All pass", size="100", color="subtle"),
    )


def _my_services() -> rx.Component:
    empty = rx.cond(
        HomeState.signed_in,
        c.empty_state(
            "No services yet",
            "Components owned by you or your teams show up here once they are in the catalog.",
            icon="boxes",
            action=c.button("Browse catalog", href="/catalog", size="sm")
            if _has_route("/catalog")
            else None,
        ),
        c.empty_state(
            "Sign in to see your services",
            "PinConsole shows the services owned by your teams.",
            icon="log-in",
            action=c.button("Sign in", href="/signin", color="red", size="sm"),
        ),
    )
    return c.module(
        _when_loaded(
            c.table(
                [
                    c.Column("title", "Service", render=_service_name),
                    c.Column("type", "Type", width="120px"),
                    c.Column(
                        "lifecycle",
                        "Lifecycle",
                        width="130px",
                        render=lambda r: c.badge(r["lifecycle"], r["lifecycle_intent"]),
                    ),
                    c.Column("failing", "Failing checks", render=_failing_checks),
                    c.Column("score", "Score", width="80px", align="right"),
                ],
                HomeState.services,
                empty=empty,
            ),
            rows=4,
        ),
        title="My services",
        subtitle="Components owned by you or your teams",
        icon="boxes",
        grid_column=rx.breakpoints(initial="auto", lg="span 2"),
    )


def _my_team() -> rx.Component:
    team = HomeState.team
    card = c.column(
        c.flex(
            c.avatar(team["title"], size="md", color="red"),
            c.column(
                c.link(team["title"], href=team["url"], color="default", font_weight="700"),
                c.text(team["email"], size="100", color="subtle"),
                gap=0,
                min_width="0",
            ),
            gap=3,
        ),
        c.flex(
            c.datapoint("Members", team["members"]),
            c.datapoint("Owns", team["owned_total"]),
            c.datapoint("Score", team["score"]),
            gap=6,
        ),
        rx.cond(
            HomeState.other_teams.length() > 0,
            c.flex(
                c.text("Also in", size="100", color="subtle"),
                rx.foreach(
                    HomeState.other_teams,
                    lambda t: c.link(c.badge(t["title"]), href=t["url"], underline="none"),
                ),
                gap=2,
                wrap=True,
            ),
        ),
        c.button("Open team page", href=team["url"], size="sm", icon_end="arrow-right"),
        gap=5,
    )
    return c.module(
        _when_loaded(
            rx.cond(
                HomeState.has_team,
                card,
                c.empty_state(
                    "No team yet",
                    "Teams come from the directory or from Group entities in the catalog.",
                    icon="users",
                    compact=True,
                ),
            ),
            rows=2,
        ),
        title="My team",
        icon="users",
    )


def _activity_row(item: Any) -> rx.Component:
    return c.flex(
        c.avatar(item["actor"], size="xs"),
        c.column(
            c.flex(
                c.text(item["actor"], weight="semibold", truncate=True),
                c.text(
                    item["action"],
                    size="100",
                    mono=True,
                    color="subtle",
                    padding_x=space(1.5),
                    border_radius="6px",
                    background=COLOR["surface_subtle"],
                    white_space="nowrap",
                ),
                rx.cond(item["outcome"] != "ok", c.badge(item["outcome"], "error")),
                gap=2,
                min_width="0",
            ),
            c.text(
                rx.cond(item["target_kind"] != "", item["target_kind"] + " · ", ""),
                item["target_name"],
                " · ",
                item["ago"],
                size="100",
                color="subtle",
                truncate=True,
                title=item["target"],
            ),
            gap=0.5,
            min_width="0",
            flex="1",
        ),
        align="start",
        gap=3,
        padding_y=space(2),
        class_name="pc-activity-row",
    )


def _recent_changes() -> rx.Component:
    actions = []
    if _has_route("/admin/audit"):
        # Only administrators may open the audit log: nobody else is offered a link to it.
        actions.append(
            rx.cond(
                HomeState.is_admin,
                c.icon_button("arrow-up-right", label="Open the audit log", href="/admin/audit"),
            )
        )
    return c.module(
        _when_loaded(
            rx.cond(
                HomeState.activity.length() > 0,
                c.column(rx.foreach(HomeState.activity, _activity_row), gap=0),
                c.empty_state(
                    "No changes yet",
                    "Actions on your teams' services and workloads, and imports of their "
                    "catalog entries, appear here.",
                    icon="history",
                    compact=True,
                ),
            )
        ),
        title="Recent changes",
        subtitle="To what your teams own",
        icon="history",
        actions=actions,
    )


def _plugin_modules() -> list[rx.Component]:
    return [build() for build in get_registry().home_modules]


def home_page() -> rx.Component:
    """The page body (the shell adds navigation and top bar)."""
    extra = _plugin_modules()
    return c.column(
        _hero(),
        rx.foreach(
            HomeState.load_errors,
            lambda message: c.callout(message, "error", title="Something went wrong"),
        ),
        _stats(),
        rx.grid(
            _my_services(),
            c.column(_my_team(), _recent_changes(), gap=6),
            columns=rx.breakpoints(initial="1", lg="3"),
            gap=space(6),
            width="100%",
            align_items="start",
        ),
        rx.grid(
            *extra,
            columns=rx.breakpoints(initial="1", lg="2"),
            gap=space(6),
            width="100%",
        )
        if extra
        else rx.fragment(),
        gap=6,
        color=COLOR["text"],
    )
