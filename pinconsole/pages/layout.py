"""The one layout that wraps every page: side navigation, top bar, breadcrumbs, title.

``shell(page)`` is what ``app.add_page`` receives. Navigation, the active item and the
breadcrumbs are computed from the plugin registry when the page is built, so a plugin's page
gets the same shell as the built-ins without doing anything. It lives with the pages, not in
``components/``: it reads the signed-in user and the search state, and components never import a
State.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import reflex as rx

from pinconsole import components as c
from pinconsole.components.navigation import NavItem, NavSection
from pinconsole.components.search_field import search_field, search_results
from pinconsole.components.tokens import (
    COLOR,
    CONTENT_MAX_WIDTH,
    RADIUS,
    SHADOW,
    SIDEBAR_WIDTH,
    TOPBAR_HEIGHT,
    space,
)
from pinconsole.pages.errors import NOT_FOUND_TITLE, administrators_only, checking_sign_in
from pinconsole.pages.errors import not_found_page as _not_found_body
from pinconsole.plugins import PageSpec, get_registry
from pinconsole.state.base import PUBLIC_ROUTES, AppState
from pinconsole.state.search import MAX_QUERY, SearchState

# Nav sections in this order; sections nobody listed follow alphabetically.
SECTION_ORDER = ("Explore", "Build", "Operate", "Teams", "Admin", "Developer")
_DYNAMIC = re.compile(r"^\[+\.*([^\]]+)\]+$")
SEARCH_INPUT_ID = "pc-global-search"


# ---------------------------------------------------------------- pure helpers (tested)


def nav_sections(pages: list[PageSpec]) -> list[NavSection]:
    """Group nav pages by section, in ``SECTION_ORDER``, each already sorted by order."""
    groups: dict[str, list[NavItem]] = {}
    for p in pages:
        if p.nav is None:
            continue
        item = NavItem(p.nav.label, p.route, p.nav.icon, admin_only=p.admin_only)
        groups.setdefault(p.nav.section, []).append(item)
    known = [s for s in SECTION_ORDER if s in groups]
    rest = sorted(s for s in groups if s not in SECTION_ORDER)
    return [NavSection(s, groups[s]) for s in known + rest]


def active_href(route: str, hrefs: list[str]) -> str | None:
    """The nav href for ``route``: equal, else the longest href that is a path prefix."""
    if route in hrefs:
        return route
    best: str | None = None
    for href in hrefs:
        inside = href != "/" and route.startswith(href.rstrip("/") + "/")
        if inside and (best is None or len(href) > len(best)):
            best = href
    return best


def _segment_label(segment: str) -> str:
    return segment.replace("-", " ").replace("_", " ").capitalize()


def breadcrumb_items(route: str, pages: list[PageSpec]) -> list[tuple[Any, str | None]]:
    """``/catalog/[kind]/[name]`` -> Home, Catalog (link if a page), <kind>, <name>.

    Dynamic segments show the browser URL's value at that position.
    """
    titles = {p.route: p.title for p in pages}
    items: list[tuple[Any, str | None]] = [("Home", "/")]
    if route in ("", "/"):
        return items
    segments = [s for s in route.strip("/").split("/") if s]
    for i, segment in enumerate(segments):
        prefix = "/" + "/".join(segments[: i + 1])
        if _DYNAMIC.match(segment):
            label: Any = rx.State.router.url.path.split("/")[i + 1]
            items.append((label, None))
            continue
        href = prefix if prefix in titles else None
        items.append((titles.get(prefix) or _segment_label(segment), href))
    return items


def is_dynamic(route: str) -> bool:
    return any(_DYNAMIC.match(s) for s in route.strip("/").split("/") if s)


# ---------------------------------------------------------------- pieces


def _brand() -> rx.Component:
    return rx.link(
        c.flex(
            rx.image(src="/logo.svg", width="32px", height="32px", alt=""),
            c.text("PinConsole", size="300", weight="bold", letter_spacing="-0.01em"),
            gap=2.5,
        ),
        href="/",
        underline="none",
        color=COLOR["text"],
        padding_x=space(3),
    )


def _navigation(active: str | None) -> rx.Component:
    registry = get_registry()
    footer = c.text(
        f"{len(registry.plugins)} plugins loaded",
        size="100",
        color="subtle",
        padding_x=space(3),
    )
    return c.side_navigation(
        nav_sections(registry.nav),
        active or "",
        header=_brand(),
        footer=footer,
        is_admin=AppState.is_admin,
    )


def _mobile_navigation(active: str | None) -> rx.Component:
    """Below the md breakpoint the rail is hidden; a menu button opens it as a drawer."""
    return rx.box(
        rx.drawer.root(
            rx.drawer.trigger(
                rx.icon_button(
                    rx.icon("menu", size=20),
                    variant="ghost",
                    color_scheme="gray",
                    high_contrast=True,
                    radius="full",
                    size="2",
                    aria_label="Open navigation",
                )
            ),
            rx.drawer.overlay(z_index="40"),
            rx.drawer.portal(
                rx.drawer.content(
                    _navigation(active),
                    top="0",
                    left="0",
                    height="100%",
                    width="280px",
                    padding=space(4),
                    background=COLOR["surface"],
                    z_index="50",
                )
            ),
            direction="left",
        ),
        display=rx.breakpoints(initial="block", md="none"),
    )


def _sidebar(active: str | None) -> rx.Component:
    return rx.box(
        _navigation(active),
        position="fixed",
        top="0",
        bottom="0",
        left="0",
        width=SIDEBAR_WIDTH,
        padding=space(4),
        padding_top=space(4),
        background=COLOR["surface"],
        border_right=f"1px solid {COLOR['border_subtle']}",
        display=rx.breakpoints(initial="none", md="block"),
        z_index="20",
    )


def _search() -> rx.Component:
    return rx.box(
        search_field(
            SearchState.query,
            SearchState.set_query.debounce(150),  # type: ignore[attr-defined]
            placeholder="Search services, APIs, teams, people",
            max_length=MAX_QUERY,
            on_key_down=SearchState.key_down,
            on_focus=SearchState.focus,
            on_blur=SearchState.close,
            on_clear=SearchState.clear,
            id=SEARCH_INPUT_ID,
            width="100%",
        ),
        search_results(
            SearchState.results,
            open=SearchState.open,
            highlighted=SearchState.highlighted,
            on_select=SearchState.select,
            empty_text=rx.cond(
                SearchState.query != "",
                "No matches for \u201c" + SearchState.query + "\u201d",
                "Type to search",
            ),
        ),
        # "/" focuses the search box from anywhere (unless typing in a field).
        rx.script(
            "document.addEventListener('keydown', (e) => {"
            " if (e.key !== '/' || e.metaKey || e.ctrlKey) return;"
            " const t = e.target; if (t && (t.isContentEditable ||"
            " ['INPUT','TEXTAREA','SELECT'].includes(t.tagName))) return;"
            f" const el = document.getElementById('{SEARCH_INPUT_ID}');"
            " if (el) { e.preventDefault(); el.focus(); } });"
        ),
        position="relative",
        width="100%",
        max_width="560px",
    )


def _theme_toggle() -> rx.Component:
    return c.icon_button(
        rx.color_mode_cond(rx.icon("moon", size=18), rx.icon("sun", size=18)),
        rx.toggle_color_mode,
        label="Toggle light/dark theme",
    )


def _sign_out_event() -> Any:
    handler = getattr(AppState, "sign_out", None)
    return handler if handler is not None else rx.redirect("/signin")


def _user_menu() -> rx.Component:
    name = rx.cond(AppState.display_name != "", AppState.display_name, AppState.user_name)
    signed_in_menu = rx.menu.root(
        rx.menu.trigger(
            rx.el.button(
                c.flex(
                    rx.box(c.avatar(name, size="sm", color="red"), aria_hidden="true"),
                    c.text(
                        name,
                        size="200",
                        weight="semibold",
                        truncate=True,
                        max_width="160px",
                        display=rx.breakpoints(initial="none", sm="block"),
                    ),
                    rx.icon("chevron-down", size=16, color=COLOR["text_subtle"]),
                    c.visually_hidden(", user menu"),  # the name comes from what is shown
                    gap=2,
                ),
                background="transparent",
                border="none",
                cursor="pointer",
                padding=space(1),
                padding_right=space(2),
                border_radius="9999px",
                color=COLOR["text"],
                _hover={"background": COLOR["surface_subtle"]},
            )
        ),
        rx.menu.content(
            c.column(
                c.text(name, weight="bold"),
                c.text(AppState.user_name, size="100", color="subtle"),
                rx.cond(AppState.is_admin, c.badge("Administrator", "recommendation")),
                gap=1,
                align="start",
                padding=space(2),
            ),
            rx.menu.separator(),
            rx.menu.item(
                c.flex(
                    rx.color_mode_cond(rx.icon("moon", size=16), rx.icon("sun", size=16)),
                    rx.color_mode_cond("Dark theme", "Light theme"),
                ),
                on_click=rx.toggle_color_mode,
            ),
            rx.menu.item(
                c.flex(rx.icon("log-out", size=16), "Sign out"),
                on_click=_sign_out_event(),
                color="red",
            ),
            align="end",
            min_width="220px",
        ),
    )
    return rx.cond(
        AppState.signed_in,
        signed_in_menu,
        c.button("Sign in", href="/signin", color="red", size="sm", icon_start="log-in"),
    )


def _top_bar(active: str | None) -> rx.Component:
    return rx.flex(
        c.flex(_mobile_navigation(active), _search(), gap=2, flex="1", min_width="0"),
        c.flex(_theme_toggle(), _user_menu(), gap=2),
        align="center",
        justify="between",
        gap=space(4),
        height=TOPBAR_HEIGHT,
        padding_x=rx.breakpoints(initial=space(4), md=space(8)),
        position="sticky",
        top="0",
        z_index="10",
        background=COLOR["surface"],
        border_bottom=f"1px solid {COLOR['border_subtle']}",
    )


def outage_banner() -> rx.Component:
    """Over every page while the database or Redis was unavailable at the last try (the state's
    ``outage``, lowered by the next call that works); a lost websocket is Reflex's own toast."""
    return rx.cond(
        AppState.outage != "",
        c.callout(AppState.outage, "warning", title="PinConsole cannot reach its data"),
    )


def _page_header(page: PageSpec, pages: list[PageSpec]) -> rx.Component | None:
    if page.route == "/":
        return None
    if page.route == NOT_FOUND_ROUTE:  # no address of its own: Home, then what it is
        crumbs = c.breadcrumbs([("Home", "/"), (page.title, None)])
        return c.column(crumbs, c.heading(page.title, level=1, size="500"), gap=2)
    crumbs = c.breadcrumbs(breadcrumb_items(page.route, pages))
    if is_dynamic(page.route):  # the page shows its own title (an entity's name)
        return crumbs
    return c.column(crumbs, c.heading(page.title, level=1, size="500"), gap=2)


# ---------------------------------------------------------------- the shell

NOT_FOUND_ROUTE = "404"  # Reflex's route for every address no page has
NOT_FOUND = PageSpec(route=NOT_FOUND_ROUTE, title=NOT_FOUND_TITLE, component=_not_found_body)


def _body(page: PageSpec) -> rx.Component:
    """The page, once the backend said who is signed in (a signed-out visitor is on the way to
    the sign-in page, and a prerendered page would show its defaults: "Good evening, there");
    on an admin page, "administrators only" for everyone else."""
    body = page.component()
    if page.route in PUBLIC_ROUTES:
        return body
    if page.admin_only:
        body = rx.cond(AppState.is_admin, body, administrators_only(page.title))
    return rx.cond(AppState.signed_in, body, checking_sign_in())


MAIN_ID = "main-content"


def _skip_link() -> rx.Component:
    """The first stop of the Tab key: past the navigation to the page's content, shown only
    while it has the focus."""
    return rx.el.a(
        "Skip to content",
        href=f"#{MAIN_ID}",
        class_name="pc-skip-link",
        position="fixed",
        top=space(2),
        left=space(2),
        z_index="100",
        padding_x=space(3),
        padding_y=space(2),
        border_radius=RADIUS["md"],
        background=COLOR["surface"],
        color=COLOR["text"],
        box_shadow=SHADOW["floating"],
        transform="translateY(-200%)",
        _focus={"transform": "none"},
        # The router would take the fragment for a navigation: move the focus ourselves.
        on_click=rx.call_script(f"document.getElementById('{MAIN_ID}').focus()").prevent_default,
    )


def shell(page: PageSpec) -> Callable[[], rx.Component]:
    """Wrap ``page.component()`` in the app layout (what ``app.add_page`` receives)."""

    def render() -> rx.Component:
        registry = get_registry()
        pages = registry.pages
        active = active_href(page.route, [p.route for p in registry.nav])
        body = _body(page)
        header = _page_header(page, pages)
        content = [outage_banner(), *([header] if header is not None else []), body]
        return rx.box(
            _skip_link(),
            _sidebar(active),
            rx.box(
                _top_bar(active),
                rx.el.main(
                    c.column(*content, gap=6),
                    id=MAIN_ID,
                    tab_index=-1,  # the skip link moves the focus here
                    max_width=CONTENT_MAX_WIDTH,
                    margin_x="auto",
                    padding_x=rx.breakpoints(initial=space(4), md=space(8)),
                    padding_y=space(8),
                    width="100%",
                ),
                margin_left=rx.breakpoints(initial="0", md=SIDEBAR_WIDTH),
                min_height="100vh",
            ),
            background=COLOR["background"],
            min_height="100vh",
            color=COLOR["text"],
        )

    render.__name__ = f"page_{re.sub(r'[^0-9a-zA-Z]+', '_', page.route).strip('_') or 'index'}"
    return render
