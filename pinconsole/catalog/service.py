"""The catalog's REST answers: one function per endpoint, each choosing how to read.

A body is answered from ``pinconsole.cache`` (dropped on any committed write in any process):
a hit never leaves the event loop. On a miss, on PostgreSQL the common reads (a page of whole
items, one entity by ref) run on the event loop as one prepared statement (``db_async``);
every other read is built in a worker thread in a read session of its own. Every principal may
read the whole catalog (``*.read`` is open), so one cached body serves every caller. Bodies are
JSON bytes rendered here (items often already JSON text from the database): FastAPI's generic
encoder costs more than the database on a 50-row page.

Every read takes ``key``, what identifies the request for the cache: the API passes its path
and query string, so requests that differ in any way are answered apart (the benchmark's cold
requests rely on that).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Any

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from pinconsole import cache
from pinconsole.access.principal import Principal
from pinconsole.api.paging import offset_page, read_cursor
from pinconsole.catalog import locations, query
from pinconsole.catalog.query import EntityFilter
from pinconsole.catalog.serialize import entity_to_api, project_fields, to_json
from pinconsole.db import is_postgres, run_read
from pinconsole.errors import NotFound

__all__ = [
    "entities_by_query",
    "entity",
    "entity_by_uid",
    "facets",
    "import_errors",
    "list_page",
    "register_location",
    "render",
]

CACHE_SPACE = "catalog.api"
CACHE_BYTES = 32 * 1024 * 1024  # response bodies kept per process


class _Raw(str):
    """JSON text to splice into a body as is (rendered by the database)."""


def render(data: Any) -> bytes:
    """Compact JSON; ``_Raw`` values (already JSON) are spliced in without a parse."""
    if isinstance(data, _Raw):
        return data.encode()
    if isinstance(data, dict) and any(
        isinstance(v, list) and v and isinstance(v[0], _Raw) for v in data.values()
    ):
        parts = []
        for key, value in data.items():
            if isinstance(value, list) and value and isinstance(value[0], _Raw):
                rendered = "[" + ",".join(value) + "]"
            else:
                rendered = to_json(value)
            parts.append(json.dumps(key) + ":" + rendered)
        return ("{" + ",".join(parts) + "}").encode()
    return to_json(data).encode()


async def _in_thread(key: Hashable, build: Callable[[Session], Any]) -> bytes:
    """The cached body for ``key``, or ``build(session)`` rendered in a worker thread."""
    body = cache.lookup(CACHE_SPACE, key, maxsize=CACHE_BYTES, sizeof=len)
    if body is cache.MISSING:
        body = await run_in_threadpool(
            functools.partial(cache.cached, maxsize=CACHE_BYTES, sizeof=len),
            CACHE_SPACE,
            key,
            lambda: run_read(lambda session: render(build(session))),
        )
    return body  # type: ignore[no-any-return]


async def _on_loop(key: Hashable, compute: Callable[[], Awaitable[bytes]]) -> bytes:
    """The cached body for ``key``, or ``compute()`` awaited on the event loop (PostgreSQL)."""
    return await cache.cached_async(CACHE_SPACE, key, compute, maxsize=CACHE_BYTES, sizeof=len)


def _page(
    session: Session,
    flt: EntityFilter,
    sort: str,
    limit: int,
    cursor: str | None,
    facet_names: Sequence[str],
    fields: Sequence[str],
) -> dict[str, Any]:
    items: list[Any]
    if fields:
        with_relations = any(f.strip().startswith("relations") for f in fields)
        page = query.list_entities(
            session, flt, sort=sort, limit=limit, cursor=cursor, with_relations=with_relations
        )
        items = [
            project_fields(entity_to_api(e, page.relations.get(e.ref, ())), fields)
            for e in page.items
        ]
        total, next_cursor = page.total, page.next_cursor
    else:
        texts, total, next_cursor = query.list_entities_json(session, flt, sort, limit, cursor)
        items = [_Raw(t) for t in texts]
    out = _envelope(items, total, next_cursor)
    if facet_names:
        out["facets"] = query.facet_counts(session, flt, facet_names)
    return out


def _names(raw: str | None) -> tuple[str, ...]:
    return tuple(f.strip() for f in (raw or "").split(",") if f.strip())


def _envelope(items: list[Any], total: int, next_cursor: str | None) -> dict[str, Any]:
    """Backstage's by-query envelope, the one every list of the API answers (``api.paging``);
    the keyset cursor pages forwards only, so there is never a ``prevCursor``."""
    info = {"nextCursor": next_cursor} if next_cursor else {}
    return {"items": items, "totalItems": total, "pageInfo": info}


async def _list(
    key: Hashable,
    flt: EntityFilter,
    sort: str,
    limit: int,
    cursor: str | None,
    facet_names: tuple[str, ...],
    wanted: tuple[str, ...],
) -> bytes:
    if is_postgres() and not facet_names and not wanted:
        # The common page (whole items, no facets): one statement on the event loop.
        async def on_loop() -> bytes:
            texts, total, next_cursor = await query.list_entities_json_async(
                flt, sort, limit, cursor
            )
            return render(_envelope([_Raw(t) for t in texts], total, next_cursor))

        return await _on_loop(key, on_loop)
    return await _in_thread(key, lambda s: _page(s, flt, sort, limit, cursor, facet_names, wanted))


async def list_page(
    flt: EntityFilter,
    sort: str = "name",
    limit: int = 50,
    cursor: str | None = None,
    *,
    facets: str | None = None,
    fields: str | None = None,
    key: Hashable,
) -> bytes:
    """``{items, totalItems, pageInfo[, facets]}``: a page of entities, ``facets``
    (comma-separated fields) counted under the filter, items trimmed to ``fields``
    (comma-separated paths)."""
    facet_names, wanted = _names(facets), _names(fields)
    return await _list(key, flt, sort, limit, cursor, facet_names, wanted)


async def entities_by_query(
    flt: EntityFilter,
    sort: str = "name",
    limit: int = 50,
    cursor: str | None = None,
    *,
    fields: str | None = None,
    key: Hashable,
) -> bytes:
    """``list_page`` without facets: exactly Backstage's ``{items, totalItems, pageInfo}``."""
    return await _list(key, flt, sort, limit, cursor, (), _names(fields))


async def facets(
    flt: EntityFilter,
    names: Sequence[str],
    *,
    key: Hashable,
    labels: Mapping[str, str] | None = None,
) -> bytes:
    """``{facets: {field: [{value, count}]}}``, each field counted under the other filters;
    ``labels`` names a field as the caller asked for it (Backstage's ``spec.type``)."""
    names = tuple(dict.fromkeys(names))
    shown = dict(labels or {})

    def build(s: Session) -> dict[str, Any]:
        counts = query.facet_counts(s, flt, names)
        return {"facets": {shown.get(f, f): values for f, values in counts.items()}}

    return await _in_thread(key, build)


async def entity(ref: str, *, key: Hashable) -> bytes:
    """One entity with its relations, by ref (``NotFound`` when absent)."""
    if is_postgres():
        # One prepared statement on the event loop.
        async def on_loop() -> bytes:
            return (await query.entity_json_async(ref)).encode()

        return await _on_loop(key, on_loop)
    return await _in_thread(key, lambda s: _Raw(query.entity_json(s, ref)))


async def entity_by_uid(uid: str, *, key: Hashable) -> bytes:
    """One entity with its relations, by uid (``NotFound`` when absent)."""

    def build(session: Session) -> _Raw:
        ref = query.ref_for_uid(session, uid)
        if ref is None:
            raise NotFound(f"no entity with uid {uid}")
        return _Raw(query.entity_json(session, ref))

    return await _in_thread(key, build)


async def import_errors(
    location: str | None = None, limit: int = 500, cursor: str | None = None, *, key: Hashable
) -> bytes:
    """A page of the descriptors that could not be ingested, newest first."""
    offset = read_cursor("catalog.errors", cursor)

    def build(s: Session) -> dict[str, Any]:
        items = query.catalog_errors(s, location_key=location, limit=limit, offset=offset)
        total = query.count_catalog_errors(s, location_key=location)
        return offset_page("catalog.errors", items, total, offset, limit)

    return await _in_thread(key, build)


def register_location(target: str, actor: Principal) -> bytes:
    """Register (authorized and audited by the write side), import, and answer Backstage's
    ``{location, entities, errors}``. Blocking: the route runs in a worker thread."""
    location = locations.register_location(target, actor=actor)

    def answer(session: Session) -> dict[str, Any]:
        refs = query.refs_for_location(session, location.target)
        entities = []
        if refs:
            page_rels = query.relations_of(session, refs)
            entities = [
                entity_to_api(e, page_rels.get(e.ref, ()))
                for e in query.entities_by_refs(session, refs)
            ]
        return {
            "location": {
                "id": str(location.id),
                "type": location.type,
                "target": location.target,
                "trusted": location.trusted,
                "lastError": location.last_error,
            },
            "entities": entities,
            "errors": query.catalog_errors(session, location_key=location.target),
        }

    return render(run_read(answer))
