"""``/catalog``: every entity, filtered server-side (facets with counts, text, "Owned by me"),
sorted and paged by keyset; ``/catalog/errors``: what the last imports could not read.

Empty values render nothing: a blank cell reads as "none", a dash or a grey pill as a value."""

from __future__ import annotations

import reflex as rx

from pinconsole.components import (
    Column,
    badge,
    button,
    callout,
    column,
    empty_state,
    flex,
    link,
    search_field,
    skeleton_rows,
    table,
    text,
)
from pinconsole.state.catalog import CatalogErrorsState, CatalogState

FACET_LABELS = {
    "kind": "Kind",
    "type": "Type",
    "owner": "Owner",
    "lifecycle": "Lifecycle",
    "namespace": "Namespace",
    "tag": "Tag",
    "system": "System",
}


def _name(row: rx.Var) -> rx.Component:
    return column(
        flex(
            link(row["title"], href=row["url"], weight="medium"),
            rx.cond(row["status"] == "orphaned", badge("orphaned", "warning")),
            gap=2,
        ),
        rx.cond(
            row["description"] != "",
            text(row["description"], size="100", color="subtle", truncate=True, max_width="420px"),
        ),
        gap=0,
    )


def _owner(row: rx.Var) -> rx.Component:
    return rx.cond(row["owner_url"] != "", link(row["owner"], href=row["owner_url"]))


def _system(row: rx.Var) -> rx.Component:
    return rx.cond(row["system_url"] != "", link(row["system"], href=row["system_url"]))


def _lifecycle(row: rx.Var) -> rx.Component:
    return rx.cond(row["lifecycle"] != "", badge(row["lifecycle"], row["lifecycle_intent"]))


def _score(row: rx.Var) -> rx.Component:
    return rx.cond(row["score"] != "", badge(row["score"], row["score_intent"]))


COLUMNS = [
    Column("name", "Name", sortable=True, render=_name),
    Column("kind", "Kind", sortable=True, render=lambda r: badge(r["kind"], "neutral")),
    Column("type", "Type", sortable=True),
    Column("owner", "Owner", sortable=True, render=_owner),
    Column("lifecycle", "Lifecycle", sortable=True, render=_lifecycle),
    Column("system", "System", sortable=True, render=_system),
    Column("score", "Score", sortable=True, align="right", width="90px", render=_score),
]


def _facet(field: str) -> rx.Component:
    """A facet's filter: a button saying what is selected; its popover lists the values with
    their counts as checkboxes (several ticked values of one field are OR-ed)."""
    label = FACET_LABELS[field]
    value = getattr(CatalogState, f"f_{field}")
    return rx.popover.root(
        rx.popover.trigger(
            rx.button(
                rx.text(
                    CatalogState.facet_buttons.get(field, f"Any {label.lower()}"), truncate=True
                ),
                rx.icon("chevron-down", size=14),
                variant=rx.cond(value == "", "surface", "soft"),
                color_scheme="gray",
                size="2",
                id=f"catalog-facet-{field}",
                min_width="120px",
                max_width="240px",
                justify="between",
                # The visible text is part of the name (what is selected), as WCAG 2.5.3 asks.
                aria_label=f"Filter by {label.lower()}: "
                + CatalogState.facet_buttons.get(field, f"Any {label.lower()}"),
            )
        ),
        rx.popover.content(
            column(
                rx.cond(
                    value != "",
                    button(
                        f"Any {label.lower()}",
                        CatalogState.set_facet(field, "all"),
                        color="transparent",
                        size="sm",
                    ),
                ),
                rx.foreach(
                    CatalogState.facets[field],
                    lambda item: rx.el.label(
                        rx.checkbox(
                            checked=item["selected"] == "yes",
                            on_change=lambda _checked: CatalogState.toggle_facet(
                                field, item["value"]
                            ),
                        ),
                        rx.text(item["label"], size="2"),
                        class_name="pc-facet-option",
                        style={
                            "display": "flex",
                            "gap": "8px",
                            "align_items": "center",
                            "cursor": "pointer",
                            "padding": "4px 0",
                        },
                    ),
                ),
                rx.cond(
                    CatalogState.facets[field].length() == 0,  # type: ignore[attr-defined]
                    text("No values", color="subtle"),
                ),
                gap=0,
                max_height="360px",
                overflow_y="auto",
                id=f"catalog-facet-{field}-options",
            ),
            align="start",
            min_width="200px",
        ),
    )


def _owned_switch() -> rx.Component:
    """Backstage's "Owned / All": what the user and their groups own, or everything. A radio
    group of real buttons (Tab reaches it, the arrows move, Space or Enter picks)."""
    return rx.segmented_control.root(
        rx.segmented_control.item("Owned by me", value="owned", id="catalog-owned-me"),
        rx.segmented_control.item("All", value="all", id="catalog-owned-all"),
        value=rx.cond(CatalogState.f_owned, "owned", "all"),
        on_change=CatalogState.set_owned,
        size="2",
        id="catalog-owned",
        aria_label="Whose entities",
    )


def _filters() -> rx.Component:
    return flex(
        _owned_switch(),
        search_field(
            CatalogState.f_text,
            CatalogState.set_text.debounce(300),  # type: ignore[attr-defined]
            placeholder="Search name, title, description, tags",
            size="sm",
            id="catalog-search",
            width="300px",
        ),
        *[_facet(f) for f in FACET_LABELS],
        rx.cond(
            CatalogState.filtered,
            button(
                "Clear",
                CatalogState.clear_filters,
                color="transparent",
                size="sm",
                icon_start="x",
                id="catalog-clear",
                aria_label="Clear filters: back to all components",
            ),
        ),
        gap=2,
        wrap=True,
        align="center",
    )


def _empty() -> rx.Component:
    """No rows: "The catalog is empty" only when it is; otherwise what matched nothing, and the
    way back (the opening view, or every kind when that view is what matched nothing)."""
    return rx.cond(
        CatalogState.catalog_empty,
        empty_state(
            "The catalog is empty",
            "Register a catalog-info.yaml location to see entities here.",
            icon="library",
            compact=True,
        ),
        empty_state(
            CatalogState.no_match,
            rx.cond(
                CatalogState.filtered,
                "Clear the filters to start again from all components.",
                "The catalog has entities of other kinds.",
            ),
            icon="search-x",
            compact=True,
            action=rx.cond(
                CatalogState.filtered,
                button("Clear filters", CatalogState.clear_filters, id="catalog-empty-clear"),
                button(
                    "Show every kind",
                    CatalogState.set_facet("kind", "all"),
                    id="catalog-empty-any-kind",
                ),
            ),
            id="catalog-no-match",
        ),
    )


def catalog_page() -> rx.Component:
    return column(
        flex(
            text(
                "Components, APIs, resources, systems and domains from every registered location.",
                color="subtle",
            ),
            link("Import errors", href="/catalog/errors", size="1"),
            justify="between",
            wrap=True,
        ),
        _filters(),
        rx.cond(CatalogState.error != "", callout(CatalogState.error, "error")),
        rx.cond(
            CatalogState.loaded,
            table(
                COLUMNS,
                CatalogState.rows,
                sort_by=CatalogState.sort,
                sort_desc=CatalogState.sort_desc,
                on_sort=CatalogState.sort_by,
                paged=CatalogState,
                loading=CatalogState.loading,
                empty=_empty(),
                id="catalog-table",
            ),
            skeleton_rows(8),
        ),
        gap=4,
    )


# ------------------------------------------------------------------------- /catalog/errors


ERROR_COLUMNS = [
    Column("at", "When (UTC)", mono=True, width="170px"),
    Column(
        "source",
        "File",
        render=lambda r: text(r["source"], mono=True, size="100", truncate=True, max_width="360px"),
    ),
    Column("document", "Document", align="right", width="90px"),
    Column("field", "Field", mono=True),
    Column("message", "Message", render=lambda r: text(r["message"], size="200")),
]


def catalog_errors_page() -> rx.Component:
    return column(
        text(
            "Each descriptor an import could not read, with the file, document and field. "
            "The other entities of the same file were imported.",
            color="subtle",
        ),
        flex(
            search_field(
                CatalogErrorsState.f_text,
                CatalogErrorsState.set_text,
                placeholder="Search file, field, message",
                size="sm",
                id="errors-search",
                width="300px",
            ),
            rx.select.root(
                rx.select.trigger(
                    placeholder="Location",
                    id="errors-location",
                    aria_label="Location: "
                    + rx.cond(
                        CatalogErrorsState.f_location == "", "any", CatalogErrorsState.f_location
                    ),
                ),
                rx.select.content(
                    rx.select.item("Any location", value="all"),
                    rx.foreach(
                        CatalogErrorsState.locations,
                        lambda loc: rx.select.item(loc, value=loc),
                    ),
                ),
                value=rx.cond(
                    CatalogErrorsState.f_location == "", "all", CatalogErrorsState.f_location
                ),
                on_change=CatalogErrorsState.set_location,
                size="2",
            ),
            text(CatalogErrorsState.total, " errors", color="subtle", size="100"),
            gap=2,
            wrap=True,
        ),
        rx.cond(
            CatalogErrorsState.loaded,
            table(
                ERROR_COLUMNS,
                CatalogErrorsState.rows,
                empty=empty_state(
                    "No import errors",
                    "Every descriptor of every location was read.",
                    icon="circle-check",
                    compact=True,
                ),
                id="catalog-errors-table",
            ),
            skeleton_rows(4),
        ),
        gap=4,
    )
