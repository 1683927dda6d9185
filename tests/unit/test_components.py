"""The design system and the shell: components compile to the JSX we expect, wired to state.

Components are rendered with ``str(component)`` (the JSX Reflex compiles), so the tests see the
real event wiring (which handler, which argument) and the real Var expressions.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import reflex as rx

from pinconsole import components as c
from pinconsole.components import tokens
from pinconsole.pages import layout
from pinconsole.plugins import NavEntry, PageSpec


class TableState(rx.State):
    """A page state as a feature would write it: one page of rows, sort and page events."""

    rows: list[dict[str, str]] = []
    grid: list[list[str]] = []
    sort_by: str = "name"
    sort_desc: bool = False
    has_prev: bool = False
    has_next: bool = True
    tab: str = "overview"
    kind: str = "ok"
    trend: float = 0.0
    person: str = ""

    @rx.event
    def sort(self, key: str) -> None:
        self.sort_desc = not self.sort_desc if key == self.sort_by else False
        self.sort_by = key

    @rx.event
    def prev_page(self) -> None:
        pass

    @rx.event
    def next_page(self) -> None:
        pass

    @rx.event
    def set_tab(self, value: str) -> None:
        self.tab = value

    @rx.event
    def open_row(self, url: str) -> None:
        pass


def js(component: rx.Component) -> str:
    return str(component)


def _events(code: str, handler: str) -> list[str]:
    """The payload of every ReflexEvent that calls ``handler`` (e.g. ``table_state.sort``)."""
    return re.findall(rf'ReflexEvent\("[^"]*{re.escape(handler)}", (\(\{{.*?\}}\))', code)


# ---------------------------------------------------------------- table


def _table(**kw: object) -> str:
    columns = [
        c.Column("name", "Name", sortable=True),
        c.Column("owner", "Owner", sortable=True),
        c.Column("note", "Note"),
    ]
    return js(
        c.table(
            columns,
            TableState.rows,
            sort_by=TableState.sort_by,
            sort_desc=TableState.sort_desc,
            on_sort=TableState.sort,
            **kw,  # type: ignore[arg-type]
        )
    )


def test_sortable_headers_send_their_column_key() -> None:
    code = _table()
    payloads = _events(code, "table_state.sort")
    assert payloads == ['({ ["key"] : "name" })', '({ ["key"] : "owner" })']
    # the non-sortable column is a plain header: no button, no sort event
    assert code.count("pc-sort-button") == 2
    assert '"Note"' in code


def test_sort_direction_is_announced_and_drawn_from_state() -> None:
    code = _table()
    assert 'sort_by_rx_state_?.valueOf?.() === "name"' in code
    assert "aria-sort" in code and '"descending"' in code and '"ascending"' in code
    assert "LucideArrowDown" in code and "LucideArrowUp" in code
    assert "LucideChevronsUpDown" in code  # idle columns show the neutral affordance


def test_rows_come_from_the_state_var_and_cells_by_key() -> None:
    code = _table()
    assert "rows_rx_state_ ?? []" in code  # rx.foreach over the state's page of rows
    assert '?.["name"]' in code and '?.["owner"]' in code


def test_rows_as_lists_are_indexed_by_position() -> None:
    code = js(c.table([c.Column(0, "Name"), c.Column(1, "Owner")], TableState.grid))
    assert "grid_rx_state_" in code
    assert "?.at?.(0)" in code or "?.[0]" in code
    assert "?.at?.(1)" in code or "?.[1]" in code


def test_empty_state_replaces_the_grid_when_there_are_no_rows() -> None:
    code = _table(empty=c.empty_state("No services yet", "Register one.", icon="boxes"))
    assert "rows_rx_state_.length > 0" in code
    assert "No services yet" in code and "LucideBoxes" in code


def test_pagination_is_wired_to_page_handlers_and_flags() -> None:
    code = _table(
        on_prev=TableState.prev_page,
        on_next=TableState.next_page,
        has_prev=TableState.has_prev,
        has_next=TableState.has_next,
        page_label="51-100 of 2,314",
    )
    assert _events(code, "table_state.prev_page") and _events(code, "table_state.next_page")
    assert "disabled:!(reflex___state" in code and "has_prev_rx_state_" in code
    assert "has_next_rx_state_" in code
    assert "51-100 of 2,314" in code


def test_no_paging_controls_without_page_handlers() -> None:
    assert "pc-pagination" not in _table()


def test_row_click_passes_the_row_value() -> None:
    code = js(
        c.table(
            [c.Column("name", "Name")],
            TableState.rows,
            on_row_click=lambda row: TableState.open_row(row["url"]),
        )
    )
    (payload,) = _events(code, "table_state.open_row")
    assert '["url"]' in payload


def test_sort_handler_flips_direction_on_the_same_column() -> None:
    state = TableState(_reflex_internal_init=True)  # type: ignore[call-arg]
    state.sort("name")
    assert (state.sort_by, state.sort_desc) == ("name", True)
    state.sort("owner")
    assert (state.sort_by, state.sort_desc) == ("owner", False)


# ---------------------------------------------------------------- status, badge, datapoint


@pytest.mark.parametrize(
    ("kind", "color", "label"),
    [
        ("ok", "var(--grass-9)", "Healthy"),
        ("warning", "var(--amber-9)", "Warning"),
        ("critical", "var(--red-9)", "Critical"),
        ("unknown", "var(--gray-9)", "Unknown"),
        ("stale", "var(--gray-7)", "Stale"),
    ],
)
def test_status_kinds_have_their_color_and_default_label(kind: str, color: str, label: str) -> None:
    code = js(c.status(kind))
    assert color in code and f'"{label}"' in code and '"status"' in code


def test_status_from_a_var_matches_every_kind() -> None:
    code = js(c.status(TableState.kind))
    for kind in tokens.STATUS_KINDS:
        assert f'"{kind}"' in code
    assert "kind_rx_state_" in code


def test_badge_types_map_to_intent_scales() -> None:
    assert 'color:"amber"' in js(c.badge("Beta", "warning"))
    assert 'color:"red"' in js(c.badge("Gone", "error", solid=True))
    code = js(c.badge("x", TableState.kind))  # type from state
    assert '"grass"' in code and '"purple"' in code


def test_datapoint_trend_shows_direction_percentage_and_sentiment() -> None:
    up = js(c.datapoint("Deploys", "128", trend=12.5))
    assert "LucideArrowUp" in up and '"12.5%"' in up and tokens.COLOR["success_text"] in up
    down_good = js(c.datapoint("Latency", "84 ms", trend=-3.2, trend_sentiment="good"))
    assert "LucideArrowDown" in down_good and '"3.2%"' in down_good
    assert tokens.COLOR["success_text"] in down_good
    bad = js(c.datapoint("Errors", "0.4%", trend=8, trend_sentiment="bad"))
    assert tokens.COLOR["error_text"] in bad
    live = js(c.datapoint("Live", "1", trend=TableState.trend))
    assert "trend_rx_state_" in live and "LucideArrowDown" in live


# ---------------------------------------------------------------- avatar, tabs, buttons


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ada Lovelace", "AL"),
        ("grace.hopper", "GH"),
        ("Linus", "LI"),
        ("Jean-Luc Picard", "JP"),
        ("  ", "?"),
        ("", "?"),
    ],
)
def test_initials(name: str, expected: str) -> None:
    assert c.initials(name) == expected


def test_avatar_falls_back_to_initials_also_for_state_names() -> None:
    assert 'fallback:"AL"' in js(c.avatar("Ada Lovelace"))
    code = js(c.avatar(TableState.person))
    assert "person_rx_state_" in code and "toUpperCase" in code


def test_tabs_mark_the_selected_tab_and_report_changes() -> None:
    code = js(
        c.tabs(
            [c.Tab("overview", "Overview"), c.Tab("logs", "Logs", count="3")],
            TableState.tab,
            TableState.set_tab,
        )
    )
    assert _events(code, "table_state.set_tab") == [
        '({ ["value"] : "overview" })',
        '({ ["value"] : "logs" })',
    ]
    assert '"tablist"' in code and "aria-selected" in code
    assert 'tab_rx_state_?.valueOf?.() === "logs"' in code


def test_link_tabs_are_links() -> None:
    code = js(c.tabs([c.Tab("api", "API", href="/catalog/api/x")], "api"))
    assert '"/catalog/api/x"' in code and "ReflexEvent" not in code


def test_tabs_are_aria_tabs_with_a_roving_tabindex_and_one_labelled_panel() -> None:
    bar = js(c.tabs([c.Tab("overview", "Overview"), c.Tab("logs", "Logs")], "logs", id="t"))
    assert bar.count('role:"tab"') == 2 and 'id:"t-tab-logs"' in bar
    assert bar.count('"aria-controls":"t-panel"') == 2
    assert "tabIndex:-1" in bar and "tabIndex:0" in bar and "ArrowRight" in bar  # the key script
    panel = js(c.tab_panel("body", tabs_id="t", value=TableState.tab))
    assert 'role:"tabpanel"' in panel and 'id:"t-panel"' in panel and "tabIndex:0" in panel
    assert re.search(r'"aria-labelledby" ?: ?\("t-tab-" ?\+ ?[\w.]*\.tab_rx_state_\)', panel)


def test_no_control_nests_in_another() -> None:
    """A button with href is the link itself; a clickable text or tile is a button."""
    link_button = js(c.button("Browse", href="/catalog", icon_start="library"))
    assert "asChild:true" in link_button and link_button.count("RadixThemesButton") == 1
    assert "ReactRouterLink" in link_button
    assert "asChild:true" in js(c.icon_button("plus", href="/new", label="New"))
    pod = js(c.text("pod-1", on_click=TableState.prev_page, role="button"))
    assert pod.startswith('jsx("button"')
    assert 'role:"button"' not in pod and 'type:"button"' in pod
    tile = js(c.datapoint("Healthy", "3", on_click=TableState.prev_page, pressed=True))
    assert '"aria-pressed":true' in tile and 'type:"button"' in tile


def test_icon_button_requires_a_label_for_screen_readers() -> None:
    code = js(c.icon_button("pencil", TableState.prev_page, label="Edit"))
    assert '"aria-label":"Edit"' in code and "LucidePencil" in code
    with pytest.raises(TypeError):
        c.icon_button("pencil")  # type: ignore[call-arg]


def test_primary_button_is_not_the_error_colour_and_links_are_links() -> None:
    primary = js(c.button("Deploy", color="primary"))
    assert 'color:"iris"' in primary and 'variant:"solid"' in primary
    assert js(c.button("Deploy", color="red")) == primary  # the former name draws the same
    assert tokens.INTENT_SCALE["error"] != tokens.PRIMARY_SCALE
    assert tokens.COLOR["primary"] != tokens.COLOR["error"]
    assert '"/catalog"' in js(c.button("Browse", href="/catalog"))


def test_callout_types_have_roles_and_colors() -> None:
    assert '"alert"' in js(c.callout("Broken", "error")) and "var(--red-a3)" in js(
        c.callout("Broken", "error")
    )
    assert '"status"' in js(c.callout("FYI", "info"))


# ---------------------------------------------------------------- tokens


def test_spacing_is_a_4px_scale() -> None:
    assert tokens.space(1) == "4px" and tokens.space(4) == "16px" and tokens.space(0.5) == "2px"
    assert all(v == f"{k * 4}px" for k, v in tokens.SPACE.items())


def test_colors_are_theme_variables_so_dark_mode_works() -> None:
    literal = {k: v for k, v in tokens.COLOR.items() if not v.startswith("var(--")}
    assert literal == {"on_brand": "white"}


def test_box_and_flex_take_steps_not_pixels() -> None:
    code = js(c.box(c.text("x"), padding=4, rounding="lg", border=True))
    assert '["padding"] : "16px"' in code and '["borderRadius"] : "16px"' in code
    assert '["gap"] : "12px"' in js(c.flex(c.text("a"), gap=3))


# ---------------------------------------------------------------- shell helpers


def _page(route: str, title: str, section: str | None = None, order: int = 100) -> PageSpec:
    nav = NavEntry(title, "circle", section=section, order=order) if section else None
    return PageSpec(route=route, title=title, component=lambda: rx.fragment(), nav=nav)


def test_admin_pages_leave_the_rail_for_everyone_else() -> None:
    audit = PageSpec(
        route="/admin/audit",
        title="Audit",
        component=lambda: rx.fragment(),
        nav=NavEntry("Audit", "circle", section="Admin"),
        admin_only=True,
    )
    sections = layout.nav_sections([_page("/", "Home", "Explore"), audit])
    assert [i.admin_only for s in sections for i in s.items] == [False, True]

    def rendered(is_admin: bool) -> str:
        return str(c.side_navigation(sections, "/", is_admin=is_admin).render())

    assert "/admin/audit" in rendered(True) and "Admin" in rendered(True)
    assert "/admin/audit" not in rendered(False) and "Admin" not in rendered(False)
    assert '"/"' in rendered(False) or "'/'" in rendered(False)
    dynamic = str(c.side_navigation(sections, "/", is_admin=rx.Var("is_admin")).render())
    assert "/admin/audit" in dynamic and "is_admin" in dynamic  # rendered under a condition


def test_nav_sections_follow_the_fixed_order_then_alphabetical() -> None:
    pages = [
        _page("/design", "Design", "Developer"),
        _page("/", "Home", "Explore", order=0),
        _page("/zeta", "Zeta", "Zeta plugin"),
        _page("/admin/audit", "Audit", "Admin"),
        _page("/alpha", "Alpha", "Alpha plugin"),
        _page("/hidden", "Hidden"),
    ]
    sections = layout.nav_sections(pages)
    assert [s.label for s in sections] == [
        "Explore",
        "Admin",
        "Developer",
        "Alpha plugin",
        "Zeta plugin",
    ]
    assert [i.href for s in sections for i in s.items] == [
        "/",
        "/admin/audit",
        "/design",
        "/alpha",
        "/zeta",
    ]


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        ("/", "/"),
        ("/catalog", "/catalog"),
        ("/catalog/[kind]/[namespace]/[name]", "/catalog"),
        ("/catalogue", None),  # a prefix of the string but not of the path
        ("/admin/audit", "/admin/audit"),
        ("/admin/audit/[id]", "/admin/audit"),
        ("/unknown", None),  # "/" only matches home
    ],
)
def test_active_nav_item_is_the_longest_path_prefix(route: str, expected: str | None) -> None:
    hrefs = ["/", "/catalog", "/admin", "/admin/audit"]
    if route == "/unknown":
        hrefs = ["/"]
    assert layout.active_href(route, hrefs) == expected


def test_breadcrumbs_link_known_pages_and_read_dynamic_segments_from_the_url() -> None:
    pages = [_page("/", "Home"), _page("/catalog", "Software catalog")]
    items = layout.breadcrumb_items("/catalog/[kind]/[name]", pages)
    assert items[0] == ("Home", "/")
    assert items[1] == ("Software catalog", "/catalog")
    kind_label, kind_href = items[2]
    assert isinstance(kind_label, rx.Var) and kind_href is None
    assert "split" in str(kind_label) and "(2)" in str(kind_label)
    assert layout.breadcrumb_items("/admin/org-sync", pages)[1:] == [
        ("Admin", None),
        ("Org sync", None),
    ]
    assert layout.is_dynamic("/teams/[name]") and not layout.is_dynamic("/admin/audit")


def test_admin_only_pages_say_so_to_non_admins_and_wait_for_the_sign_in() -> None:
    page = PageSpec(
        route="/admin/secret", title="Secret", component=lambda: c.text("top secret"),
        admin_only=True,
    )  # fmt: skip
    code = js(layout.shell(page)())
    assert "is_admin_rx_state_" in code and "signed_in_rx_state_" in code
    assert "top secret" in code and "Administrators only" in code
    assert "Secret is a page for PinConsole" in code and "admin_group_rx_state_" in code
    assert "Checking your sign-in" in code  # until the backend said who this is


def test_shell_highlights_the_current_page_in_the_side_navigation() -> None:
    from pinconsole.plugins import get_registry

    design = next(p for p in get_registry().pages if p.route == "/design")
    code = js(layout.shell(design)())
    assert "pc-global-search" in code
    # the Main landmark (rail, and the same rail in the phone drawer) marks the design page
    # current; the page's own example navigation is another landmark
    assert code.count('"aria-label":"Main"') == 2
    assert '"aria-label":"Example navigation"' in code
    main_nav = code[code.index('"aria-label":"Main"') :]
    assert re.search(r'"aria-current":"page".{0,400}Design system', main_nav, re.S)


# ---------------------------------------------------------------- search and activity


def _search_state() -> object:
    from pinconsole.state.search import SearchState

    root = rx.State(_reflex_internal_init=True)  # type: ignore[call-arg]
    return root.get_substate(SearchState.get_full_name().split(".")[1:])


def test_search_keys_move_open_and_clear() -> None:
    s = _search_state()
    s.query, s.open = "pay", True  # type: ignore[attr-defined]
    s.results = [  # type: ignore[attr-defined]
        {"kind": "Team", "title": "Payments", "subtitle": "", "url": "/teams/payments"},
        {"kind": "Component", "title": "Payments API", "subtitle": "", "url": "/c/p"},
    ]
    s._key("ArrowDown")  # type: ignore[attr-defined]
    s._key("ArrowDown")  # type: ignore[attr-defined]
    assert s.highlighted == 1  # type: ignore[attr-defined]  # stops at the last result
    s._key("ArrowUp")  # type: ignore[attr-defined]
    assert s.highlighted == 0  # type: ignore[attr-defined]
    event = s._key("Enter")  # type: ignore[attr-defined]
    assert '"/teams/payments"' in str(event.args)
    assert (s.query, s.results, s.open) == ("", [], False)  # type: ignore[attr-defined]
    s.query, s.open = "x", True  # type: ignore[attr-defined]
    s._key("Escape")  # type: ignore[attr-defined]
    assert (s.query, s.open) == ("", False)  # type: ignore[attr-defined]


def test_search_rows_say_each_kind_once_with_its_count_and_end_with_see_all() -> None:
    from pinconsole.state.search import grouped_rows

    hits = [
        {"kind": "Component", "title": "orders-consumer", "subtitle": "service", "url": "/c/o"},
        {"kind": "Team", "title": "Consumer Apps", "subtitle": "", "url": "/teams/c"},
        {"kind": "Component", "title": "billing_consumer", "subtitle": "", "url": "/c/b"},
    ]
    rows = grouped_rows("consu & co", hits, {"Component": 26, "Team": 1}, 27)
    assert [(r["group"], r["count"], r["title"]) for r in rows] == [
        ("Component", "26", "orders-consumer"),
        ("", "", "billing_consumer"),  # groups in the order of their best hit
        ("Team", "1", "Consumer Apps"),
        ("", "", "See all 27 results in the catalog"),
    ]
    assert rows[-1]["more"] and rows[-1]["url"] == "/catalog?text=consu+%26+co"
    assert grouped_rows("x", [], {}, 0) == []


def test_time_ago_reads_like_a_person_wrote_it() -> None:
    from pinconsole.access.activity import time_ago

    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert time_ago(now - timedelta(seconds=5), now) == "just now"
    assert time_ago(now - timedelta(minutes=5), now) == "5 min ago"
    assert time_ago(now - timedelta(hours=3), now) == "3 h ago"
    assert time_ago(now - timedelta(days=2), now) == "2 d ago"
    assert time_ago(datetime(2026, 1, 5, 9, 0), now) == "Jan 5, 2026"  # naive = UTC


def test_recent_activity_is_newest_first(db: str) -> None:
    from pinconsole.access.activity import recent_activity
    from pinconsole.access.audit import record
    from pinconsole.db import session_scope
    from pinconsole.models import AuditEvent

    base = datetime(2026, 11, 1, tzinfo=UTC)
    with session_scope() as s:
        for i, action in enumerate(["catalog.import", "pinapp.scale", "token.create"]):
            s.add(
                AuditEvent(
                    at=base + timedelta(minutes=i),
                    actor="ada",
                    action=action,
                    target=f"component:default/svc-{i}",
                )
            )
    record(None, actor="linus", action="pinapp.delete", target="component:default/x",
           outcome="denied")  # fmt: skip
    items = recent_activity(3)
    assert [i["action"] for i in items] == ["pinapp.delete", "token.create", "pinapp.scale"]
    assert items[0]["outcome"] == "denied" and items[0]["ago"] == "just now"
    assert (items[1]["target_kind"], items[1]["target_name"]) == ("component", "svc-2")


# ---------------------------------------------------------------- home


def test_home_has_its_modules_with_empty_states_and_plugin_modules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pinconsole.pages.home import home_page
    from pinconsole.plugins import Plugin, get_registry

    extra = Plugin(
        name="test-home-module",
        home_modules=[lambda: c.module(c.text("deploys from a plugin"), title="Deploys")],
    )
    monkeypatch.setitem(get_registry().plugins, extra.name, extra)
    code = js(home_page())
    for title in ("My services", "My team", "Recent changes", "Failing checks"):
        assert f'"{title}"' in code
    for empty in ("No services yet", "No team yet", "No changes yet"):
        assert empty in code
    assert "deploys from a plugin" in code
    assert "loaded_rx_state_" in code  # skeletons until the backend answers


async def test_a_failing_home_read_is_an_error_message_not_an_empty_module() -> None:
    from pinconsole.pages.home import home_page
    from pinconsole.state.home import HomeState

    def broken() -> None:
        raise RuntimeError("database is locked")

    root = rx.State(_reflex_internal_init=True)  # type: ignore[call-arg]
    home = root.get_substate(HomeState.get_full_name().split(".")[1:])
    assert await home._read("Recent activity", lambda n: [n], 6) == ([6], "")
    value, error = await home._read("Recent activity", broken)
    assert value is None
    assert error == "Recent activity could not be loaded (RuntimeError: database is locked)"
    code = js(home_page())
    assert "load_errors_rx_state_" in code and "Something went wrong" in code


def test_design_page_shows_every_component_of_the_issue() -> None:
    from pinconsole.pages.design import design_page

    code = js(design_page())
    for module in (
        "Box and Flex",
        "Typography",  # text and heading
        "Button",  # and icon button
        "Badge and Status",
        "Datapoint",
        "Module and Empty state",
        "Table",
        "Tabs",
        "Navigation",  # side navigation, breadcrumbs, search field
        "Avatar",
        "Callout and Toast",
        "Color",
        "Spacing and radius",
    ):
        assert f'"{module}"' in code, module
    for variant in ("transparent", "secondary", "elevated", "selected", "justify=between, gap=2"):
        assert variant in code, variant


def test_home_offers_the_audit_log_link_to_administrators_only() -> None:
    from pinconsole.pages.home import _recent_changes

    code = js(_recent_changes())
    link = code.index("Open the audit log")
    assert "is_admin_rx_state_" in code[:link], "the audit link must sit behind is_admin"
