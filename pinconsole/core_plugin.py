"""The console's own pages (home, design, admin) registered like any plugin.

Other features may append their ``PageSpec`` to ``PAGES``; keep it a plain list.
"""

from __future__ import annotations

from pinconsole.pages.design import design_page
from pinconsole.pages.home import home_page
from pinconsole.plugins import NavEntry, PageSpec, Plugin
from pinconsole.state.design import DesignState
from pinconsole.state.home import HomeState

PAGES: list[PageSpec] = [
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

plugin = Plugin(name="core", pages=PAGES, description="Home, design system and admin pages")
