"""The console's own pages (home, design system) as a plugin like any other."""

from __future__ import annotations

from pinconsole.plugins import NavEntry, PageSpec, Plugin


def _pages() -> list[PageSpec]:
    # Pages and states are imported when the app is assembled, not when the plugin is loaded.
    from pinconsole.pages.design import design_page
    from pinconsole.pages.home import home_page
    from pinconsole.state.design import DesignState
    from pinconsole.state.home import HomeState

    return [
        PageSpec(
            route="/",
            title="Home",
            component=home_page,
            on_load=HomeState.load,
            nav=NavEntry("Home", "house", section="Explore", order=0),
        ),
        PageSpec(
            route="/design",
            title="Design system",
            component=design_page,
            on_load=DesignState.load,
            nav=NavEntry("Design system", "palette", section="Developer", order=900),
        ),
    ]


def plugin() -> Plugin:
    return Plugin(name="core", pages=_pages, description="Home and design system pages")
