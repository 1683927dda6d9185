"""The PinApp page's logs panel: one pod's (or container's) lines, search and follow.

Layout only; ``PodLogsState`` holds the lines and runs the follow loop."""

from __future__ import annotations

import reflex as rx

from pinconsole.components import button, callout, column, flex, module
from pinconsole.components.tokens import COLOR, RADIUS, space
from pinconsole.state.pod_logs import PodLogsState

L = PodLogsState


def logs_panel() -> rx.Component:
    return rx.cond(
        L.log_pod != "",
        module(
            column(
                flex(
                    rx.select(
                        L.log_containers,
                        value=L.log_container,
                        on_change=L.set_log_container,
                        size="2",
                    ),
                    rx.select(
                        ["50", "200", "1000", "5000"],
                        value=L.log_tail,
                        on_change=L.set_log_tail,
                        size="2",
                    ),
                    rx.input(
                        placeholder="Search",
                        value=L.log_search,
                        on_change=L.set_log_search,  # no debounce: live re-renders remount it
                        width="220px",
                        id="log-search",
                    ),
                    button(
                        rx.cond(L.following, "Stop following", "Follow"),
                        L.toggle_follow,
                        icon_start="radio",
                        id="follow-button",
                    ),
                    button("Close", L.close_logs, color="transparent"),
                    gap=2,
                    wrap=True,
                ),
                rx.cond(L.log_error != "", callout(L.log_error, "error")),
                # column-reverse keeps the scroll position at the newest line while lines are
                # appended (following), as a terminal does; scrolling up still reads back.
                rx.box(
                    rx.box(
                        rx.foreach(L.log_lines, lambda line: rx.text(line, as_="div")),
                        id="log-lines",
                    ),
                    display="flex",
                    flex_direction="column-reverse",
                    font_family="monospace",
                    font_size="12px",
                    white_space="pre",
                    overflow="auto",
                    max_height="420px",
                    padding=space(3),
                    background=COLOR["surface_subtle"],
                    border_radius=RADIUS["sm"],
                    id="log-scroll",
                ),
                gap=2,
            ),
            title=rx.cond(L.log_pod != "", "Logs: " + L.log_pod, "Logs"),
            icon="scroll-text",
        ),
    )
