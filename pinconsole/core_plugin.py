"""The console's own pages (home, design, admin) registered like any plugin."""

from __future__ import annotations

import reflex as rx

from pinconsole.plugins import NavEntry, PageSpec, Plugin


def _home() -> rx.Component:
    return rx.text("Welcome to PinConsole")


plugin = Plugin(
    name="core",
    pages=[
        PageSpec(route="/", title="Home", component=_home, nav=NavEntry("Home", "house", order=0))
    ],
)
