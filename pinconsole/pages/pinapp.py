"""The PinApp page: header (with its catalog entity), figures and actions, then tabs: overview
(live charts with a time range, conditions, spec), pods, events, logs, the PinScaler and the
YAML; the tab and the range are in the URL. Layout only; ``PinAppState`` holds the data and
runs the live loops."""

from __future__ import annotations

import reflex as rx

from pinconsole.components import (
    Column,
    badge,
    button,
    callout,
    column,
    datapoint,
    empty_state,
    flex,
    heading,
    icon,
    link,
    module,
    skeleton_rows,
    status,
    table,
    text,
)
from pinconsole.components.charts import live_chart
from pinconsole.components.dialog import confirm_dialog
from pinconsole.components.tabs import Tab, tab_panel, tabs
from pinconsole.components.tokens import RADIUS
from pinconsole.pages.pinapp_logs import logs_panel
from pinconsole.state.pinapp import PinAppState
from pinconsole.state.pod_logs import PodLogsState

S = PinAppState
L = PodLogsState
RANGE_LABELS = [("15m", "15 min"), ("1h", "1 h"), ("6h", "6 h")]


def _header() -> rx.Component:
    return flex(
        column(
            heading(S.app["name"], level=1, id="pinapp-name"),
            text(
                S.app["cluster"],
                " / ",
                S.app["namespace"],
                " · ",
                S.app["service"],
                color="subtle",
                size="200",
            ),
            rx.cond(
                S.entity_url != "",
                link(
                    icon("library", size=14),
                    "Open ",
                    S.entity_ref,
                    " in the catalog",
                    href=S.entity_url,
                    size="1",
                    id="pinapp-entity",
                    display="inline-flex",
                    align_items="center",
                    gap="4px",
                ),
            ),
            gap=1,
        ),
        status(S.app["status_kind"], S.app["health"]),
        justify="between",
        align="start",
        wrap=True,
        gap=2,
    )


def _datapoints() -> rx.Component:
    return flex(
        datapoint("Ready", S.app["replicas_label"]),
        datapoint("Desired", S.app["desired"], id="desired"),
        datapoint("Updated", S.app["updated"]),
        datapoint("Pods", S.app["pods"]),
        datapoint("Restarts", S.app["restarts"]),
        datapoint("Tier", S.app["tier"]),
        gap=8,
        wrap=True,
    )


def _error(message: rx.Var, id: str) -> rx.Component:
    """An action's error; after a Conflict, a button that refills the forms with what the
    cluster holds now (the user's edits are dropped, nothing is written)."""
    return rx.cond(
        message != "",
        callout(
            message,
            "error",
            action=rx.cond(
                S.conflict,
                button("Reload", S.reload_forms, icon_start="refresh-cw", id=f"{id}-reload"),
            ),
            id=id,
        ),
    )


def _confirmed(action: str, trigger: rx.Component, *also: str) -> rx.Component:
    """``trigger`` (a button) asks to confirm ``action`` (or, resolved by the state, one of
    ``also``) in the one dialog the state fills."""
    shown = S.confirming == action
    for other in also:
        shown = shown | (S.confirming == other)
    return confirm_dialog(
        trigger,
        open=shown,
        on_open_change=lambda open: S.confirm_open_change(action, open),
        on_cancel=S.confirm_open_change(action, False),
        on_confirm=S.confirm,
        title=S.confirm_title,
        lines=S.confirm_lines,
        confirm_label=S.confirm_label,
        busy=S.confirm_busy,
        id=f"confirm-{action}",
    )


def _scaler_hint() -> rx.Component:
    return rx.cond(
        S.scaler.length() > 0,  # type: ignore[attr-defined]
        text(
            "PinScaler ",
            S.scaler["name"],
            " owns the replica count between ",
            S.scaler["min"],
            " and ",
            S.scaler["max"],
            "; change its min/max below to go outside it.",
            size="100",
            color="subtle",
            id="scaler-hint",
        ),
    )


def _actions() -> rx.Component:
    paused = S.app["paused"] == "True"
    return module(
        rx.cond(
            S.can_act,
            column(
                flex(
                    rx.input(
                        value=S.replicas_input,
                        on_change=S.set_replicas_input,
                        type="number",
                        min=0,
                        width="90px",
                        aria_label="Replicas",
                        id="replicas-input",
                    ),
                    _confirmed(
                        "scale",
                        button("Scale", color="primary", icon_start="scaling", id="scale-button"),
                    ),
                    _confirmed(
                        "restart", button("Restart", icon_start="rotate-cw", id="restart-button")
                    ),
                    _confirmed(
                        "pause",
                        button(
                            rx.fragment(
                                rx.cond(
                                    paused, rx.icon("play", size=16), rx.icon("pause", size=16)
                                ),
                                rx.cond(paused, "Resume", "Pause"),
                            ),
                            id="pause-button",
                        ),
                        "resume",
                    ),
                    gap=2,
                    wrap=True,
                ),
                _scaler_hint(),
                text(
                    "Last restart: ",
                    rx.cond(S.restarted_at != "", S.restarted_at, "never"),
                    " · ",
                    rx.cond(paused, "paused: changes to its pods wait", "not paused"),
                    size="100",
                    color="subtle",
                    id="action-state",
                ),
                _error(S.action_error, "action-error"),
                gap=2,
            ),
            callout(
                "Only members of the team that owns this namespace (and admins) may scale, "
                "restart or pause it.",
                "info",
            ),
        ),
        title="Actions",
        icon="sliders-horizontal",
    )


def _range_picker() -> rx.Component:
    return rx.segmented_control.root(
        *[rx.segmented_control.item(label, value=value) for value, label in RANGE_LABELS],
        value=S.chart_range,
        on_change=S.set_range,
        size="1",
        id="chart-range",
        aria_label="Time range",
    )


def _charts() -> rx.Component:
    return module(
        flex(
            rx.box(
                live_chart(S.replicas_chart, "chart-replicas"),
                flex="1",
                min_width="min(320px, 100%)",
            ),
            rx.box(
                rx.cond(
                    S.has_metrics_api,
                    live_chart(S.usage_chart, "chart-usage"),
                    callout(
                        "This cluster has no metrics API (metrics.k8s.io), so CPU and memory "
                        "cannot be shown.",
                        "info",
                    ),
                ),
                flex="1",
                min_width="min(320px, 100%)",
            ),
            gap=4,
            wrap=True,
            align="start",
        ),
        title="Live",
        subtitle="Sampled every 5 seconds, older than an hour per minute; times in UTC. "
        "Requests and limits are one pod's times the pods desired.",
        icon="chart-line",
        actions=[_range_picker()],
    )


def _pod_name(row: rx.Var) -> rx.Component:
    """A button drawn as a link (the logs open on this page, in the Logs tab)."""
    return text(
        row["name"],
        color="link",
        on_click=[S.set_tab("logs"), L.open_logs(row["name"])],
        aria_label="Logs of " + row["name"],
        font_family="monospace",
        class_name="pc-pod-name",
    )


def _pod_phase(row: rx.Var) -> rx.Component:
    return flex(
        badge(row["phase"], rx.cond(row["ready"] == "True", "success", "warning")),
        rx.cond(row["reason"] != "", text(row["reason"], size="100", color="warning")),
        gap=1,
    )


POD_COLUMNS = [
    Column("name", "Pod (opens its logs)", render=_pod_name),
    Column("phase", "Phase", render=_pod_phase),
    Column("restarts", "Restarts", align="right", mono=True),
    Column("age", "Age", mono=True),
    Column("node", "Node", mono=True),
]

EVENT_COLUMNS = [
    Column(
        "type",
        "Type",
        render=lambda r: badge(r["type"], rx.cond(r["type"] == "Warning", "warning", "neutral")),
    ),
    Column("reason", "Reason"),
    Column("object", "Object", mono=True),
    Column("message", "Message"),
    Column("age", "Age", mono=True),
]

SCHEDULE_COLUMNS = [
    Column("name", "Schedule"),
    Column("cron", "Cron", mono=True),
    Column("duration", "Duration", mono=True),
    Column("min", "Min replicas", align="right", mono=True),
]

CONDITION_COLUMNS = [
    Column("type", "Condition"),
    Column("status", "Status"),
    Column("reason", "Reason"),
    Column("message", "Message"),
]


def _scaler() -> rx.Component:
    return module(
        rx.cond(
            S.scaler.length() > 0,  # type: ignore[attr-defined]
            column(
                flex(
                    datapoint("Min", S.scaler["min"]),
                    datapoint("Max", S.scaler["max"]),
                    datapoint("Current", S.scaler["current"]),
                    datapoint("Desired", S.scaler["desired"]),
                    datapoint("Cooldown (s)", S.scaler["cooldown"]),
                    gap=8,
                    wrap=True,
                ),
                text(
                    "Targets: ",
                    S.scaler["metrics"],
                    " · last scaled ",
                    S.scaler["last_scale"],
                    size="100",
                    color="subtle",
                ),
                table(
                    SCHEDULE_COLUMNS,
                    S.scaler_schedules,
                    dense=True,
                    empty=empty_state("No schedules", compact=True),
                    id="schedules-table",
                ),
                rx.cond(
                    S.can_act,
                    column(
                        flex(
                            rx.input(
                                value=S.scaler_min,
                                on_change=S.set_scaler_min,
                                type="number",
                                width="90px",
                                id="scaler-min",
                            ),
                            rx.input(
                                value=S.scaler_max,
                                on_change=S.set_scaler_max,
                                type="number",
                                width="90px",
                                id="scaler-max",
                            ),
                            button("Save min/max", S.save_scaler, id="scaler-save"),
                            gap=2,
                        ),
                        text(
                            "Schedules (YAML: cron, duration, minReplicas)",
                            size="100",
                            color="subtle",
                        ),
                        rx.text_area(
                            value=S.schedules_text,
                            on_change=S.set_schedules_text,
                            rows="6",
                            font_family="monospace",
                            id="schedules",
                        ),
                        rx.box(button("Save schedules", S.save_schedules, id="schedules-save")),
                        _error(S.scaler_error, "scaler-error"),
                        gap=2,
                    ),
                ),
                gap=3,
            ),
            empty_state(
                "No PinScaler", "This PinApp has a fixed replica count.", icon="gauge", compact=True
            ),
        ),
        title="PinScaler",
        icon="gauge",
    )


def _yaml_block(text_var: rx.Var, label: str, height: str) -> rx.Component:
    """A YAML listing that scrolls: the box scrolls (long lines wrap), reachable by the keyboard
    and named, in a theme whose colours meet WCAG AA in both the light and the dark theme."""
    return rx.box(
        rx.code_block(
            text_var,
            language="yaml",
            theme=rx.code_block.themes.a11y_dark,
            wrap_long_lines=True,
            margin="0",
        ),
        max_height=height,
        overflow_y="auto",
        border_radius=RADIUS["md"],
        tab_index=0,
        role="region",
        aria_label=label,
    )


def _yaml() -> rx.Component:
    return module(
        column(
            _yaml_block(S.yaml_text, "PinApp YAML", "480px"),
            rx.cond(
                S.scaler_yaml != "",
                column(
                    text("PinScaler", size="100", color="subtle"),
                    _yaml_block(S.scaler_yaml, "PinScaler YAML", "360px"),
                    gap=1,
                ),
            ),
            gap=3,
        ),
        title="YAML",
        icon="file-code",
    )


def _tab_bar() -> rx.Component:
    return tabs(
        [
            Tab("overview", "Overview", icon="chart-line"),
            Tab("pods", "Pods", icon="boxes", count=S.pods.length()),  # type: ignore[attr-defined]
            Tab("events", "Events", icon="bell", count=S.events.length()),  # type: ignore[attr-defined]
            Tab("logs", "Logs", icon="scroll-text"),
            Tab("scaler", "Scaler", icon="gauge"),
            Tab("yaml", "YAML", icon="file-code"),
        ],
        S.tab,
        S.set_tab,
        id="pinapp-tabs",
    )


def _overview() -> rx.Component:
    return column(
        _charts(),
        module(
            table(CONDITION_COLUMNS, S.conditions, dense=True),
            title="Conditions",
            icon="list-checks",
        ),
        module(
            table(
                [Column("field", "Field"), Column("value", "Value", mono=True)],
                S.spec_rows,
                dense=True,
            ),
            title="Spec",
            icon="settings",
        ),
        gap=4,
    )


def _pods() -> rx.Component:
    return module(
        table(POD_COLUMNS, S.pods, dense=True, id="pods-table"),
        title="Pods",
        icon="boxes",
    )


def _events() -> rx.Component:
    return module(
        table(
            EVENT_COLUMNS,
            S.events,
            dense=True,
            empty=empty_state("No events", compact=True),
            id="events-table",
        ),
        title="Recent events",
        icon="bell",
    )


def pinapp_page() -> rx.Component:
    return rx.cond(
        S.loaded,
        rx.cond(
            S.error != "",
            callout(S.error, "error", title="PinApp unavailable"),
            column(
                rx.foreach(S.stale, lambda note: callout(note, "warning", title="Stale")),
                _header(),
                _datapoints(),
                _actions(),
                _tab_bar(),
                tab_panel(
                    rx.match(
                        S.tab,
                        ("pods", _pods()),
                        ("events", _events()),
                        ("logs", logs_panel()),
                        ("scaler", _scaler()),
                        ("yaml", _yaml()),
                        _overview(),
                    ),
                    tabs_id="pinapp-tabs",
                    value=S.tab,
                    width="100%",
                ),
                gap=4,
            ),
        ),
        skeleton_rows(6),
    )
