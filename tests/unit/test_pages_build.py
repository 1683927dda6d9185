"""Every page and entity tab the plugins register builds its component tree (as Reflex does
when it compiles the app): a wrong prop or a var of the wrong type fails here in a second,
not only in the browser suite's production build."""

from __future__ import annotations

import pytest
import reflex as rx

from pinconsole.plugins import get_registry


def _pages() -> list[tuple[str, object]]:
    registry = get_registry()
    pages = [(p.route, p.component) for p in registry.pages]
    tabs = [(f"tab {t.label}", t.component) for t in registry.entity_tabs]
    return pages + tabs


@pytest.mark.parametrize(("where", "build"), _pages(), ids=[w for w, _ in _pages()])
def test_the_page_builds(where: str, build: object) -> None:
    component = build()  # type: ignore[operator]
    assert isinstance(component, rx.Component), where
    assert component.render()  # every prop is rendered, as the compiler does
