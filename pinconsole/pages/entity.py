"""Entity page ``/catalog/[kind]/[namespace]/[name]``: overview with scorecard (a person's
profile for a User), relations (lists and a small graph), the API definition and the tabs
plugins contribute; the open tab is the URL's ``?tab=``."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pinconsole.components import (
    Tab,
    badge,
    box,
    callout,
    column,
    empty_state,
    flex,
    heading,
    icon,
    link,
    module,
    skeleton_rows,
    tab_panel,
    tabs,
    text,
)
from pinconsole.components.tokens import COLOR, RADIUS, space
from pinconsole.pages.user import person_profile, person_section
from pinconsole.plugins import get_registry
from pinconsole.state.entity import EntityState

TABS_ID = "entity-tabs"

KIND_ICON = {
    "component": "box",
    "api": "plug",
    "resource": "database",
    "system": "network",
    "domain": "globe",
    "group": "users",
    "user": "user",
    "location": "map-pin",
}


def code_block(value: Any, *, max_height: str = "480px", **props: Any) -> rx.Component:
    return rx.el.pre(
        value,
        font_family="var(--code-font-family)",
        font_size="12px",
        line_height="18px",
        background=COLOR["surface_subtle"],
        padding=space(4),
        border_radius=RADIUS["sm"],
        overflow="auto",
        max_height=max_height,
        margin="0",
        white_space="pre",
        **props,
    )


def _field(label: str, value: rx.Component, **props: Any) -> rx.Component:
    return column(text(label, size="100", color="subtle", weight="semibold"), value, gap=1, **props)


def _ref_or_dash(name: rx.Var, url: rx.Var, id_: str) -> rx.Component:
    return rx.cond(
        name != "",
        rx.cond(url != "", link(name, href=url, id=id_), text(name, id=id_)),
        text("—", color="subtle"),
    )


# ------------------------------------------------------------------ header


def _header() -> rx.Component:
    return column(
        flex(
            heading(EntityState.e_title, level=1, size="500", id="entity-title"),
            badge(EntityState.e_kind, "neutral"),
            rx.cond(EntityState.e_type != "", badge(EntityState.e_type, "info")),
            rx.cond(
                EntityState.e_lifecycle != "",
                badge(EntityState.e_lifecycle, EntityState.e_lifecycle_intent),  # type: ignore[arg-type]
            ),
            gap=3,
            wrap=True,
        ),
        text(EntityState.e_ref, mono=True, size="100", color="subtle"),
        rx.cond(EntityState.e_description != "", text(EntityState.e_description)),
        gap=1,
    )


# ------------------------------------------------------------------ overview


def _about() -> rx.Component:
    return module(
        rx.grid(
            _field(
                "Owner", _ref_or_dash(EntityState.e_owner, EntityState.e_owner_url, "entity-owner")
            ),
            _field(
                "System",
                _ref_or_dash(EntityState.e_system, EntityState.e_system_url, "entity-system"),
            ),
            _field(
                "Domain",
                _ref_or_dash(EntityState.e_domain, EntityState.e_domain_url, "entity-domain"),
            ),
            _field(
                "Lifecycle",
                rx.cond(
                    EntityState.e_lifecycle != "",
                    text(EntityState.e_lifecycle),
                    text("—", color="subtle"),
                ),
            ),
            _field(
                "Type",
                rx.cond(
                    EntityState.e_type != "", text(EntityState.e_type), text("—", color="subtle")
                ),
            ),
            _field("Namespace", text(EntityState.e_namespace)),
            columns=rx.breakpoints(initial="2", md="3"),
            gap=space(5),
            width="100%",
        ),
        _field(
            "Tags",
            rx.cond(
                EntityState.tags.length() > 0,  # type: ignore[attr-defined]
                flex(
                    rx.foreach(
                        EntityState.tags,
                        lambda t: rx.link(
                            badge(t, "neutral"), href="/catalog?tag=" + t, underline="none"
                        ),
                    ),
                    gap=1,
                    wrap=True,
                ),
                text("—", color="subtle"),
            ),
        ),
        _field(
            "Links",
            rx.cond(
                EntityState.links.length() > 0,  # type: ignore[attr-defined]
                flex(
                    rx.foreach(
                        EntityState.links,
                        lambda lk: flex(
                            icon("external-link", size=14),
                            link(lk["title"], href=lk["url"], external=True),
                            gap=1,
                        ),
                    ),
                    gap=4,
                    wrap=True,
                ),
                text("—", color="subtle"),
            ),
        ),
        rx.cond(
            EntityState.e_location != "",
            _field(
                "Location",
                rx.cond(
                    EntityState.e_location_url != "",
                    link(EntityState.e_location, href=EntityState.e_location_url, external=True),
                    rx.el.span(
                        text(EntityState.e_location, mono=True, size="100"),
                        title=EntityState.e_location_title,
                    ),
                ),
                id="entity-location",
            ),
        ),
        title="About",
        icon="info",
        actions=[_source_links()],
        id="entity-about",
    )


def _external(label: str, url: rx.Var, icon_name: str, id_: str) -> rx.Component:
    """A link out of the console that looks like a small secondary button."""
    return rx.cond(
        url != "",
        link(
            icon(icon_name, size=14),
            label,
            href=url,
            external=True,
            underline="none",
            color="default",
            id=id_,
            display="inline-flex",
            align_items="center",
            gap=space(1.5),
            padding_x=space(3),
            padding_y=space(1),
            border=f"1px solid {COLOR['border_subtle']}",
            border_radius="9999px",
            font_size="13px",
            font_weight="600",
            white_space="nowrap",
            _hover={"background": COLOR["surface_subtle"]},
        ),
    )


def _source_links() -> rx.Component:
    """View source and Edit, from the descriptor's annotations (``state.entity.source_links``)."""
    return flex(
        _external("View source", EntityState.e_source_url, "code", "entity-view-source"),
        _external("Edit", EntityState.e_edit_url, "pencil", "entity-edit"),
        gap=2,
    )


def _scorecard() -> rx.Component:
    return module(
        rx.cond(
            EntityState.checks.length() > 0,  # type: ignore[attr-defined]
            column(
                rx.foreach(
                    EntityState.checks,
                    lambda ch: flex(
                        rx.cond(
                            ch["passed"] == "yes",
                            icon("circle-check", color=COLOR["success"], flex_shrink="0"),
                            icon("circle-x", color=COLOR["error"], flex_shrink="0"),
                        ),
                        column(
                            text(ch["label"], weight="semibold"),
                            rx.cond(
                                ch["description"] != "",
                                text(ch["description"], size="100", color="subtle"),
                            ),
                            gap=0,
                        ),
                        gap=2,
                        align="start",
                    ),
                ),
                gap=3,
            ),
            text("This kind has no scorecard.", color="subtle"),
        ),
        title="Scorecard",
        icon="gauge",
        actions=[badge(EntityState.score, EntityState.score_intent, id="entity-score")],  # type: ignore[arg-type]
        id="entity-scorecard",
    )


def _key_values(items: rx.Var, id: str) -> rx.Component:
    return column(
        rx.foreach(
            items,
            lambda a: flex(
                text(a["key"], mono=True, size="100", color="subtle", min_width="240px"),
                text(a["value"], mono=True, size="100", word_break="break-all"),
                gap=3,
                align="start",
                wrap=True,
            ),
        ),
        gap=2,
        id=id,
    )


def _annotations() -> rx.Component:
    """metadata.labels and metadata.annotations, each key with its value."""
    return module(
        column(
            rx.cond(
                EntityState.labels.length() > 0,  # type: ignore[attr-defined]
                column(
                    text("Labels", weight="semibold", size="100"),
                    _key_values(EntityState.labels, "entity-labels"),
                    gap=2,
                ),
            ),
            rx.cond(
                EntityState.annotations.length() > 0,  # type: ignore[attr-defined]
                column(
                    rx.cond(
                        EntityState.labels.length() > 0,  # type: ignore[attr-defined]
                        text("Annotations", weight="semibold", size="100"),
                    ),
                    _key_values(EntityState.annotations, "entity-annotations"),
                    gap=2,
                ),
                text("No annotations.", color="subtle"),
            ),
            gap=4,
        ),
        title=rx.cond(
            EntityState.labels.length() > 0,  # type: ignore[attr-defined]
            "Labels and annotations",
            "Annotations",
        ),
        icon="tags",
    )


def _overview() -> rx.Component:
    return column(
        flex(
            box(_about(), flex="2", min_width="320px"),
            box(
                rx.cond(EntityState.e_kind == "user", person_profile(), _scorecard()),
                flex="1",
                min_width="280px",
            ),
            gap=4,
            align="start",
            wrap=True,
        ),
        rx.cond(EntityState.e_kind == "user", person_section()),
        _graph_module(),
        _annotations(),
        rx.el.details(
            rx.el.summary(text("Descriptor (YAML)", weight="semibold", inline=True)),
            box(code_block(EntityState.yaml_text, id="entity-yaml"), padding_y=2),
        ),
        gap=4,
    )


# ------------------------------------------------------------------ relations


def _node(item: rx.Var, side: str) -> rx.Component:
    edge = text(item["edge"], size="100", color="subtle", white_space="nowrap")
    arrow = icon("arrow-right", size=14, color=COLOR["text_subtle"])
    node = box(
        link(item["title"], href=item["url"], weight="medium"),
        text(item["kind"], size="100", color="subtle"),
        padding_x=3,
        padding_y=2,
        color="default",
        rounding="sm",
        border=True,
        min_width="160px",
        opacity=rx.cond(item["exists"] == "yes", "1", "0.6"),
    )
    parts = [node, edge, arrow] if side == "in" else [edge, arrow, node]
    return flex(*parts, gap=2, justify="end" if side == "in" else "start")


def _graph_side(items: rx.Var, more: rx.Var, side: str, empty: rx.Var) -> rx.Component:
    return column(
        rx.cond(
            items.length() > 0,  # type: ignore[attr-defined]
            rx.foreach(items, lambda it: _node(it, side)),
            text(empty, size="100", color="subtle", align="center"),
        ),
        rx.cond(more > 0, text("+", more, " more", size="100", color="subtle")),
        gap=2,
        align="end" if side == "in" else "start",
        flex="1",
        min_width="0",
    )


def _graph() -> rx.Component:
    center = box(
        flex(
            rx.match(
                EntityState.e_kind,
                *[(kind, icon(name, size=16)) for kind, name in KIND_ICON.items()],
                icon("box", size=16),
            ),
            text(EntityState.e_title, weight="bold"),
            gap=2,
            justify="center",
        ),
        text(EntityState.e_kind, size="100", color="subtle"),
        padding_x=4,
        padding_y=3,
        color="secondary",
        rounding="md",
        border=True,
        min_width="180px",
        text_align="center",
        border_width="2px",
        border_color=COLOR["border_strong"],
        id="entity-graph-center",
    )
    return flex(
        _graph_side(
            EntityState.graph_in, EntityState.graph_more_in, "in", EntityState.graph_empty_in
        ),
        center,
        _graph_side(
            EntityState.graph_out, EntityState.graph_more_out, "out", EntityState.graph_empty_out
        ),
        gap=4,
        align="center",
        width="100%",
        overflow_x="auto",
        id="entity-graph",
    )


def _graph_module() -> rx.Component:
    return module(
        _graph(),
        title="Relations",
        subtitle=EntityState.graph_subtitle,
        icon="share-2",
    )


def _relation_group(group: rx.Var) -> rx.Component:
    return module(
        flex(
            rx.foreach(
                group.targets,
                lambda it: box(
                    link(it["title"], href=it["url"]),
                    text(it["ref"], mono=True, size="100", color="subtle"),
                    rx.cond(it["exists"] == "no", badge("not in catalog", "warning")),
                    padding_x=3,
                    padding_y=2,
                    border=True,
                    rounding="sm",
                ),
            ),
            gap=2,
            wrap=True,
        ),
        title=group.label,
        subtitle=rx.cond(
            group.count == 1,
            "1 entity",
            group.count.to_string() + " entities",  # type: ignore[attr-defined]
        ),
        padding=4,
    )


def _relations() -> rx.Component:
    return column(
        _graph_module(),
        rx.cond(
            EntityState.relation_groups.length() > 0,  # type: ignore[attr-defined]
            column(
                rx.foreach(EntityState.relation_groups, _relation_group),
                gap=3,
                id="entity-relations",
            ),
            empty_state("No relations", "This entity has no relations yet.", icon="share-2"),
        ),
        gap=4,
    )


# ------------------------------------------------------------------ API definition


def _operation(op: rx.Var) -> rx.Component:
    return flex(
        box(badge(op["method"], op["intent"], solid=True), min_width="72px"),  # type: ignore[arg-type]
        text(op["path"], mono=True, weight="semibold"),
        text(op["summary"], color="subtle", truncate=True),
        gap=3,
        padding_y=2,
        border_bottom=f"1px solid {COLOR['border_subtle']}",
        class_name="pc-api-operation",
    )


def _api() -> rx.Component:
    raw = module(
        code_block(EntityState.api_raw, id="api-raw"),
        title="Definition",
        subtitle=EntityState.api_type,
        icon="file-code",
    )
    return rx.cond(
        EntityState.api_raw == "",
        empty_state("No definition", "This API's descriptor has no spec.definition.", icon="plug"),
        rx.cond(
            EntityState.api_is_openapi,
            column(
                rx.cond(EntityState.api_error != "", callout(EntityState.api_error, "warning")),
                module(
                    column(rx.foreach(EntityState.api_operations, _operation), gap=0),
                    title=rx.cond(
                        EntityState.api_info["title"], EntityState.api_info["title"], "Operations"
                    ),
                    subtitle=EntityState.api_info["spec"]
                    + rx.cond(
                        EntityState.api_info["version"],
                        " · v" + EntityState.api_info["version"],
                        "",
                    ),
                    icon="route",
                    id="api-operations",
                ),
                rx.el.details(
                    rx.el.summary(text("Raw definition", weight="semibold", inline=True)),
                    box(code_block(EntityState.api_raw), padding_y=2),
                ),
                gap=4,
            ),
            raw,
        ),
    )


# ------------------------------------------------------------------ tabs


def _tab(value: str, label: str, icon_name: str, visible: Any = None) -> Tab:
    """A tab is a link to ``?tab=``: the URL says what is open (reload, share, Back)."""
    href = EntityState.e_path if value == "overview" else EntityState.e_path + f"?tab={value}"
    return Tab(value, label, icon=icon_name, href=href, visible=visible)  # type: ignore[arg-type]


def _tab_bar() -> rx.Component:
    """One bar; the optional tabs (API, plugin tabs) show only when the entity has them."""
    items = [
        _tab("overview", "Overview", "layout-dashboard"),
        _tab("relations", "Relations", "share-2"),
        _tab("api", "Definition", "file-code", visible=EntityState.is_api),
    ]
    items += [
        _tab(t.id, t.label, "puzzle", visible=EntityState.plugin_tab_ids.contains(t.id))  # type: ignore[attr-defined]
        for t in get_registry().entity_tabs
    ]
    return tabs(items, EntityState.tab, id=TABS_ID)


def _tab_body() -> rx.Component:
    cases: list[tuple[str, rx.Component]] = [("relations", _relations()), ("api", _api())]
    for tab in get_registry().entity_tabs:
        cases.append((tab.id, tab.component()))
    return tab_panel(
        rx.match(EntityState.tab, *cases, _overview()), tabs_id=TABS_ID, value=EntityState.tab
    )


def entity_page() -> rx.Component:
    return rx.cond(
        EntityState.loaded,
        rx.cond(
            EntityState.found,
            column(
                _header(),
                rx.cond(
                    EntityState.e_status == "orphaned",
                    callout(
                        rx.cond(
                            EntityState.e_orphaned_at != "",
                            "Its location no longer lists it (since "
                            + EntityState.e_orphaned_at
                            + "). It will be removed after the grace period unless it comes back.",
                            "Its location no longer lists it. It will be removed after the grace "
                            "period unless it comes back.",
                        ),
                        "warning",
                        title="Orphaned entity",
                        id="entity-orphaned",
                    ),
                ),
                _tab_bar(),
                _tab_body(),
                gap=5,
            ),
            empty_state(
                "Entity not found",
                EntityState.error,
                icon="search-x",
                action=link("Back to the catalog", href="/catalog"),
            ),
        ),
        column(skeleton_rows(1, height="48px"), skeleton_rows(6), gap=4),
    )
