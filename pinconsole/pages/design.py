"""/design: every component of the design system with its variants (the living catalogue)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pinconsole import components as c
from pinconsole.components.tokens import (
    COLOR,
    FONT_SIZE,
    RADIUS,
    SHADOW,
    STATUS_KINDS,
    space,
)
from pinconsole.state.design import DesignState


def _label(text: str) -> rx.Component:
    return c.text(text, size="100", color="subtle", weight="semibold")


def _row(*children: Any, gap: float = 3) -> rx.Component:
    return c.flex(*children, gap=gap, wrap=True)


def _swatch(role: str) -> rx.Component:
    return c.column(
        rx.box(
            height="48px",
            border_radius=RADIUS["md"],
            background=COLOR[role],
            border=f"1px solid {COLOR['border_subtle']}",
        ),
        c.text(role, size="100", mono=True, truncate=True),
        gap=1,
    )


def _colors() -> rx.Component:
    roles = [
        "background", "surface", "surface_subtle", "surface_selected", "text", "text_subtle",
        "brand", "primary", "info", "success", "warning", "error", "recommendation",
    ]  # fmt: skip
    return c.module(
        rx.grid(*[_swatch(r) for r in roles], columns="4", gap=space(3), width="100%"),
        title="Color",
        subtitle="Semantic roles; the same token works in light and dark theme",
        icon="palette",
    )


def _spacing_and_radius() -> rx.Component:
    bars = [
        c.flex(
            c.text(f"{n}", size="100", mono=True, width="24px"),
            rx.box(width=space(n), height="12px", background=COLOR["brand"], border_radius="3px"),
            c.text(space(n), size="100", color="subtle"),
            gap=3,
        )
        for n in (1, 2, 3, 4, 6, 8, 12, 16)
    ]
    radii = [
        c.column(
            rx.box(
                width="56px",
                height="56px",
                border_radius=RADIUS[r],
                background=COLOR["surface_subtle"],
                border=f"1px solid {COLOR['border']}",
                box_shadow=SHADOW["raised"],
            ),
            c.text(r, size="100", mono=True),
            gap=1,
            align="center",
        )
        for r in ("xs", "sm", "md", "lg", "xl", "pill")
    ]
    return c.module(
        c.column(_label("Spacing: space(n) = n \u00d7 4 px"), *bars, gap=2),
        c.divider(),
        c.column(_label("Radius"), _row(*radii, gap=4), gap=2),
        title="Spacing and radius",
        icon="ruler",
    )


def _box_and_flex() -> rx.Component:
    boxes = [
        c.box(
            # Text on the selected surface takes the inverse role (as the nav's active item).
            c.text(
                color, size="100", mono=True, color="inverse" if color == "selected" else "default"
            ),
            color=color,  # type: ignore[arg-type]
            padding=3,
            rounding="md",
            border=color in ("transparent", "default"),
            shadow="raised" if color == "elevated" else None,
            min_width="88px",
        )
        for color in ("transparent", "default", "secondary", "elevated", "selected")
    ]

    def cell(label: str) -> rx.Component:
        return c.box(
            c.text(label, size="100", mono=True),
            color="secondary",
            padding_x=2,
            padding_y=1,
            rounding="sm",
        )

    flexes = [
        c.column(
            c.text(f"justify={justify}, gap={gap}", size="100", color="subtle", mono=True),
            c.flex(
                cell("a"),
                cell("b"),
                cell("c"),
                justify=justify,  # type: ignore[arg-type]
                gap=gap,
                padding=space(2),
                border=f"1px dashed {COLOR['border']}",
                border_radius="8px",
            ),
            gap=1,
        )
        for justify, gap in (("start", 1), ("center", 3), ("between", 2), ("end", 6))
    ]
    return c.module(
        c.column(_label("Box: color, rounding, border, shadow"), _row(*boxes, gap=2), gap=2),
        c.divider(),
        c.column(_label("Flex: direction, gap (4 px steps), align, justify, wrap"), *flexes, gap=3),
        title="Box and Flex",
        subtitle="Layout primitives on the token scale",
        icon="layout-grid",
    )


def _type() -> rx.Component:
    return c.module(
        c.column(
            *[
                c.flex(
                    c.text(size, size="100", mono=True, color="subtle", width="32px"),
                    c.heading(f"Heading {size}", size=size, level=3)
                    if int(size) >= 400
                    else c.text(f"Body text {size} \u00b7 {FONT_SIZE[size]}", size=size),
                    gap=3,
                    align="baseline",
                )
                for size in ("600", "500", "400", "300", "200", "100")
            ],
            _row(
                c.text("default"),
                c.text("subtle", color="subtle"),
                c.text("link", color="link"),
                c.text("success", color="success"),
                c.text("warning", color="warning"),
                c.text("error", color="error"),
                c.text("mono 0.4.2", mono=True),
            ),
            gap=3,
        ),
        title="Typography",
        subtitle="Text and Heading on the 100\u2013600 scale",
        icon="type",
    )


def _buttons() -> rx.Component:
    colors = ("primary", "gray", "dark", "blue", "transparent")
    return c.module(
        c.column(
            _label("Colors (primary only for the page's main action)"),
            _row(*[c.button(col.capitalize(), color=col) for col in colors]),
            _label("Sizes"),
            _row(
                c.button("Small", size="sm"),
                c.button("Medium", size="md"),
                c.button("Large", size="lg"),
            ),
            _label("With icons, disabled, loading"),
            _row(
                c.button("Deploy", color="primary", icon_start="rocket"),
                c.button("Continue", icon_end="arrow-right"),
                c.button("Disabled", disabled=True),
                c.button("Saving", loading=True),
            ),
            _label("Icon buttons"),
            _row(
                c.icon_button("pencil", label="Edit"),
                c.icon_button("share-2", label="Share", color="gray"),
                c.icon_button("plus", label="Add", color="primary"),
                c.icon_button("trash-2", label="Delete", color="gray", size="sm"),
                c.icon_button("ellipsis", label="More", color="gray", size="lg"),
                gap=2,
            ),
            gap=3,
        ),
        title="Button",
        icon="mouse-pointer-click",
    )


def _badges_and_status() -> rx.Component:
    types = ("info", "success", "warning", "error", "neutral", "recommendation")
    return c.module(
        c.column(
            _label("Badge"),
            _row(*[c.badge(t.capitalize(), t) for t in types], gap=2),
            _row(
                c.badge("Production", "success", icon="circle-check"),
                c.badge("Deprecated", "error", solid=True),
                c.badge("New", "recommendation", solid=True),
                gap=2,
            ),
            _label("Status"),
            rx.grid(
                *[c.status(k) for k in STATUS_KINDS],
                c.status("critical", "3 pods crash-looping", subtext="since 10:42"),
                columns="2",
                gap=space(4),
            ),
            gap=3,
        ),
        title="Badge and Status",
        icon="tag",
    )


def _datapoints() -> rx.Component:
    return c.module(
        rx.grid(
            c.datapoint("Deploys this week", "128", trend=12.5),
            c.datapoint("Error rate", "0.42%", trend=8.1, trend_sentiment="bad"),
            c.datapoint("p99 latency", "184 ms", trend=-3.2, trend_sentiment="good"),
            c.datapoint("Scorecard", "87", trend=0, tooltip="Average of all checks"),
            c.datapoint("Open incidents", "2", badge=c.badge("SEV2", "warning")),
            c.datapoint("Uptime", "99.98%", size="lg"),
            columns="3",
            gap=space(6),
            width="100%",
        ),
        title="Datapoint",
        subtitle="Value, label and trend (arrow and percentage)",
        icon="chart-no-axes-column",
    )


def _avatars() -> rx.Component:
    names = ("Ada Lovelace", "grace.hopper", "Linus", "Margaret Hamilton", "Team Payments")
    return c.module(
        c.column(
            _label("Sizes (initials fallback)"),
            _row(
                *[
                    c.avatar("Ada Lovelace", size=s)  # type: ignore[arg-type]
                    for s in ("xs", "sm", "md", "lg", "xl")
                ],
                gap=3,
            ),
            _label("Names"),
            _row(
                *[
                    c.flex(c.avatar(n, size="sm", color=col), c.text(n), gap=2)
                    for n, col in zip(names, ("gray", "red", "blue", "grass", "amber"), strict=True)
                ],
                gap=4,
            ),
            gap=3,
        ),
        title="Avatar",
        icon="circle-user-round",
    )


def _callouts() -> rx.Component:
    return c.module(
        c.column(
            c.callout("Catalog refresh runs every 30 minutes.", "info"),
            c.callout(
                "payments-api was scaled to 6 replicas.",
                "success",
                title="Scaled",
            ),
            c.callout(
                "Two components have no owner.",
                "warning",
                action=c.button("Review", size="sm"),
            ),
            c.callout(
                "The Kubernetes API did not answer within 10 s.",
                "error",
                title="Cluster unavailable",
            ),
            _label("Toast (click)"),
            _row(
                *[
                    c.button(k.capitalize(), DesignState.notify(k), size="sm")
                    for k in ("info", "success", "warning", "error")
                ],
                gap=2,
            ),
            gap=3,
        ),
        title="Callout and Toast",
        icon="message-square-warning",
    )


def _tabs() -> rx.Component:
    items = [
        c.Tab("overview", "Overview", icon="layout-dashboard"),
        c.Tab("deploys", "Deploys", icon="rocket", count="12"),
        c.Tab("logs", "Logs", icon="scroll-text"),
        c.Tab("api", "API", icon="plug"),
    ]
    return c.module(
        c.tabs(items, DesignState.tab, DesignState.set_tab, id="design-tabs"),
        c.tab_panel(
            rx.match(
                DesignState.tab,
                ("overview", c.text("The overview of this entity.", color="subtle")),
                ("deploys", c.text("Twelve deploys this week.", color="subtle")),
                ("logs", c.text("Logs stream here.", color="subtle")),
                c.text("The API definition.", color="subtle"),
            ),
            tabs_id="design-tabs",
            value=DesignState.tab,
        ),
        title="Tabs",
        icon="panels-top-left",
    )


def _navigation() -> rx.Component:
    sections = [
        c.NavSection(
            "Explore",
            [
                c.NavItem("Overview", "/x-overview", "layout-dashboard"),
                c.NavItem("Catalog", "/x-catalog", "library"),
                c.NavItem("Teams", "/x-teams", "users"),
            ],
        ),
        c.NavSection("Operate", [c.NavItem("Workloads", "/x-workloads", "container")]),
    ]
    return c.module(
        rx.grid(
            c.box(
                c.side_navigation(sections, "/x-catalog", label="Example navigation"),
                padding=3,
                color="default",
                border=True,
                rounding="md",
            ),
            c.column(
                _label("Breadcrumbs"),
                c.breadcrumbs(
                    [("Catalog", "/design"), ("Components", "/design"), ("payments-api", None)]
                ),
                _label("Search field"),
                c.search_field(
                    DesignState.query,
                    DesignState.set_query,
                    placeholder="Search components",
                    on_clear=DesignState.clear_query,
                ),
                _label("Links"),
                _row(
                    c.link("Internal link", href="/design"),
                    c.link("External", href="https://gestalt.pinterest.systems", external=True),
                ),
                gap=3,
            ),
            columns="2",
            gap=space(6),
        ),
        title="Navigation",
        subtitle="SideNavigation, Breadcrumbs, SearchField",
        icon="compass",
    )


def _table() -> rx.Component:
    columns = [
        c.Column(
            "name",
            "Service",
            sortable=True,
            render=lambda r: c.link(r["name"], href="/design", color="default"),
        ),
        c.Column("owner", "Owner", sortable=True),
        c.Column("status", "Health", sortable=True, render=lambda r: c.status(r["status"])),
        c.Column("replicas", "Replicas", sortable=True, align="right"),
        c.Column("latency", "p99 (ms)", sortable=True, align="right", mono=True),
    ]
    return c.module(
        c.table(
            columns,
            DesignState.rows,
            sort_by=DesignState.sort_by,
            sort_desc=DesignState.sort_desc,
            on_sort=DesignState.sort,
            paged=DesignState,
            empty=c.empty_state(
                "No services match",
                "Try another filter, or register a service in the catalog.",
                icon="search-x",
                action=c.button("Clear filters", DesignState.toggle_empty(False), size="sm"),
            ),
        ),
        title="Table",
        subtitle="Sortable headers, server-side paging, empty state",
        icon="table",
        actions=[
            c.flex(
                c.text("Empty", size="100", color="subtle"),
                rx.switch(
                    checked=DesignState.show_empty,
                    on_change=DesignState.toggle_empty,
                    aria_label="Empty",
                    size="1",
                    color_scheme="gray",
                    high_contrast=True,
                ),
                gap=2,
            )
        ],
    )


def _modules() -> rx.Component:
    return c.module(
        c.column(
            c.module(
                c.text("A module groups related content under a title.", color="subtle"),
                title="Module with actions",
                subtitle="Subtitle",
                icon="box",
                actions=[c.icon_button("ellipsis", label="More"), c.button("View", size="sm")],
                padding=4,
            ),
            c.module(
                c.empty_state(
                    "No deploys yet",
                    "Deploys appear here after the first release.",
                    icon="rocket",
                    action=c.button("Create release", color="primary", size="sm"),
                    compact=True,
                ),
                padding=4,
            ),
            gap=4,
        ),
        title="Module and Empty state",
        icon="square-dashed",
    )


def design_page() -> rx.Component:
    """The catalogue: modules on a responsive two-column grid."""
    return c.column(
        c.text(
            "PinConsole's Gestalt-like design system. Pages are composed only from these "
            "components; see docs/design-system.md for their signatures.",
            color="subtle",
            size="300",
            max_width="720px",
        ),
        _table(),
        rx.grid(
            c.column(
                _buttons(),
                _datapoints(),
                _tabs(),
                _navigation(),
                _type(),
                _spacing_and_radius(),
                gap=6,
            ),
            c.column(
                _badges_and_status(),
                _callouts(),
                _avatars(),
                _modules(),
                _colors(),
                _box_and_flex(),
                gap=6,
            ),
            columns=rx.breakpoints(initial="1", lg="2"),
            gap=space(6),
            width="100%",
            align_items="start",
        ),
        gap=6,
    )
