"""The catalog's read side: filtered lists, facets, search, entity, team and user views.

Everything here is plain SQL over the denormalised ``entity`` columns, so a list or a facet is
answered by indexes and never by loading the catalog into Python. Lists use keyset pagination
(the cursor carries the last row's sort key and uid): pages stay stable while an import writes,
and page 400 costs what page 1 costs.

Functions that take ``session`` use the caller's; the view helpers (``team_view`` and friends)
accept ``session=None`` and then open their own through ``session_scope``.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, LiteralString, TypedDict, cast

import cachetools
from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg
from sqlmodel import Session

from pinconsole import cache
from pinconsole.access.principal import ancestor_groups
from pinconsole.catalog.refs import RefError, format_ref, parse_ref, ref_for_field
from pinconsole.catalog.serialize import ITEM_SQL_POSTGRES, entity_to_api
from pinconsole.db import get_read_engine, session_scope
from pinconsole.db_async import fetch_rows, fetch_value
from pinconsole.errors import Invalid, NotFound
from pinconsole.models.catalog import CatalogError, Entity, EntityTag, Relation

__all__ = [
    "FACET_FIELDS",
    "SORTS",
    "EntityDetail",
    "EntityFilter",
    "EntityPage",
    "RelatedEntity",
    "catalog_errors",
    "entities_by_refs",
    "entity_json",
    "entity_summary",
    "entity_url",
    "facet_counts",
    "get_entity",
    "get_entity_by_ref",
    "home_summary",
    "list_entities",
    "list_entities_json",
    "read_scope",
    "ref_for_uid",
    "refs_for_location",
    "relations_of",
    "search_everything",
    "team_view",
    "user_view",
]

FACET_FIELDS: tuple[str, ...] = ("kind", "type", "owner", "lifecycle", "namespace", "tag", "system")
MAX_LIMIT = 500

# Scored kinds: the ones a team owns and is judged on.
OWNED_KINDS = ("component", "api", "resource", "system", "domain")


# --------------------------------------------------------------------------- filters


def _values(raw: str | Iterable[str] | None) -> tuple[str, ...]:
    """Accept one value, a list, or comma-separated text (as URLs carry them)."""
    if raw is None:
        return ()
    items = [raw] if isinstance(raw, str) else list(raw)
    out: list[str] = []
    for item in items:
        out.extend(part.strip() for part in str(item).split(",") if part.strip())
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class EntityFilter:
    """Server-side catalog filters; each field is multi-valued (OR within, AND across).

    ``owner`` and ``system`` take refs in any Backstage spelling (``team-a``,
    ``group:team-a``, ``group:default/team-a``); they are compared in the stored lowercase form.
    ``text`` matches every word against name, title, description and tags.
    """

    kind: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    owner: tuple[str, ...] = ()
    lifecycle: tuple[str, ...] = ()
    namespace: tuple[str, ...] = ()
    tag: tuple[str, ...] = ()
    system: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    text: str = ""

    @classmethod
    def build(cls, **values: str | Iterable[str] | None) -> EntityFilter:
        """From loose input (query params, URL state): lists or comma-separated strings."""
        text = values.pop("text", None) or ""
        unknown = set(values) - set(FACET_FIELDS) - {"status"}
        if unknown:
            raise Invalid(f"unknown filter {sorted(unknown)[0]!r}")
        return cls(text=str(text).strip(), **{k: _values(v) for k, v in values.items()})

    def without(self, name: str) -> EntityFilter:
        """This filter minus one field (facet counts ignore their own field)."""
        return EntityFilter(**{**self.__dict__, name: ()})

    def is_empty(self) -> bool:
        return not any(getattr(self, f) for f in (*FACET_FIELDS, "status", "text"))

    def as_params(self) -> dict[str, str]:
        """URL query parameters for this filter (comma-joined), for shareable views."""
        out = {f: ",".join(getattr(self, f)) for f in (*FACET_FIELDS, "status") if getattr(self, f)}
        if self.text:
            out["text"] = self.text
        return out


def _norm_ref(field_name: str, value: str) -> str:
    try:
        return ref_for_field(field_name, value, "default")
    except RefError as exc:
        raise Invalid(str(exc), where=field_name) from exc


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _text_conditions(text: str) -> list[ColumnElement[bool]]:
    """Every word must occur in ``search_text`` (a pg_trgm GIN index serves this on PostgreSQL)."""
    return [
        Entity.search_text.like(f"%{_like_escape(word)}%", escape="\\")  # type: ignore[attr-defined]
        for word in text.lower().split()
    ]


def _conditions(flt: EntityFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []

    def one_of(column: Any, values: Sequence[str]) -> None:
        if len(values) == 1:
            conds.append(column == values[0])
        elif values:
            conds.append(column.in_(values))

    one_of(Entity.kind, [k.lower() for k in flt.kind])
    one_of(Entity.spec_type, flt.type)
    one_of(Entity.owner_ref, [_norm_ref("owner", v) for v in flt.owner])
    one_of(Entity.lifecycle, flt.lifecycle)
    one_of(Entity.namespace, flt.namespace)
    one_of(Entity.system_ref, [_norm_ref("system", v) for v in flt.system])
    one_of(Entity.status, flt.status)
    if flt.tag:
        tagged = select(EntityTag.entity_uid).where(
            EntityTag.tag.in_(flt.tag)  # type: ignore[attr-defined]
        )
        conds.append(Entity.uid.in_(tagged))  # type: ignore[attr-defined]
    if flt.text:
        conds.extend(_text_conditions(flt.text))
    return conds


# --------------------------------------------------------------------------- lists


# sort name -> key columns; the uid is always appended as the tie-breaker. Nullable columns are
# coalesced so the keyset comparison is total (NULL never compares).
_SORT_KEYS: dict[str, list[Any]] = {
    "name": [Entity.name],
    "kind": [Entity.kind, Entity.name],
    "namespace": [Entity.namespace, Entity.name],
    "owner": [func.coalesce(Entity.owner_ref, ""), Entity.name],
    "type": [func.coalesce(Entity.spec_type, ""), Entity.name],
    "lifecycle": [func.coalesce(Entity.lifecycle, ""), Entity.name],
    "system": [func.coalesce(Entity.system_ref, ""), Entity.name],
    "score": [func.coalesce(Entity.score, -1), Entity.name],
}
SORTS: tuple[str, ...] = tuple(s for k in _SORT_KEYS for s in (k, f"-{k}"))


@dataclass
class EntityPage:
    """One page of a list: ``next_cursor`` is None on the last page."""

    items: list[Entity]
    total: int
    next_cursor: str | None = None
    relations: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def _encode_cursor(sort: str, values: Sequence[Any]) -> str:
    raw = json.dumps([sort, *values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(sort: str, cursor: str, width: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise Invalid("cursor is not valid", where="cursor") from exc
    if not isinstance(data, list) or len(data) != width + 1 or data[0] != sort:
        raise Invalid("cursor belongs to another sort order", where="cursor")
    return data[1:]


def _keyset(keys: list[Any], descending: list[bool], values: list[Any]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the order given by ``keys``/``descending``."""
    if all(d == descending[0] for d in descending):
        row, after = tuple_(*keys), tuple_(*[literal(v) for v in values])
        return row < after if descending[0] else row > after
    # Mixed directions: (a > x) OR (a = x AND b > y) OR ...
    branches = []
    for i, (key, desc) in enumerate(zip(keys, descending, strict=True)):
        cmp = key < values[i] if desc else key > values[i]
        branches.append(and_(*[keys[j] == values[j] for j in range(i)], cmp))
    return or_(*branches)


def _relations_column(session: Session) -> Any:
    """A per-row column with the entity's outgoing relations as JSON ``[[type, target], ...]``.

    Fetching them in the same statement saves a round trip per request, which is most of the
    cost of a page on PostgreSQL. Duplicates (one relation stated by two origins) are removed by
    ``_decode_relations``.
    """
    pair_agg = (
        func.json_agg(func.json_build_array(Relation.type, Relation.target_ref))
        if session.get_bind().dialect.name == "postgresql"
        else func.json_group_array(func.json_array(Relation.type, Relation.target_ref))
    )
    return (
        select(pair_agg)
        .where(Relation.source_ref == Entity.ref)
        .correlate(Entity)  # type: ignore[arg-type]
        .scalar_subquery()
    )


def _decode_relations(raw: Any) -> list[tuple[str, str]]:
    if raw is None:
        return []
    pairs = json.loads(raw) if isinstance(raw, str | bytes) else raw
    return sorted({(p[0], p[1]) for p in pairs if p and p[0] is not None})


@dataclass
class _PagePlan:
    keys: list[Any]
    conds: list[ColumnElement[bool]]
    count: Any
    order: list[Any]
    after: ColumnElement[bool] | None
    limit: int
    sort: str


def _plan(flt: EntityFilter | None, sort: str, limit: int, cursor: str | None) -> _PagePlan:
    flt = flt or EntityFilter()
    desc = sort.startswith("-")
    base = sort.lstrip("-")
    if base not in _SORT_KEYS:
        raise Invalid(f"unknown sort {sort!r}; one of {', '.join(SORTS)}", where="sort")
    keys = [*_SORT_KEYS[base], Entity.uid]
    descending = [desc] + [False] * (len(keys) - 1)
    conds = _conditions(flt)
    after = None
    if cursor:
        after = _keyset(keys, descending, _decode_cursor(sort, cursor, len(keys)))
    return _PagePlan(
        keys=keys,
        conds=conds,
        count=select(func.count()).select_from(Entity).where(*conds),
        order=[k.desc() if d else k.asc() for k, d in zip(keys, descending, strict=True)],
        after=after,
        limit=max(1, min(int(limit), MAX_LIMIT)),
        sort=sort,
    )


def _plan_statement(plan: _PagePlan, head: list[Any], with_total: bool) -> Any:
    extra = [plan.count.correlate(None).scalar_subquery()] if with_total else []
    stmt = select(*head, *extra, *plan.keys).select_from(Entity).where(*plan.conds)
    if plan.after is not None:
        stmt = stmt.where(plan.after)
    return stmt.order_by(*plan.order).limit(plan.limit + 1)


def _page_of(rows: Sequence[Any], plan: _PagePlan) -> tuple[Sequence[Any], str | None]:
    """The page's rows (sort keys in the last columns) and the cursor of the next page."""
    next_cursor = None
    if len(rows) > plan.limit:
        last = rows[plan.limit - 1]
        next_cursor = _encode_cursor(plan.sort, list(last[len(last) - len(plan.keys) :]))
    return rows[: plan.limit], next_cursor


def _run_plan(
    session: Session, plan: _PagePlan, head: list[Any], with_total: bool, *, core: bool = False
) -> Any:
    """Rows of ``head`` columns, [total], sort keys; plus the total and the next cursor.

    ``core`` runs on the session's connection, skipping the ORM's execution layers (no ORM
    entities in ``head``): a third of a cold API page's Python time.
    """
    run = session.connection().execute if core else session.exec
    rows = run(_plan_statement(plan, head, with_total)).all()  # type: ignore[operator]
    total = -1
    if with_total:
        total = rows[0][len(head)] if rows else run(plan.count).one()[0]  # type: ignore[operator]
    page, next_cursor = _page_of(rows, plan)
    return page, total, next_cursor


_PG_DIALECT = postgresql_psycopg.dialect()
_COMPILED: cachetools.LRUCache[Any, Any] = cachetools.LRUCache(maxsize=512)
_COMPILED_LOCK = threading.Lock()


def _pg_sql(stmt: Any) -> tuple[LiteralString, dict[str, Any]]:
    """``stmt`` as psycopg SQL text and parameters, compiled once per statement shape.

    The same cache-key route a SQLAlchemy connection takes (a page's statement costs ~2 ms to
    compile, ~0.3 ms to key), without a connection: the text runs on ``db_async``'s.
    """
    with _COMPILED_LOCK:
        compiled, extracted, _, _ = stmt._compile_w_cache(
            _PG_DIALECT, compiled_cache=_COMPILED, column_keys=[], for_executemany=False
        )
    params = compiled.construct_params(extracted_parameters=extracted)
    if compiled.post_compile_params or compiled.literal_execute_params:
        # IN (...) lists: render this call's number of placeholders, as execution would.
        expanded = compiled._process_parameters_for_postcompile(params)
        return cast("LiteralString", expanded.statement), dict(expanded.parameters)
    return cast("LiteralString", compiled.string), params


async def list_entities_json_async(
    flt: EntityFilter | None = None, sort: str = "name", limit: int = 50, cursor: str | None = None
) -> tuple[list[str], int, str | None]:
    """``list_entities_json`` on the event loop (PostgreSQL only): no worker thread, no session;
    the database renders the items as it does for ``list_entities_json``."""
    plan = _plan(flt, sort, limit, cursor)
    head = [literal_column(ITEM_SQL_POSTGRES)]
    rows = await fetch_rows(*_pg_sql(_plan_statement(plan, head, True)))
    counted = rows or await fetch_rows(*_pg_sql(plan.count))  # past the last page: count alone
    total = int(counted[0][1] if rows else counted[0][0])
    page, next_cursor = _page_of(rows, plan)
    return [str(row[0]) for row in page], total, next_cursor


def list_entities(
    session: Session,
    flt: EntityFilter | None = None,
    sort: str = "name",
    limit: int = 50,
    cursor: str | None = None,
    *,
    with_total: bool = True,
    with_relations: bool = False,
) -> EntityPage:
    """A page of entities matching ``flt`` in ``sort`` order (``-`` prefix: descending).

    Sorts: name, kind, namespace, owner, type, lifecycle, system, score (ties by name, then uid).
    Descending sorts reverse only the first key, so names stay A-Z within a group.
    The total and (``with_relations``) each item's relations come in the same statement.
    """
    plan = _plan(flt, sort, limit, cursor)
    head: list[Any] = [Entity]
    if with_relations:
        head.append(_relations_column(session))
    rows, total, next_cursor = _run_plan(session, plan, head, with_total)
    relations = {row[0].ref: _decode_relations(row[1]) for row in rows} if with_relations else {}
    return EntityPage(
        items=[row[0] for row in rows], total=total, next_cursor=next_cursor, relations=relations
    )


def list_entities_json(
    session: Session,
    flt: EntityFilter | None = None,
    sort: str = "name",
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[str], int, str | None]:
    """Like ``list_entities`` but each item already Backstage-shaped JSON text (for the API).

    On PostgreSQL the database renders the items (``serialize.ITEM_SQL_POSTGRES``); elsewhere
    Python does, with the same result.
    """
    if session.get_bind().dialect.name != "postgresql":
        page = list_entities(session, flt, sort, limit, cursor, with_relations=True)
        items = [_dumps(entity_to_api(e, page.relations.get(e.ref, ()))) for e in page.items]
        return items, page.total, page.next_cursor
    plan = _plan(flt, sort, limit, cursor)
    head = [literal_column(ITEM_SQL_POSTGRES)]
    rows, total, next_cursor = _run_plan(session, plan, head, True, core=True)
    return [row[0] for row in rows], total, next_cursor


ENTITY_JSON_SQL_POSTGRES = f"SELECT {ITEM_SQL_POSTGRES} FROM entity WHERE entity.ref = %s"
_ENTITY_JSON_SQL = text(ENTITY_JSON_SQL_POSTGRES.replace("%s", ":ref"))


def normalise_ref(ref: str) -> str:
    """``ref`` in its stored form (Backstage's defaulting, lowercase); ``Invalid`` if malformed."""
    try:
        return str(parse_ref(ref))
    except RefError as exc:
        raise Invalid(str(exc), where="ref") from exc


def entity_json(session: Session, ref: str) -> str:
    """One entity as Backstage-shaped JSON text, relations included; ``NotFound`` if absent."""
    key = normalise_ref(ref)
    if session.get_bind().dialect.name != "postgresql":
        detail = get_entity_by_ref(session, key, resolve_targets=False)
        return _dumps(
            entity_to_api(detail.entity, [(r.type, r.target_ref) for r in detail.relations])
        )
    found = session.connection().execute(_ENTITY_JSON_SQL, {"ref": key}).scalar()
    if found is None:
        raise NotFound(f"no entity {key}")
    return str(found)


async def entity_json_async(ref: str) -> str:
    """``entity_json`` on the event loop (PostgreSQL only: ``db_async``)."""
    key = normalise_ref(ref)
    found = await fetch_value(ENTITY_JSON_SQL_POSTGRES, (key,))
    if found is None:
        raise NotFound(f"no entity {key}")
    return str(found)


def _dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), default=str, ensure_ascii=False)


_FACET_COLUMNS: dict[str, Any] = {
    "kind": Entity.kind,
    "type": Entity.spec_type,
    "owner": Entity.owner_ref,
    "lifecycle": Entity.lifecycle,
    "namespace": Entity.namespace,
    "system": Entity.system_ref,
}


_INDEX_FIELDS: dict[str, Any] = {**_FACET_COLUMNS, "status": Entity.status}
_REBUILD_GAP = 2.0  # seconds: while the catalog changes faster than this, count in SQL


class _FacetIndex:
    """Per field and value, the set of entities having it, as a bitmap (a Python int).

    Counting a facet is then ``(bitmap & mask).bit_count()`` per value: microseconds per value
    whatever the catalog's size, where SQL must group every matching row. Built once per data
    generation (one scan of the narrow columns and the tags).
    """

    def __init__(self, session: Session) -> None:
        cols = [Entity.uid, *_INDEX_FIELDS.values()]
        rows = session.exec(select(*cols)).all()  # type: ignore[call-overload]
        self.position = {row[0]: i for i, row in enumerate(rows)}
        size = (len(rows) + 8) // 8
        arrays: dict[str, dict[Any, bytearray]] = {f: {} for f in (*_INDEX_FIELDS, "tag")}
        for i, row in enumerate(rows):
            for field_name, value in zip(_INDEX_FIELDS, row[1:], strict=True):
                if value is not None:
                    bits = arrays[field_name].get(value)
                    if bits is None:
                        bits = arrays[field_name][value] = bytearray(size)
                    bits[i >> 3] |= 1 << (i & 7)
        for uid, tag in session.exec(select(EntityTag.entity_uid, EntityTag.tag)).all():  # type: ignore[call-overload]
            i = self.position.get(uid)
            if i is not None:
                bits = arrays["tag"].get(tag)
                if bits is None:
                    bits = arrays["tag"][tag] = bytearray(size)
                bits[i >> 3] |= 1 << (i & 7)
        self.maps = {
            f: {v: int.from_bytes(b, "little") for v, b in values.items()}
            for f, values in arrays.items()
        }
        self.everything = (1 << len(rows)) - 1
        self.built = time.monotonic()

    def mask(self, field_name: str, values: Sequence[str]) -> int:
        out = 0
        for value in values:
            out |= self.maps[field_name].get(value, 0)
        return out

    def bits_of(self, uids: Iterable[str]) -> int:
        out = 0
        for uid in uids:
            i = self.position.get(uid)
            if i is not None:
                out |= 1 << i
        return out


_facet_index: dict[str, tuple[Any, _FacetIndex]] = {}
_facet_lock = threading.Lock()


def _current_facet_index(session: Session) -> _FacetIndex | None:
    """This generation's index; None while the catalog changes faster than it can be rebuilt."""
    url = session.get_bind().url.render_as_string(hide_password=False)
    gen = cache.generation(url)
    with _facet_lock:
        known = _facet_index.get(url)
        if known is not None and known[0] == gen:
            return known[1]
        if known is not None and time.monotonic() - known[1].built < _REBUILD_GAP:
            return None
        index = _FacetIndex(session)
        _facet_index[url] = (gen, index)
        return index


def _filter_values(flt: EntityFilter) -> dict[str, tuple[str, ...]]:
    """The filter in stored form (lowercase kinds, normalised refs), per index field."""
    return {
        "kind": tuple(k.lower() for k in flt.kind),
        "type": flt.type,
        "owner": tuple(_norm_ref("owner", v) for v in flt.owner),
        "lifecycle": flt.lifecycle,
        "namespace": flt.namespace,
        "system": tuple(_norm_ref("system", v) for v in flt.system),
        "status": flt.status,
        "tag": flt.tag,
    }


def facet_counts(
    session: Session, flt: EntityFilter | None = None, fields: Iterable[str] = FACET_FIELDS
) -> dict[str, list[dict[str, Any]]]:
    """Counts per value of each field under the *other* filters (as Backstage's facets).

    Returns ``{field: [{"value": v, "count": n}, ...]}``, most frequent first; entities without
    a value for the field are not counted. Answered from an in-process bitmap index of the
    current data generation (``_FacetIndex``), or in SQL while the catalog is being rewritten.
    """
    flt = flt or EntityFilter()
    names = list(dict.fromkeys(fields))
    for name in names:
        if name not in FACET_FIELDS:
            raise Invalid(f"unknown facet {name!r}; one of {', '.join(FACET_FIELDS)}")
    index = _current_facet_index(session)
    if index is None:
        return _facet_counts_sql(session, flt, names)
    wanted = _filter_values(flt)
    masks = {f: index.mask(f, v) for f, v in wanted.items() if v}
    base = index.everything
    if flt.text:
        matching = select(Entity.uid).where(*_text_conditions(flt.text))
        base = index.bits_of(session.exec(matching).scalars().all())  # type: ignore[call-overload]
    out: dict[str, list[dict[str, Any]]] = {}
    for name in names:
        mask = base
        for other, bits in masks.items():
            if other != name:
                mask &= bits
        counts = [(v, (bits & mask).bit_count()) for v, bits in index.maps[name].items()]
        out[name] = [
            {"value": v, "count": n}
            for v, n in sorted(counts, key=lambda r: (-r[1], str(r[0])))
            if n
        ]
    return out


def _facet_counts_sql(
    session: Session, flt: EntityFilter, names: list[str]
) -> dict[str, list[dict[str, Any]]]:
    counts: dict[str, list[tuple[Any, int]]] = {name: [] for name in names}
    # One statement (UNION ALL of one GROUP BY per field): one round trip however many fields.
    # Separate GROUP BYs beat GROUPING SETS here: each is an index-only scan of its own index.
    arms = []
    for name in names:
        conds = _conditions(flt.without(name))
        label = literal(name).label("facet")
        if name == "tag":
            arm = select(label, EntityTag.tag.label("value"), func.count().label("n"))
            if conds:
                arm = arm.where(EntityTag.entity_uid.in_(select(Entity.uid).where(*conds)))  # type: ignore[attr-defined]
            arms.append(arm.group_by(EntityTag.tag))
        else:
            column = _FACET_COLUMNS[name]
            arms.append(
                select(label, column.label("value"), func.count().label("n"))
                .select_from(Entity)
                .where(column.is_not(None), *conds)
                .group_by(column)
            )
    if arms:
        stmt = arms[0] if len(arms) == 1 else union_all(*arms)
        for facet, value, count in session.exec(stmt).all():  # type: ignore[call-overload]
            counts[facet].append((value, count))
    return {
        name: [
            {"value": value, "count": count}
            for value, count in sorted(rows, key=lambda r: (-r[1], str(r[0])))
        ]
        for name, rows in counts.items()
    }


# --------------------------------------------------------------------------- one entity


@dataclass
class RelatedEntity:
    """A relation from the entity, with the target's summary when the target exists."""

    type: str
    target_ref: str
    kind: str
    namespace: str
    name: str
    title: str | None = None
    exists: bool = False
    url: str = ""


@dataclass
class EntityDetail:
    """An entity and its relations (both directions are stored, so outgoing is all of them)."""

    entity: Entity
    relations: list[RelatedEntity] = field(default_factory=list)


def entity_url(kind: str, namespace: str, name: str) -> str:
    """The console page for an entity (groups and users have their own pages)."""
    kind = kind.lower()
    if kind == "group" and namespace.lower() == "default":
        return f"/teams/{name}"
    if kind == "user" and namespace.lower() == "default":
        return f"/users/{name}"
    return f"/catalog/{kind}/{namespace}/{name}"


def _entities(session: Session, stmt: Any) -> list[Entity]:
    """Run a ``select(Entity)`` built with SQLAlchemy's ``select`` and return the rows' entities."""
    return list(session.exec(stmt).scalars().all())  # type: ignore[call-overload]


def _split_ref(ref: str) -> tuple[str, str, str]:
    parsed = parse_ref(ref)
    return parsed.kind, parsed.namespace, parsed.name


def relations_of(session: Session, refs: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """Outgoing ``(type, target_ref)`` pairs per source ref, de-duplicated, in one query."""
    out: dict[str, list[tuple[str, str]]] = {ref: [] for ref in refs}
    if not refs:
        return out
    source = Relation.source_ref
    stmt = (
        select(source, Relation.type, Relation.target_ref)
        .where(source == refs[0] if len(refs) == 1 else source.in_(refs))  # type: ignore[attr-defined]
        .distinct()
        .order_by(source, Relation.type, Relation.target_ref)
    )
    for src, rtype, target in session.exec(stmt).all():  # type: ignore[call-overload]
        out.setdefault(src, []).append((rtype, target))
    return out


def get_entity_by_ref(session: Session, ref: str, *, resolve_targets: bool = True) -> EntityDetail:
    """The entity with stored ref ``ref`` (any Backstage spelling with a kind) and relations."""
    try:
        key = str(parse_ref(ref))
    except RefError as exc:
        raise Invalid(str(exc), where="ref") from exc
    row = session.exec(  # type: ignore[call-overload]
        select(Entity, _relations_column(session)).where(Entity.ref == key)
    ).first()
    if row is None:
        raise NotFound(f"no entity {key}")
    entity, pairs = row[0], _decode_relations(row[1])
    targets: dict[str, Any] = {}
    if resolve_targets and pairs:
        wanted = sorted({t for _, t in pairs})
        rows = session.exec(  # type: ignore[call-overload]
            select(Entity.ref, Entity.title).where(Entity.ref.in_(wanted))  # type: ignore[attr-defined]
        ).all()
        targets = {r: title for r, title in rows}
    related = []
    for rtype, target in pairs:
        kind, namespace, name = _split_ref(target)
        related.append(
            RelatedEntity(
                type=rtype,
                target_ref=target,
                kind=kind,
                namespace=namespace,
                name=name,
                title=targets.get(target),
                exists=target in targets,
                url=entity_url(kind, namespace, name),
            )
        )
    return EntityDetail(entity=entity, relations=related)


def get_entity(
    session: Session, kind: str, namespace: str, name: str, *, resolve_targets: bool = True
) -> EntityDetail:
    """The entity at ``kind:namespace/name`` (case-insensitive) with its relations.

    Raises ``NotFound`` when there is none.
    """
    return get_entity_by_ref(
        session, format_ref(kind, namespace, name), resolve_targets=resolve_targets
    )


def ref_for_uid(session: Session, uid: str) -> str | None:
    return session.exec(select(Entity.ref).where(Entity.uid == uid)).scalar()  # type: ignore[call-overload]


def refs_for_location(session: Session, location_key: str) -> list[str]:
    """Refs of the entities a registered location produced (after the write side imported it)."""
    stmt = select(Entity.ref).where(Entity.location_key == location_key).order_by(Entity.ref)
    return list(session.exec(stmt).scalars().all())  # type: ignore[call-overload]


def entities_by_refs(session: Session, refs: Sequence[str]) -> list[Entity]:
    if not refs:
        return []
    stmt = select(Entity).where(Entity.ref.in_(refs)).order_by(Entity.ref)  # type: ignore[attr-defined]
    return _entities(session, stmt)


def catalog_errors(
    session: Session, *, location_key: str | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """Ingestion errors, newest first, JSON-ready (``str(IngestError)`` style in ``text``)."""
    stmt = select(CatalogError).order_by(CatalogError.at.desc(), CatalogError.id).limit(limit)  # type: ignore[attr-defined,union-attr]
    if location_key:
        stmt = stmt.where(CatalogError.location_key == location_key)
    out = []
    for err in session.exec(stmt).scalars().all():  # type: ignore[call-overload]
        where = [err.source]
        if err.document is not None:
            where.append(f"document {err.document + 1}")
        if err.field:
            where.append(err.field)
        out.append(
            {
                "id": err.id,
                "locationKey": err.location_key,
                "source": err.source,
                "document": err.document,
                "entityRef": err.entity_ref,
                "field": err.field,
                "message": err.message,
                "at": err.at.isoformat() if err.at else None,
                "text": ": ".join([*where, err.message]),
            }
        )
    return out


# --------------------------------------------------------------------------- summaries


class EntitySummary(TypedDict):
    ref: str
    kind: str
    namespace: str
    name: str
    title: str
    description: str
    type: str | None
    lifecycle: str | None
    owner: str | None
    system: str | None
    score: int | None
    status: str
    url: str


def entity_summary(entity: Entity) -> EntitySummary:
    """A row of a table or list: JSON-ready, small enough for Reflex state."""
    return EntitySummary(
        ref=entity.ref,
        kind=entity.kind,
        namespace=entity.namespace,
        name=entity.name,
        title=entity.title or entity.name,
        description=entity.description or "",
        type=entity.spec_type,
        lifecycle=entity.lifecycle,
        owner=entity.owner_ref,
        system=entity.system_ref,
        score=entity.score,
        status=entity.status,
        url=entity_url(entity.kind, entity.namespace, entity.name),
    )


@contextmanager
def read_scope(url: str | None = None) -> Iterator[Session]:
    """A session for reads only, in autocommit: no BEGIN/COMMIT round trips per request.

    Each statement sees a consistent snapshot, and the read paths here answer a request with
    one statement (``list_entities`` and ``get_entity_by_ref`` fold totals and relations in).
    """
    session = Session(get_read_engine(url), expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()


@contextmanager
def _session(session: Session | None) -> Iterator[Session]:
    if session is not None:
        yield session
    else:
        with session_scope() as own:
            yield own


class SearchHit(TypedDict):
    kind: str
    title: str
    subtitle: str
    url: str
    ref: str


_SEARCH_KIND_LABEL = {"group": "Team", "user": "User"}


def search_everything(
    text: str, limit: int = 8, *, session: Session | None = None
) -> list[SearchHit]:
    """Results for the top bar's search box: entities, teams (groups) and users.

    Name-prefix matches come first, then other prefix matches, then substring matches.
    """
    words = text.lower().split()
    if not words:
        return []
    first = _like_escape(words[0])
    rank = case(
        (func.lower(Entity.name).like(f"{first}%", escape="\\"), 0),
        (Entity.search_text.like(f"{first}%", escape="\\"), 1),  # type: ignore[attr-defined]
        (Entity.search_text.like(f"% {first}%", escape="\\"), 2),  # type: ignore[attr-defined]
        else_=3,
    )
    stmt = (
        select(Entity)
        .where(*_text_conditions(text), Entity.kind != "location")
        .order_by(rank, func.length(Entity.name), Entity.name)
        .limit(max(1, min(limit, 50)))
    )
    with _session(session) as s:
        hits: list[SearchHit] = []
        for e in _entities(s, stmt):
            label = _SEARCH_KIND_LABEL.get(e.kind, e.body.get("kind", e.kind))
            bits = [label]
            if e.spec_type:
                bits.append(e.spec_type)
            if e.owner_ref:
                bits.append(e.owner_ref.split("/", 1)[-1])
            if e.kind == "user":
                email = (e.body.get("spec", {}).get("profile") or {}).get("email")
                if email:
                    bits.append(email)
            hits.append(
                SearchHit(
                    kind=label,
                    title=e.title or _display_name(e) or e.name,
                    subtitle=" · ".join(bits),
                    url=entity_url(e.kind, e.namespace, e.name),
                    ref=e.ref,
                )
            )
        return hits


def _display_name(entity: Entity) -> str | None:
    profile = (entity.body.get("spec") or {}).get("profile") or {}
    return profile.get("displayName")


def _targets(session: Session, ref: str, rtype: str) -> list[str]:
    stmt = (
        select(Relation.target_ref)
        .where(Relation.source_ref == ref, Relation.type == rtype)
        .distinct()
        .order_by(Relation.target_ref)
    )
    return [r[0] for r in session.exec(stmt).all()]  # type: ignore[call-overload]


def _people(session: Session, refs: Sequence[str]) -> list[dict[str, Any]]:
    """Summaries for refs, including refs that name no entity (yet)."""
    if not refs:
        return []
    stmt = select(Entity).where(Entity.ref.in_(refs))  # type: ignore[attr-defined]
    found = {e.ref: e for e in _entities(session, stmt)}
    out = []
    for ref in refs:
        kind, namespace, name = _split_ref(ref)
        e = found.get(ref)
        profile = ((e.body.get("spec") or {}).get("profile") or {}) if e else {}
        out.append(
            {
                "ref": ref,
                "name": name,
                "title": (e.title if e else None) or profile.get("displayName") or name,
                "email": profile.get("email"),
                "picture": profile.get("picture"),
                "exists": e is not None,
                "url": entity_url(kind, namespace, name),
            }
        )
    return out


def _owned(session: Session, owner_refs: Sequence[str], limit: int) -> list[EntitySummary]:
    if not owner_refs:
        return []
    stmt = (
        select(Entity)
        .where(Entity.owner_ref.in_(owner_refs))  # type: ignore[union-attr]
        .order_by(Entity.kind, Entity.name)
        .limit(limit)
    )
    return [entity_summary(e) for e in _entities(session, stmt)]


def _group_ref(name: str) -> str:
    try:
        return str(parse_ref(name, default_kind="group"))
    except RefError as exc:
        raise Invalid(str(exc), where="team") from exc


def team_view(
    name: str, *, session: Session | None = None, owned_limit: int = 500
) -> dict[str, Any]:
    """A team page: the group, parent, children, members, owned entities, scorecard summary.

    ``name`` is a group name or ref (``team-a``, ``group:ns/team-a``). Raises ``NotFound``.
    """
    from pinconsole.catalog.scorecards import team_scorecard

    ref = _group_ref(name)
    with _session(session) as s:
        detail = get_entity_by_ref(s, ref, resolve_targets=False)
        group = detail.entity
        parents = _targets(s, ref, "childOf")
        children = _targets(s, ref, "parentOf")
        members = _targets(s, ref, "hasMember")
        profile = (group.body.get("spec") or {}).get("profile") or {}
        return {
            "ref": ref,
            "name": group.name,
            "title": group.title or profile.get("displayName") or group.name,
            "description": group.description or "",
            "type": group.spec_type,
            "email": profile.get("email"),
            "status": group.status,
            "parent": (_people(s, parents[:1]) or [None])[0],
            "children": _people(s, children),
            "members": _people(s, members),
            "owned": _owned(s, [ref], owned_limit),
            "owned_total": s.exec(  # type: ignore[call-overload]
                select(func.count()).select_from(Entity).where(Entity.owner_ref == ref)
            ).one()[0],
            "scorecard": team_scorecard(s, ref),
            "url": entity_url(group.kind, group.namespace, group.name),
        }


def user_view(
    name: str, *, session: Session | None = None, owned_limit: int = 500
) -> dict[str, Any]:
    """A user page: the user, their teams, and what they own directly or through a team."""
    try:
        ref = str(parse_ref(name, default_kind="user"))
    except RefError as exc:
        raise Invalid(str(exc), where="user") from exc
    with _session(session) as s:
        user = get_entity_by_ref(s, ref, resolve_targets=False).entity
        teams = _targets(s, ref, "memberOf")
        profile = (user.body.get("spec") or {}).get("profile") or {}
        return {
            "ref": ref,
            "name": user.name,
            "title": user.title or profile.get("displayName") or user.name,
            "email": profile.get("email"),
            "picture": profile.get("picture"),
            "status": user.status,
            "teams": _people(s, teams),
            "owned": _owned(s, [ref, *teams], owned_limit),
            "url": entity_url(user.kind, user.namespace, user.name),
        }


def home_summary(
    user_name: str, *, session: Session | None = None, limit: int = 10
) -> dict[str, Any]:
    """The home page's "my services" and "my team" modules for ``user_name``.

    A user absent from the catalog gets empty modules, not an error: the home page must render.
    """
    try:
        ref = str(parse_ref(user_name, default_kind="user"))
    except RefError:
        return {"my_services": [], "my_team": None, "teams": []}
    with _session(session) as s:
        teams = _targets(s, ref, "memberOf")
        # Ownership follows nesting: what a parent group owns belongs to its sub-teams' members.
        owners = ancestor_groups(s, set(teams)) | set(teams) | {ref}
        stmt = (
            select(Entity)
            .where(
                Entity.owner_ref.in_(sorted(owners)),  # type: ignore[union-attr]
                Entity.kind == "component",
            )
            .order_by(Entity.name)
            .limit(limit)
        )
        services = [entity_summary(e) for e in _entities(s, stmt)]
        my_team = None
        if teams:
            from pinconsole.catalog.scorecards import team_scorecard

            # "My team" is the direct group that owns the most (a directory user is often in
            # an admins or mailing group that owns nothing), then the first by name.
            owned = dict(
                s.exec(  # type: ignore[call-overload]
                    select(Entity.owner_ref, func.count())
                    .where(Entity.owner_ref.in_(teams))  # type: ignore[union-attr]
                    .group_by(Entity.owner_ref)
                ).all()
            )
            teams = sorted(teams, key=lambda t: -owned.get(t, 0))  # stable: name order on ties
            team = _people(s, teams[:1])[0]
            owned_total = owned.get(teams[0], 0)
            members = len(_targets(s, teams[0], "hasMember"))
            score = team_scorecard(s, teams[0], with_checks=False)["score"]
            my_team = {**team, "members": members, "owned_total": owned_total, "score": score}
        return {"my_services": services, "my_team": my_team, "teams": _people(s, teams)}
