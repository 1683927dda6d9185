"""Assembles the app: pages from the plugin registry, the REST API and background jobs."""

from __future__ import annotations

import reflex as rx

from pinconsole.api.app import create_api
from pinconsole.components.theme import GLOBAL_STYLE
from pinconsole.jobs import run_scheduler
from pinconsole.pages.layout import NOT_FOUND, shell
from pinconsole.plugins import get_registry
from pinconsole.state.base import AppState, guarded_on_load, refuse_unsafe_auth
from pinconsole.state.guard import backend_error

# In every page's head: the SVG for browsers that take one, the ICO for the rest (and for
# clients that ask /favicon.ico without reading the page).
FAVICONS = [
    rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml"),
    rx.el.link(rel="icon", href="/favicon.ico", sizes="32x32"),
]


def create_app() -> rx.App:
    registry = get_registry()
    refuse_unsafe_auth()
    app = rx.App(
        style=GLOBAL_STYLE,
        api_transformer=create_api(registry),
        backend_exception_handler=backend_error,  # outages said as such (state/guard.py)
        head_components=FAVICONS,
    )
    for page in registry.pages:
        app.add_page(
            shell(page),
            route=page.route,
            title=f"{page.title} · PinConsole",
            on_load=guarded_on_load(page.route, page.on_load, admin_only=page.admin_only),
        )
    # Any other address: the console's own page, in the shell, for signed-in people only.
    app.add_page(
        shell(NOT_FOUND),
        route=NOT_FOUND.route,
        title=f"{NOT_FOUND.title} · PinConsole",
        on_load=AppState.ensure_signed_in,
    )
    app.register_lifespan_task(run_scheduler)
    return app


app = create_app()
