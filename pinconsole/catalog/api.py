"""REST routes of the catalog under ``/api/v1``, shaped like Backstage's catalog API.

Thin by rule: parse parameters, call ``query``/``serialize``/the write side, render JSON.

Reads are answered from ``pinconsole.cache`` (keyed by the request's path and query, dropped on
any committed write in any process): a hit never leaves the event loop; a miss builds the body
in a worker thread with its own session. Every principal may read the whole catalog
(``*.read`` is open), so one cached body serves every caller. Bodies are rendered with
``json.dumps`` straight into a ``Response``: FastAPI's generic encoder costs more than the
database on a 50-row page.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from pinconsole import cache
from pinconsole.access.policy import Resource, allow_any_principal, authorize
from pinconsole.access.principal import Principal as AccessPrincipal
from pinconsole.api.deps import current_principal
from pinconsole.catalog import query
from pinconsole.catalog.descriptors import is_url
from pinconsole.catalog.locations import register_location as register_location_target
from pinconsole.catalog.serialize import entity_to_api, project_fields
from pinconsole.db import retry_read, session_scope
from pinconsole.db_async import supports_async_reads
from pinconsole.errors import Invalid, NotFound

__all__ = ["router"]

Principal = Annotated[AccessPrincipal, Depends(current_principal)]
JSON = "application/json"
CACHE_SPACE = "catalog.api"
CACHE_BYTES = 32 * 1024 * 1024  # response bodies kept per process

router = APIRouter(tags=["catalog"])

# Registering a URL location is open to everyone signed in, as in Backstage; file paths are not.
allow_any_principal("catalog.register")


async def _answer(request: Request, build: Callable[[Session], Any]) -> Response:
    """The cached body for this exact request, or ``build(session)`` rendered and cached."""
    key = (request.url.path, request.url.query)
    body = cache.lookup(CACHE_SPACE, key, maxsize=CACHE_BYTES, sizeof=len)
    if body is cache.MISSING:

        def compute() -> bytes:
            def read() -> bytes:
                with query.read_scope() as session:
                    return _dumps(build(session))

            return retry_read(read)

        body = await run_in_threadpool(
            functools.partial(cache.cached, maxsize=CACHE_BYTES, sizeof=len),
            CACHE_SPACE,
            key,
            compute,
        )
    return Response(content=body, media_type=JSON)


# Backstage's ``filter=kind=component,spec.type=service`` keys -> our filter fields.
_BACKSTAGE_KEYS = {
    "kind": "kind",
    "spec.type": "type",
    "spec.owner": "owner",
    "spec.lifecycle": "lifecycle",
    "metadata.namespace": "namespace",
    "metadata.tags": "tag",
    "spec.system": "system",
    "relations.ownedby": "owner",
    "relations.partof": "system",
}


def _filter_from(
    params: dict[str, list[str]], text: str | None, backstage_filter: list[str]
) -> query.EntityFilter:
    values: dict[str, list[str]] = {k: list(v) for k, v in params.items()}
    clause_fields: list[set[str]] = []
    for clause in backstage_filter:
        fields: set[str] = set()
        for part in clause.split(","):
            key, sep, value = part.partition("=")
            if not sep:
                continue
            name = _BACKSTAGE_KEYS.get(key.strip().lower())
            if name is None:
                raise Invalid(f"unsupported filter key {key.strip()!r}", where="filter")
            values.setdefault(name, []).append(value.strip())
            fields.add(name)
        clause_fields.append(fields)
    # Backstage ORs separate ``filter`` parameters and ANDs the keys within one (a key
    # repeated within one is OR-ed). Merged into one filter (OR within a field, AND across
    # fields) that is the same only when the parameters all name the same single field
    # (``filter=kind=user&filter=kind=group``); refuse other mixes rather than answer
    # something else than Backstage would.
    if len(clause_fields) > 1 and len(set().union(*clause_fields)) > 1:
        raise Invalid(
            "several filter parameters are OR-ed in Backstage; here they may only name the same "
            "one field (filter=kind=user&filter=kind=group); combine fields in one filter "
            "(filter=kind=component,spec.type=service)",
            where="filter",
        )
    return query.EntityFilter.build(text=text, **values)


def _page(
    session: Session,
    flt: query.EntityFilter,
    sort: str,
    limit: int,
    cursor: str | None,
    facets: str | None,
    fields: str | None,
) -> dict[str, Any]:
    wanted = [f for f in (fields or "").split(",") if f.strip()]
    items: list[Any]
    if wanted:
        with_relations = any(f.strip().startswith("relations") for f in wanted)
        page = query.list_entities(
            session, flt, sort=sort, limit=limit, cursor=cursor, with_relations=with_relations
        )
        items = [
            project_fields(entity_to_api(e, page.relations.get(e.ref, ())), wanted)
            for e in page.items
        ]
        total, next_cursor = page.total, page.next_cursor
    else:
        texts, total, next_cursor = query.list_entities_json(session, flt, sort, limit, cursor)
        items = [_Raw(t) for t in texts]
    out: dict[str, Any] = {"items": items, "total": total, "nextCursor": next_cursor}
    if facets:
        names = [f.strip() for f in facets.split(",") if f.strip()]
        out["facets"] = query.facet_counts(session, flt, names)
    return out


class _Raw(str):
    """JSON text to splice into a response as is (rendered by the database)."""


def _dumps(data: Any) -> bytes:
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
                rendered = json.dumps(value, separators=(",", ":"), default=str, ensure_ascii=False)
            parts.append(json.dumps(key) + ":" + rendered)
        return ("{" + ",".join(parts) + "}").encode()
    return json.dumps(data, separators=(",", ":"), default=str, ensure_ascii=False).encode()


Multi = Annotated[list[str], Query()]


@router.get("/entities", summary="List entities (filters, keyset cursor, facets)")
async def list_entities(
    request: Request,
    principal: Principal,
    kind: Multi = [],  # noqa: B006  (FastAPI reads these as query parameter declarations)
    type: Multi = [],  # noqa: B006
    owner: Multi = [],  # noqa: B006
    lifecycle: Multi = [],  # noqa: B006
    namespace: Multi = [],  # noqa: B006
    tag: Multi = [],  # noqa: B006
    system: Multi = [],  # noqa: B006
    status: Multi = [],  # noqa: B006
    filter: Multi = [],  # noqa: B006
    text: str | None = None,
    fullTextFilterTerm: str | None = None,
    sort: str = "name",
    limit: Annotated[int, Query(ge=1, le=query.MAX_LIMIT)] = 50,
    cursor: str | None = None,
    facets: str | None = None,
    fields: str | None = None,
) -> Response:
    """Entities matching every filter; each filter may repeat or hold comma-separated values.

    ``facets=kind,owner`` adds counts per value; ``fields=kind,metadata.name`` trims items;
    ``filter=kind=component,spec.type=service`` is accepted as Backstage writes it. Returns
    ``{items, total, nextCursor, facets?}``; pass ``nextCursor`` back as ``cursor``.
    """
    params = {
        "kind": kind,
        "type": type,
        "owner": owner,
        "lifecycle": lifecycle,
        "namespace": namespace,
        "tag": tag,
        "system": system,
        "status": status,
    }
    flt = _filter_from(params, text or fullTextFilterTerm, filter)
    if facets or fields or not supports_async_reads():
        return await _answer(request, lambda s: _page(s, flt, sort, limit, cursor, facets, fields))
    # The common page (PostgreSQL, whole items, no facets): read on the event loop.
    body = await cache.cached_async(
        CACHE_SPACE,
        (request.url.path, request.url.query),
        lambda: _list_body(flt, sort, limit, cursor),
        maxsize=CACHE_BYTES,
        sizeof=len,
    )
    return Response(content=body, media_type=JSON)


async def _list_body(flt: query.EntityFilter, sort: str, limit: int, cursor: str | None) -> bytes:
    texts, total, next_cursor = await query.list_entities_json_async(flt, sort, limit, cursor)
    return _dumps({"items": [_Raw(t) for t in texts], "total": total, "nextCursor": next_cursor})


@router.get("/entities/by-query", summary="Backstage's by-query endpoint (alias of /entities)")
async def entities_by_query(
    request: Request,
    principal: Principal,
    filter: Multi = [],  # noqa: B006
    fullTextFilterTerm: str | None = None,
    text: str | None = None,
    sort: str = "name",
    limit: Annotated[int, Query(ge=1, le=query.MAX_LIMIT)] = 50,
    cursor: str | None = None,
    fields: str | None = None,
) -> Response:
    """Backstage's response keys (``totalItems``, ``pageInfo.nextCursor``) beside ours."""
    flt = _filter_from({}, text or fullTextFilterTerm, filter)

    def build(session: Session) -> dict[str, Any]:
        out = _page(session, flt, sort, limit, cursor, None, fields)
        out["totalItems"] = out["total"]
        out["pageInfo"] = {"nextCursor": out["nextCursor"]} if out["nextCursor"] else {}
        return out

    return await _answer(request, build)


@router.get("/entity-facets", summary="Facet counts (Backstage's entity-facets)")
async def entity_facets(
    request: Request,
    principal: Principal,
    facet: Multi = [],  # noqa: B006
    filter: Multi = [],  # noqa: B006
    text: str | None = None,
) -> Response:
    """``{facets: {field: [{value, count}]}}``; each field counted under the other filters."""
    flt = _filter_from({}, text, filter)
    names = [n.strip() for f in facet for n in f.split(",") if n.strip()] or query.FACET_FIELDS
    return await _answer(request, lambda s: {"facets": query.facet_counts(s, flt, names)})


def _one(session: Session, ref: str) -> _Raw:
    return _Raw(query.entity_json(session, ref))


async def _entity_answer(request: Request, ref: str) -> Response:
    """One entity: on PostgreSQL read on the event loop (one prepared statement), else as
    every other read."""
    if not supports_async_reads():
        return await _answer(request, lambda s: _one(s, ref))
    body = await cache.cached_async(
        CACHE_SPACE,
        (request.url.path, request.url.query),
        lambda: _entity_body(ref),
        maxsize=CACHE_BYTES,
        sizeof=len,
    )
    return Response(content=body, media_type=JSON)


async def _entity_body(ref: str) -> bytes:
    return (await query.entity_json_async(ref)).encode()


@router.get("/entities/by-ref/{kind}/{namespace}/{name}", summary="One entity with relations")
async def entity_by_ref(
    request: Request, kind: str, namespace: str, name: str, principal: Principal
) -> Response:
    return await _entity_answer(request, f"{kind}:{namespace}/{name}")


@router.get("/entities/by-name/{kind}/{namespace}/{name}", summary="Backstage's by-name alias")
async def entity_by_name(
    request: Request, kind: str, namespace: str, name: str, principal: Principal
) -> Response:
    return await _entity_answer(request, f"{kind}:{namespace}/{name}")


@router.get("/entities/by-uid/{uid}", summary="One entity by uid")
async def entity_by_uid(request: Request, uid: str, principal: Principal) -> Response:
    def build(session: Session) -> _Raw:
        ref = query.ref_for_uid(session, uid)
        if ref is None:
            raise NotFound(f"no entity with uid {uid}")
        return _one(session, ref)

    return await _answer(request, build)


class LocationIn(BaseModel):
    """Backstage's ``POST /locations`` body."""

    type: str = Field(default="url", description="url (a file path or an http(s) URL)")
    target: str = Field(min_length=1, max_length=1000)


@router.post("/locations", status_code=201, summary="Register a location and import it")
def register_location(body: LocationIn, principal: Principal) -> Response:
    """Authorised as ``catalog.register``; the write side audits and imports the location."""
    authorize(principal, "catalog.register", Resource(kind="location", ref=body.target))
    if not is_url(body.target):
        # A path reads the backend's own disk: administrators only (as Backstage's rules).
        authorize(principal, "admin.catalog.register_file", Resource("location", body.target))
    location = register_location_target(body.target, actor=principal)
    with session_scope() as session:
        refs = query.refs_for_location(session, location.target)
        entities = []
        if refs:
            page_rels = query.relations_of(session, refs)
            entities = [
                entity_to_api(e, page_rels.get(e.ref, ()))
                for e in query.entities_by_refs(session, refs)
            ]
        errors = query.catalog_errors(session, location_key=location.target)
    out = {
        "location": {
            "id": str(location.id),
            "type": location.type,
            "target": location.target,
            "lastError": location.last_error,
        },
        "entities": entities,
        "errors": errors,
    }
    return Response(content=_dumps(out), status_code=201, media_type=JSON)


@router.get("/catalog/errors", summary="Descriptors that could not be ingested")
async def catalog_errors(
    request: Request,
    principal: Principal,
    location: str | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> Response:
    """``{items: [{locationKey, source, document, entityRef, field, message, at, text}]}``."""
    return await _answer(
        request,
        lambda s: {"items": query.catalog_errors(s, location_key=location, limit=limit)},
    )
