"""``/workloads``: PinApps across clusters with filters and a health summary; and the Workloads
tab of entity pages. Layout only: data and events come from ``pinconsole.state.workloads``."""

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
    link,
    module,
    search_field,
    skeleton_rows,
    status,
    table,
    text,
)
from pinconsole.components.charts import live_chart
from pinconsole.components.tokens import COLOR, RADIUS, space
from pinconsole.state.entity_workloads import EntityWorkloadsState
from pinconsole.state.workloads import WorkloadsState

HEALTHS = [("healthy", "Healthy"), ("degraded", "Degraded"), ("down", "Down"), ("paused", "Paused")]


def _name(row: rx.Var) -> rx.Component:
    return column(
        link(row["name"], href=row["url"]),
        text(row["service"], size="100", color="subtle", truncate=True, max_width="260px"),
        gap=0,
    )


def _health(row: rx.Var) -> rx.Component:
    return status(row["status_kind"], row["health"])


def _tier(row: rx.Var) -> rx.Component:
    return badge(row["tier"], "neutral")


COLUMNS = [
    Column("name", "PinApp", render=_name),
    Column("health", "Health", render=_health, width="130px"),
    Column("replicas", "Ready", align="right", width="80px", mono=True),
    Column("restarts", "Restarts", align="right", width="90px", mono=True),
    Column("namespace", "Namespace", mono=True),
    Column("team_name", "Team"),
    Column("cluster", "Cluster", mono=True),
    Column("tier", "Tier", render=_tier, width="120px"),
]


# The tile's accent per health: a pressed tile takes it as its border and a tint.
HEALTH_TONE = {"healthy": "success", "degraded": "warning", "down": "error", "paused": "neutral"}


def _health_tile(key: str, label: str) -> rx.Component:
    """A toggle filter that reads as one: a bordered button, pressed while it filters."""
    pressed = WorkloadsState.f_health == key
    tone = HEALTH_TONE[key]
    return rx.el.button(
        flex(
            rx.box(
                width="10px",
                height="10px",
                border_radius=RADIUS["pill"],
                background=COLOR[tone],
                flex_shrink="0",
            ),
            text(label, size="200", color="subtle", weight="semibold"),
            gap=2,
            align="center",
        ),
        text(
            WorkloadsState.summary.get(key, 0),  # type: ignore[attr-defined]
            size="500",
            weight="bold",
        ),
        on_click=WorkloadsState.set_health(key),
        aria_pressed=rx.cond(pressed, "true", "false"),
        title=rx.cond(pressed, "Show every health", "Show only " + label.lower() + " PinApps"),
        id=f"health-{key}",
        class_name="pc-health-tile",
        display="flex",
        flex_direction="column",
        align_items="flex-start",
        gap=space(1),
        min_width="140px",
        padding=space(3),
        border_radius=RADIUS["md"],
        cursor="pointer",
        font="inherit",
        color="inherit",
        text_align="left",
        border=rx.cond(pressed, f"2px solid {COLOR[tone]}", f"2px solid {COLOR['border_subtle']}"),
        background=rx.cond(pressed, COLOR[f"{tone}_bg"], COLOR["surface"]),
        _hover={"border_color": COLOR[tone]},
    )


def _summary() -> rx.Component:
    return flex(*[_health_tile(key, label) for key, label in HEALTHS], gap=3, wrap=True)


def _select(
    items: rx.Var, value: rx.Var, on_change: object, placeholder: str, id_: str
) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(
            placeholder=placeholder,
            id=id_,
            # Radix renders the chosen item's text only once the list opened: name it here.
            aria_label=placeholder
            + ": "
            + rx.cond(value == "", f"all {placeholder.lower()}s", value),
        ),
        rx.select.content(
            rx.select.item(f"All {placeholder.lower()}s", value="all"),
            rx.foreach(items, lambda item: rx.select.item(item, value=item)),
        ),
        value=rx.cond(value == "", "all", value),
        on_change=on_change,
        size="2",
    )


def _team_picker() -> rx.Component:
    """Teams that own a namespace, by name; the value is the group as the URL carries it."""
    value = WorkloadsState.f_team
    return rx.select.root(
        rx.select.trigger(
            placeholder="Team",
            id="workloads-team",
            aria_label="Team: " + rx.cond(value == "", "all teams", value),
        ),
        rx.select.content(
            rx.select.item("All teams", value="all"),
            rx.foreach(
                WorkloadsState.teams,
                lambda t: rx.select.item(t["label"], value=t["value"]),
            ),
        ),
        value=rx.cond(value == "", "all", value),
        on_change=WorkloadsState.set_team,
        size="2",
    )


def _filters() -> rx.Component:
    return flex(
        search_field(
            WorkloadsState.f_text,
            WorkloadsState.set_text,  # cheap (cache); debounce inputs remount on live refresh
            placeholder="Search PinApps, services, images",
            size="sm",
            id="workloads-search",
            width="300px",
        ),
        _select(
            WorkloadsState.cluster_names,
            WorkloadsState.f_cluster,
            WorkloadsState.set_cluster,
            "Cluster",
            "workloads-cluster",
        ),
        _select(
            WorkloadsState.namespace_names,
            WorkloadsState.f_namespace,
            WorkloadsState.set_namespace,
            "Namespace",
            "workloads-namespace",
        ),
        _team_picker(),
        button(
            "My team",
            WorkloadsState.mine,
            icon_start="users",
            size="sm",
            id="workloads-my-team",
        ),
        rx.cond(
            WorkloadsState.filtered,
            button(
                "Clear",
                WorkloadsState.clear_filters,
                icon_start="x",
                size="sm",
                color="transparent",
                id="workloads-clear",
            ),
        ),
        gap=2,
        wrap=True,
    )


def workloads_page() -> rx.Component:
    return column(
        rx.foreach(WorkloadsState.stale, lambda note: callout(note, "warning", title="Stale")),
        rx.cond(WorkloadsState.error != "", callout(WorkloadsState.error, "error")),
        module(_summary(), title="Health", icon="activity"),
        _filters(),
        rx.cond(
            WorkloadsState.team_note != "",
            callout(WorkloadsState.team_note, "info", id="workloads-team-note"),
        ),
        rx.cond(
            WorkloadsState.loaded,
            table(
                COLUMNS,
                WorkloadsState.rows,
                paged=WorkloadsState,
                empty=empty_state(
                    "No PinApps", "No workload matches these filters.", icon="server"
                ),
                id="workloads-table",
            ),
            skeleton_rows(6),
        ),
        gap=4,
    )


def _entity_charts() -> rx.Component:
    """Live charts of one of the entity's PinApps; a picker when it has several."""
    ews = EntityWorkloadsState
    picker = rx.cond(
        ews.rows.length() > 1,
        rx.select.root(
            rx.select.trigger(),
            rx.select.content(
                rx.foreach(ews.rows, lambda r: rx.select.item(r["name"], value=r["key"]))
            ),
            value=ews.chart_app,
            on_change=ews.show_chart,
            size="1",
        ),
    )
    chart_box = {"flex": "1", "min_width": "320px"}
    return module(
        flex(
            rx.box(
                live_chart(ews.replicas_chart, "entity-chart-replicas"),
                **chart_box,
            ),
            rx.box(
                rx.cond(
                    ews.has_metrics_api,
                    live_chart(ews.usage_chart, "entity-chart-usage"),
                    callout(
                        "This cluster has no metrics API (metrics.k8s.io), so CPU and memory "
                        "cannot be shown.",
                        "info",
                    ),
                ),
                **chart_box,
            ),
            gap=4,
            wrap=True,
            align="start",
        ),
        title=rx.cond(ews.chart_app != "", "Live: " + ews.chart_app, "Live"),
        subtitle="Sampled every 5 seconds while the console runs; the last hour, times in UTC",
        icon="chart-line",
        actions=[picker],
    )


def entity_workloads_tab() -> rx.Component:
    """The Workloads tab body on entity pages (the tab shows only for annotated entities)."""
    return column(
        rx.cond(EntityWorkloadsState.error != "", callout(EntityWorkloadsState.error, "error")),
        rx.cond(EntityWorkloadsState.chart_app != "", _entity_charts()),
        rx.cond(
            EntityWorkloadsState.loaded,
            table(
                COLUMNS,
                EntityWorkloadsState.rows,
                empty=empty_state(
                    "No workloads found",
                    "No PinApp carries this entity's kubernetes-id or label selector.",
                    icon="server",
                ),
                id="entity-workloads-table",
            ),
            skeleton_rows(3),
        ),
        gap=4,
    )
