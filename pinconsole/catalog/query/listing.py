"""Filtered, sorted pages of entities with keyset pagination.

Everything is plain SQL over the denormalised ``entity`` columns, so a page is answered by
indexes and never by loading the catalog into Python. The cursor carries the last row's sort
key and uid: pages stay stable while an import writes, and page 400 costs what page 1 costs.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, LiteralString, cast

import cachetools
from sqlalchemy import ColumnElement, and_, func, literal, literal_column, or_, select, tuple_
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg
from sqlmodel import Session

from pinconsole.catalog.query.entity import decode_relations, relations_column
from pinconsole.catalog.query.filters import EntityFilter, conditions
from pinconsole.catalog.serialize import ITEM_SQL_POSTGRES, entity_to_api, to_json
from pinconsole.db import is_postgres
from pinconsole.db_async import fetch_rows
from pinconsole.errors import Invalid
from pinconsole.models.catalog import Entity

MAX_LIMIT = 500

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
    conds = conditions(flt)
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


def count_entities(session: Session, flt: EntityFilter | None = None) -> int:
    """How many entities match ``flt`` (the whole catalog without one)."""
    stmt = select(func.count()).select_from(Entity).where(*conditions(flt or EntityFilter()))
    return int(session.exec(stmt).one()[0])  # type: ignore[call-overload]


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
        head.append(relations_column(session))
    rows, total, next_cursor = _run_plan(session, plan, head, with_total)
    relations = {row[0].ref: decode_relations(row[1]) for row in rows} if with_relations else {}
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
    if not is_postgres(session):
        page = list_entities(session, flt, sort, limit, cursor, with_relations=True)
        items = [to_json(entity_to_api(e, page.relations.get(e.ref, ()))) for e in page.items]
        return items, page.total, page.next_cursor
    plan = _plan(flt, sort, limit, cursor)
    head = [literal_column(ITEM_SQL_POSTGRES)]
    rows, total, next_cursor = _run_plan(session, plan, head, True, core=True)
    return [row[0] for row in rows], total, next_cursor
