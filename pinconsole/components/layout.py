"""The one layout that wraps every page (placeholder until the shell lands)."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from pinconsole.plugins import PageSpec


def shell(page: PageSpec) -> Callable[[], rx.Component]:
    def render() -> rx.Component:
        return rx.box(rx.heading(page.title), page.component())

    return render
