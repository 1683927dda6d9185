"""``/catalog`` and ``/catalog/errors`` states: URL-carried filters, one keyset page of rows.

Thin on purpose: ``pinconsole.catalog.query`` builds every statement; the state keeps the
filters, the current page (50 rows), the cursor stack for "previous", and the facet counts.
Filter vars are prefixed ``f_``: entity routes own ``kind``/``namespace``/``name`` params.

As Backstage's catalog, ``/catalog`` opens on components, all owners (``?kind=component``);
a URL naming any filter is taken as it is (``?kind=`` is any kind, ``?owner=team-a`` every
kind the team owns), and ``owned=me`` narrows to what the user and their groups own.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode

import reflex as rx

from pinconsole import cache
from pinconsole.catalog.query import (
    FACET_FIELDS,
    SORTS,
    EntityFilter,
    catalog_errors,
    count_entities,
    entity_summary,
    facet_counts,
    list_entities,
    read_scope,
)
from pinconsole.errors import DomainError
from pinconsole.state.base import AppState, principal_of
from pinconsole.state.guard import guarded
from pinconsole.state.paging import KeysetPaging

PAGE_SIZE = 50
FACET_LIMIT = 100  # values listed per facet select (the most frequent first)
LIFECYCLE_INTENT = {"production": "success", "experimental": "warning", "deprecated": "error"}
DEFAULT_KIND = "component"  # what /catalog opens on, as Backstage's catalog does
OWNED = "me"  # ``?owned=me``: what the signed-in user and their groups own
# URL and websocket values are untrusted: longer ones are cut (a ref or a search is far shorter).
MAX_PARAM = 500
MAX_TEXT = 200
FILTER_PARAMS = (*FACET_FIELDS, "text", "owned")


def short_ref(ref: str | None) -> str:
    """``group:default/team-a`` -> ``team-a`` (the namespace shows when not default)."""
    if not ref:
        return ""
    body = ref.split(":", 1)[-1]
    return body.removeprefix("default/")


def ref_url(ref: str | None) -> str:
    """The console page of a ref (``kind:namespace/name``)."""
    from pinconsole.catalog.query import entity_url

    if not ref or ":" not in ref:
        return ""
    kind, rest = ref.split(":", 1)
    namespace, _, name = rest.rpartition("/")
    return entity_url(kind, namespace or "default", name)


def score_intent(score: int | None) -> str:
    if score is None:
        return "neutral"
    return "success" if score >= 80 else "warning" if score >= 50 else "error"


def summary_row(entity: Any) -> dict[str, str]:
    """A table row of strings (Reflex state stays JSON-small and typed)."""
    s = entity_summary(entity)
    score = s["score"]
    return {
        "ref": s["ref"],
        "kind": s["kind"],
        "namespace": s["namespace"],
        "name": s["name"],
        "title": s["title"],
        "description": s["description"],
        # Empty values stay blank (no dash, no grey pill): the page renders nothing for "".
        "type": s["type"] or "",
        "lifecycle": s["lifecycle"] or "",
        "lifecycle_intent": LIFECYCLE_INTENT.get(s["lifecycle"] or "", "neutral"),
        "owner": short_ref(s["owner"]),
        "owner_url": ref_url(s["owner"]),
        "system": short_ref(s["system"]),
        "system_url": ref_url(s["system"]),
        "score": "" if score is None else str(score),
        "score_intent": score_intent(score),
        "status": s["status"],
        "url": s["url"],
    }


def _facet_label(field: str, value: str) -> str:
    return short_ref(value) if field in ("owner", "system") else value


def _values(param: str) -> list[str]:
    """A filter field's values from its URL form (comma-separated: OR within the field)."""
    return list(dict.fromkeys(v.strip() for v in param.split(",") if v.strip()))


def _said(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def match_phrase(filters: dict[str, str], text: str, owned: bool) -> str:
    """What a view is narrowed by, in words: ``kind component, lifecycle experimental and
    "zzz"`` (each facet's values as the URL carries them, comma-separated: OR-ed)."""
    parts = []
    for field in FACET_FIELDS:
        selected = _values(filters.get(field, ""))
        if selected:
            one, _ = FACET_NOUNS.get(field, (field, field))
            parts.append(f"{one} {' or '.join(_facet_label(field, v) for v in selected)}")
    if owned:
        parts.append("owned by you")
    if text:
        parts.append(f'"{text}"')
    return _said(parts) if parts else ""


FACET_NOUNS = {
    "kind": ("kind", "kinds"),
    "type": ("type", "types"),
    "owner": ("owner", "owners"),
    "lifecycle": ("lifecycle", "lifecycles"),
    "namespace": ("namespace", "namespaces"),
    "tag": ("tag", "tags"),
    "system": ("system", "systems"),
}


def facet_button_label(field: str, selected: list[str]) -> str:
    """``Any kind``, ``component`` or ``api, component`` / ``3 kinds`` for a facet's button."""
    one, many = FACET_NOUNS.get(field, (field, field))
    if not selected:
        return f"Any {one}"
    labels = [_facet_label(field, v) for v in selected]
    text = ", ".join(labels)
    return text if len(labels) == 1 or len(text) <= 24 else f"{len(labels)} {many}"


@dataclasses.dataclass(frozen=True)
class CatalogPage:
    """One page of catalog rows, shaped for the table, and what the facets count."""

    rows: list[dict[str, str]]
    total: int
    next_cursor: str | None
    catalog_empty: bool  # no entity at all, whatever the filter (not "nothing matches")


def _catalog_page(
    flt: EntityFilter, sort: str, cursor: str | None
) -> tuple[CatalogPage, dict[str, list[dict[str, Any]]]]:
    """One keyset page and the facet counts under ``flt`` (in the UI's thread pool), from the
    read cache until the catalog changes: the catalog is the same for every reader, and most
    open it on the same few filters. "Owned by me" is in ``flt`` as the user's and their
    groups' refs (``owned_by``), so the key tells two users' answers apart."""

    def read() -> tuple[CatalogPage, dict[str, list[dict[str, Any]]]]:
        with read_scope() as session:
            page = list_entities(session, flt, sort=sort, limit=PAGE_SIZE, cursor=cursor)
            counts = facet_counts(session, flt, fields=FACET_FIELDS)
            rows = [summary_row(e) for e in page.items]
            empty = page.total == 0 and (flt.is_empty() or count_entities(session) == 0)
        return CatalogPage(rows, page.total, page.next_cursor, empty), counts

    return cache.cached("ui.catalog-page", (flt, sort, cursor), read, maxsize=512)


def _error_rows(limit: int) -> list[dict[str, str]]:
    """The latest ingestion errors as table rows (with a lower-cased haystack for the filter)."""
    with read_scope() as session:
        errors = catalog_errors(session, limit=limit)
    rows = []
    for e in errors:
        doc = e["document"]
        row = {
            "id": str(e["id"]),
            "location": e["locationKey"] or "",
            "source": e["source"] or "",
            "document": "—" if doc is None else str(doc + 1),
            "entity": e["entityRef"] or "",
            "field": e["field"] or "",
            "message": e["message"] or "",
            "at": (e["at"] or "")[:19].replace("T", " "),
        }
        row["haystack"] = " ".join(row.values()).lower()
        rows.append(row)
    return rows


def _url_params(query: str) -> dict[str, str]:
    """A query string's parameters, blank ones kept (``?kind=`` says "any kind", which is not
    "nothing said"), a repeated one comma-joined, each cut to ``MAX_PARAM``."""
    parsed = parse_qs(query[: 16 * MAX_PARAM], keep_blank_values=True)
    return {k: ",".join(v)[:MAX_PARAM] for k, v in parsed.items()}


def _text_of(value: Any) -> str | None:
    """A websocket event's value as bounded text; None if it is no text at all."""
    return value.strip()[:MAX_PARAM] if isinstance(value, str) else None


class CatalogState(KeysetPaging, AppState):
    """Filters live in the URL (``/catalog?kind=api&owner=team-a``); the state holds one page."""

    _page_size: ClassVar[int] = PAGE_SIZE
    _page_empty: ClassVar[str] = "No entities"

    f_kind: str = DEFAULT_KIND
    f_type: str = ""
    f_owner: str = ""
    f_lifecycle: str = ""
    f_namespace: str = ""
    f_tag: str = ""
    f_system: str = ""
    f_text: str = ""
    f_owned: bool = False  # "Owned by me" (``?owned=me``), else "All"
    sort: str = "name"
    sort_desc: bool = False
    rows: list[dict[str, str]] = []
    facets: dict[str, list[dict[str, str]]] = {}
    facet_buttons: dict[str, str] = {}  # field -> what its filter button says
    catalog_empty: bool = False
    error: str = ""
    loading: bool = False
    loaded: bool = False

    @rx.var
    def filtered(self) -> bool:
        """The view differs from the one ``/catalog`` opens on (Clear goes back to that)."""
        return (
            self.f_kind != DEFAULT_KIND
            or self.f_owned
            or bool(self.f_text)
            or any(getattr(self, f"f_{f}") for f in FACET_FIELDS if f != "kind")
        )

    @rx.var
    def no_match(self) -> str:
        """The empty page's title, naming what narrows it."""
        filters = {f: getattr(self, f"f_{f}") for f in FACET_FIELDS}
        phrase = match_phrase(filters, self.f_text, self.f_owned)
        return f"No entities match {phrase}" if phrase else "No entities match"

    # ------------------------------------------------------------------ helpers

    def _filter(self) -> EntityFilter:
        values = {f: getattr(self, f"f_{f}") or None for f in FACET_FIELDS}
        flt = EntityFilter.build(text=self.f_text, **values)
        if self.f_owned:
            # The groups ``_principal`` just re-checked (ancestors included): resolved into the
            # filter, so the read cache's key differs wherever the answer does.
            principal = principal_of(self)
            flt = flt.owned_by_any((principal.ref, *principal.groups))
        return flt

    def _sort_key(self) -> str:
        return f"-{self.sort}" if self.sort_desc else self.sort

    def _query_string(self) -> str:
        """The view as ``/catalog``'s query: the kind always (blank: any kind, which is no
        default), the other filters when set, the switch and the sort when not the default."""
        values = {f: getattr(self, f"f_{f}") or None for f in FACET_FIELDS}
        params = {"kind": "", **EntityFilter.build(text=self.f_text, **values).as_params()}
        if self.f_owned:
            params["owned"] = OWNED
        if self._sort_key() != "name":
            params["sort"] = self._sort_key()
        return urlencode(params)

    def _replace_url(self) -> Any:
        """Put the view into the address bar without a history entry (shareable, reloadable);
        the router's own history state is kept."""
        query = self._query_string()
        url = json.dumps("/catalog" + (f"?{query}" if query else ""))
        return rx.call_script(f"window.history.replaceState(window.history.state, '', {url})")

    async def _turn(self) -> None:
        self.loading = True
        try:
            page, counts = await self._run(
                _catalog_page, self._filter(), self._sort_key(), self._cursor or None
            )
        except DomainError as exc:
            self.error, self.rows, self.total, self._next_cursor = str(exc), [], 0, ""
            self.catalog_empty = False
            self.loading, self.loaded = False, True
            return
        self.error = ""
        self.rows = page.rows
        self.total = page.total
        self.catalog_empty = page.catalog_empty
        self._next_cursor = page.next_cursor or ""
        facets: dict[str, list[dict[str, str]]] = {}
        buttons: dict[str, str] = {}
        for field in FACET_FIELDS:
            selected = _values(getattr(self, f"f_{field}"))
            items = counts.get(field, [])[:FACET_LIMIT]
            out = [
                {
                    "value": str(i["value"]),
                    "label": f"{_facet_label(field, str(i['value']))} · {i['count']:,}",
                    "selected": "yes" if str(i["value"]) in selected else "no",
                }
                for i in items
                if i["value"] not in (None, "")
            ]
            listed = {o["value"] for o in out}
            # A selected value the counts do not list (none left under the other filters, or
            # beyond FACET_LIMIT) stays visible so it can be unticked.
            out[:0] = [
                {"value": v, "label": _facet_label(field, v), "selected": "yes"}
                for v in selected
                if v not in listed
            ]
            facets[field] = out
            buttons[field] = facet_button_label(field, selected)
        self.facets = facets
        self.facet_buttons = buttons
        self.loading, self.loaded = False, True

    async def _refresh(self) -> Any:
        """Back to the first page, fetch, and put the filters into the URL (shareable)."""
        self._first_page()
        await self._turn()
        return self._replace_url()

    # ------------------------------------------------------------------ events

    @guarded
    async def load(self):  # type: ignore[no-untyped-def]
        """The view the URL names; a URL naming no filter opens on components, all owners."""
        query = self.router.url.query
        params = _url_params(query)
        for field in FACET_FIELDS:
            setattr(self, f"f_{field}", params.get(field, ""))
        if not any(p in params for p in FILTER_PARAMS):
            self.f_kind = DEFAULT_KIND
        self.f_text = params.get("text", "")[:MAX_TEXT].strip()
        self.f_owned = params.get("owned") == OWNED
        sort = params.get("sort", "name")
        if sort not in SORTS:
            sort = "name"
        self.sort_desc = sort.startswith("-")
        self.sort = sort.lstrip("-")
        self._first_page()
        await self._turn()
        # What was opened, as the page shows it (``/catalog`` -> ``/catalog?kind=component``).
        return None if self._query_string() == query else self._replace_url()

    @guarded
    async def set_facet(self, field: str, value: str):  # type: ignore[no-untyped-def]
        value = _text_of(value)
        if field not in FACET_FIELDS or value is None:
            return None
        setattr(self, f"f_{field}", "" if value == "all" else value)
        return await self._refresh()

    @guarded
    async def toggle_facet(self, field: str, value: str):  # type: ignore[no-untyped-def]
        """Tick or untick one value of a facet (several values of a field are OR-ed)."""
        value = _text_of(value)
        if field not in FACET_FIELDS or not value:
            return None
        values = _values(getattr(self, f"f_{field}"))
        values = [v for v in values if v != value] if value in values else [*values, value]
        setattr(self, f"f_{field}", ",".join(values)[:MAX_PARAM])
        return await self._refresh()

    @guarded
    async def set_owned(self, value: str | list[str]):  # type: ignore[no-untyped-def]
        """The "Owned by me / All" switch (``owned`` or ``all``; the segmented control's event
        is typed for its multiple mode too)."""
        if value not in ("owned", "all"):
            return None
        self.f_owned = value == "owned"
        return await self._refresh()

    @guarded
    async def set_text(self, value: str):  # type: ignore[no-untyped-def]
        text = _text_of(value)
        if text is None:
            return None
        self.f_text = text[:MAX_TEXT]
        return await self._refresh()

    @guarded
    async def clear_filters(self):  # type: ignore[no-untyped-def]
        """Back to the view ``/catalog`` opens on: components, all owners, no search (the
        sort, no filter, stays)."""
        for field in FACET_FIELDS:
            setattr(self, f"f_{field}", "")
        self.f_kind, self.f_text, self.f_owned = DEFAULT_KIND, "", False
        return await self._refresh()

    @guarded
    async def sort_by(self, key: str):  # type: ignore[no-untyped-def]
        if key not in SORTS:
            return None
        self.sort_desc = not self.sort_desc if key == self.sort else key == "score"
        self.sort = key
        return await self._refresh()


class CatalogErrorsState(AppState):
    """``/catalog/errors``: ingestion errors (file, document, field, message), filterable."""

    rows: list[dict[str, str]] = []
    f_text: str = ""
    f_location: str = ""
    locations: list[str] = []
    total: int = 0
    loaded: bool = False
    _all: list[dict[str, str]] = []

    def _filter_rows(self) -> None:
        words = self.f_text.lower().split()
        out = [
            r
            for r in self._all
            if (not self.f_location or r["location"] == self.f_location)
            and all(w in r["haystack"] for w in words)
        ]
        self.rows = out
        self.total = len(out)

    @guarded
    async def load(self):  # type: ignore[no-untyped-def]
        params = self.router.url.query_parameters
        self.f_location = str(params.get("location", ""))
        self.f_text = str(params.get("text", ""))
        self._all = await self._run(_error_rows, 500)
        self.locations = sorted({r["location"] for r in self._all if r["location"]})
        self._filter_rows()
        self.loaded = True

    @guarded
    async def set_text(self, value: str):  # type: ignore[no-untyped-def]
        self.f_text = value
        self._filter_rows()

    @guarded
    async def set_location(self, value: str):  # type: ignore[no-untyped-def]
        self.f_location = "" if value == "all" else value
        self._filter_rows()
