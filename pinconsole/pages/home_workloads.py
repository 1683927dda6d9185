"""The compute plugin's home module: each of my services with the health of its PinApps."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pinconsole import components as c
from pinconsole.components.tokens import COLOR, space
from pinconsole.state.home_workloads import HomeWorkloadsState


def _app(app: Any) -> rx.Component:
    return c.flex(
        c.status(app.kind, app.label),
        c.link(app.name, href=app.url, font_weight="600"),
        c.text(app.replicas, size="100", color="subtle", white_space="nowrap"),
        rx.cond(
            app.restarts != "0",
            c.text(app.restarts, " restarts", size="100", color="subtle", white_space="nowrap"),
        ),
        gap=3,
        wrap=True,
        align="center",
    )


def _service(service: Any) -> rx.Component:
    return c.flex(
        c.column(
            c.link(service.title, href=service.url, color="default", font_weight="600"),
            c.status(service.kind, service.label, size="100"),
            gap=1,
            min_width="180px",
            flex="0 0 200px",
        ),
        rx.cond(
            service.apps.length() > 0,
            c.column(rx.foreach(service.apps, _app), gap=2, flex="1", min_width="0"),
            c.text("No workloads", size="100", color="subtle", flex="1"),
        ),
        gap=4,
        wrap=True,
        padding_y=space(3),
        border_top=f"1px solid {COLOR['border_subtle']}",
        width="100%",
        class_name="pc-service-health",
        custom_attrs={"data-health": service.health},
    )


def home_workloads_module() -> rx.Component:
    """ "Workload health": worst services first; a crash-looping PinApp reads red."""
    body = rx.cond(
        HomeWorkloadsState.error != "",
        c.callout(HomeWorkloadsState.error, "error"),
        rx.cond(
            HomeWorkloadsState.services.length() > 0,
            c.column(rx.foreach(HomeWorkloadsState.services, _service), gap=0, width="100%"),
            c.empty_state(
                "No services yet",
                "The PinApps of the services you and your teams own show up here.",
                icon="server",
                compact=True,
            ),
        ),
    )
    return c.module(
        rx.cond(HomeWorkloadsState.loaded, body, c.skeleton_rows(3)),
        title="Workload health",
        subtitle="The PinApps of my services, live",
        icon="activity",
        on_mount=HomeWorkloadsState.load,
        id="home-workload-health",
        grid_column=rx.breakpoints(initial="auto", lg="span 2"),
    )
