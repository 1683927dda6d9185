"""REST routes of the catalog under ``/api/v1``, shaped like Backstage's catalog API.

Thin by rule: parse parameters, call one ``catalog.service`` function (which answers from the
cache and chooses how to read) or one ``locations`` function, and return its JSON bytes.
"""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, StringConstraints

from pinconsole.access.principal import Principal as AccessPrincipal
from pinconsole.api.deps import current_principal
from pinconsole.api.paging import Cursor, Page
from pinconsole.api.params import RowId
from pinconsole.api.problems import problems
from pinconsole.catalog import locations, query, service
from pinconsole.catalog.api_models import (
    Entity,
    EntityPage,
    Facets,
    ImportFailure,
    Location,
    LocationItem,
    RefreshSummary,
    RegisteredLocation,
)
from pinconsole.errors import Invalid

__all__ = ["router"]

Principal = Annotated[AccessPrincipal, Depends(current_principal)]
JSON = "application/json"

router = APIRouter(tags=["catalog"])
# The catalog reads answer If-None-Match (``_read``).
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the If-None-Match ETag is still the answer's"}
}


def answers(model: Any, *extra: int) -> dict[int | str, dict[str, Any]]:
    """What a route that renders its own bytes answers: ``model`` (for OpenAPI), 304, problems."""
    return {200: {"model": model}, **NOT_MODIFIED, **problems(*extra)}


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


Multi = Annotated[list[str], Query()]
# What the routes accept, in their parameters' schemas: a sort order of ``query.SORTS``, facet
# names of ``query.FACET_FIELDS`` (comma-separated; blank items are ignored).
Sort = Literal[query.SORTS]  # type: ignore[valid-type]
_FACET = "|".join(query.FACET_FIELDS)
FacetNames = Annotated[
    str, StringConstraints(pattern=rf"^ *(?:{_FACET})? *(?:, *(?:{_FACET})? *)*$")
]
# entity-facets also takes Backstage's field names for the facets it counts.
_FACET_ALIASES = {
    **{f: f for f in query.FACET_FIELDS},
    **{k: v for k, v in _BACKSTAGE_KEYS.items() if v in query.FACET_FIELDS and "." in k},
}
_ANY_FACET = "|".join(re.escape(k) for k in _FACET_ALIASES)
FacetParam = Annotated[
    str,
    StringConstraints(pattern=rf"^ *(?:{_ANY_FACET})? *(?:, *(?:{_ANY_FACET})? *)*$"),
]


@router.get(
    "/entities",
    summary="List entities (filters, keyset cursor, facets)",
    responses=answers(EntityPage),
)
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
    sort: Sort = "name",
    limit: Annotated[int, Query(ge=1, le=query.MAX_LIMIT)] = 50,
    cursor: Cursor = None,
    facets: FacetNames | None = None,
    fields: str | None = None,
) -> Response:
    """Entities matching every filter; each filter may repeat or hold comma-separated values.

    ``facets=kind,owner`` adds counts per value; ``fields=kind,metadata.name`` trims items;
    ``filter=kind=component,spec.type=service`` is accepted as Backstage writes it. Returns
    ``{items, totalItems, pageInfo: {nextCursor?}, facets?}``; pass ``pageInfo.nextCursor``
    back as ``cursor`` (with the same filters and sort).
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
    body = await service.list_page(
        flt, sort, limit, cursor, facets=facets, fields=fields, key=_key(request)
    )
    return _read(request, body)


@router.get(
    "/entities/by-query",
    summary="Backstage's by-query endpoint (alias of /entities)",
    responses=answers(Page[Entity]),
)
async def entities_by_query(
    request: Request,
    principal: Principal,
    filter: Multi = [],  # noqa: B006
    fullTextFilterTerm: str | None = None,
    text: str | None = None,
    sort: Sort = "name",
    limit: Annotated[int, Query(ge=1, le=query.MAX_LIMIT)] = 50,
    cursor: Cursor = None,
    fields: str | None = None,
) -> Response:
    """Backstage's answer exactly: ``{items, totalItems, pageInfo: {nextCursor?}}``."""
    flt = _filter_from({}, text or fullTextFilterTerm, filter)
    body = await service.entities_by_query(
        flt, sort, limit, cursor, fields=fields, key=_key(request)
    )
    return _read(request, body)


@router.get(
    "/entity-facets",
    summary="Facet counts (Backstage's entity-facets)",
    responses=answers(Facets),
)
async def entity_facets(
    request: Request,
    principal: Principal,
    facet: Annotated[list[FacetParam], Query()] = [],  # noqa: B006
    filter: Multi = [],  # noqa: B006
    text: str | None = None,
) -> Response:
    """``{facets: {field: [{value, count}]}}``; each field counted under the other filters.

    ``facet`` takes our names (``type``) or Backstage's (``spec.type``, ``metadata.tags``),
    repeated or comma-separated, and each count is keyed by the name asked for, so a client
    written for Backstage's ``/entity-facets?facet=spec.type`` reads it unchanged.
    """
    flt = _filter_from({}, text, filter)
    asked = [n.strip() for f in facet for n in f.split(",") if n.strip()]
    labels = {_FACET_ALIASES[n]: n for n in asked}
    names = list(labels) or query.FACET_FIELDS
    return _read(request, await service.facets(flt, names, key=_key(request), labels=labels))


@router.get(
    "/entities/by-ref/{kind}/{namespace}/{name}",
    summary="One entity with relations",
    responses=answers(Entity, 404),
)
async def entity_by_ref(
    request: Request, kind: str, namespace: str, name: str, principal: Principal
) -> Response:
    return _read(request, await service.entity(f"{kind}:{namespace}/{name}", key=_key(request)))


@router.get(
    "/entities/by-name/{kind}/{namespace}/{name}",
    summary="Backstage's by-name alias",
    responses=answers(Entity, 404),
)
async def entity_by_name(
    request: Request, kind: str, namespace: str, name: str, principal: Principal
) -> Response:
    return _read(request, await service.entity(f"{kind}:{namespace}/{name}", key=_key(request)))


@router.get(
    "/entities/by-uid/{uid}",
    summary="One entity by uid",
    responses=answers(Entity, 404),
)
async def entity_by_uid(request: Request, uid: str, principal: Principal) -> Response:
    return _read(request, await service.entity_by_uid(uid, key=_key(request)))


class LocationIn(BaseModel):
    """Backstage's ``POST /locations`` body."""

    type: str = Field(default="url", description="url (a file path or an http(s) URL)")
    # A control character (NUL among them) is in no real path or URL; NUL made resolving the
    # path raise ValueError, a 500.
    target: str = Field(min_length=1, max_length=1000, pattern=r"^[^\x00-\x1f\x7f]*$")


@router.post(
    "/locations",
    status_code=201,
    summary="Register a location and import it",
    responses={201: {"model": RegisteredLocation}, **problems(400, 403)},
)
def register_location(body: LocationIn, principal: Principal) -> Response:
    """Anyone signed in may register a URL, administrators a file path; what a non-admin's
    location may bring in is set by ``catalog_rules``. Authorized and audited by the write side.
    """
    answer = service.register_location(body.target, principal)
    return Response(content=answer, status_code=201, media_type=JSON)


@router.get(
    "/locations",
    summary="Every location: configured ones, then registered ones",
    responses={200: {"model": list[LocationItem]}},
)
def list_locations(principal: Principal) -> Response:
    """Backstage's shape, ``[{data: {id, type, target, ...}}]``; configured ones have no id."""
    return _json([{"data": view.as_api()} for view in locations.list_locations()])


@router.get(
    "/locations/{location_id}",
    summary="One registered location",
    responses={200: {"model": Location}, **problems(404)},
)
def get_location(location_id: RowId, principal: Principal) -> Response:
    return _json(locations.get_location(location_id).as_api())


@router.post(
    "/locations/{location_id}/refresh",
    summary="Import one registered location now",
    responses={200: {"model": RefreshSummary}, **problems(403, 404)},
)
def refresh_location(location_id: RowId, principal: Principal) -> Response:
    """For its registrant, the owners of what it provides and administrators."""
    summary = locations.refresh_location(location_id, principal)
    return _json(
        {
            "added": summary.added,
            "updated": summary.updated,
            "unchanged": summary.unchanged,
            "orphaned": summary.orphaned,
            "errors": [str(e) for e in summary.errors],
        }
    )


@router.delete(
    "/locations/{location_id}",
    status_code=204,
    summary="Remove a location",
    responses=problems(403, 404),
)
def delete_location(location_id: RowId, principal: Principal) -> Response:
    """Its entities become orphans (removed after the grace period), as in Backstage."""
    locations.unregister_location(location_id, principal)
    return Response(status_code=204)


def _key(request: Request) -> tuple[str, str]:
    """The request as a cache key: any difference in path or query is a different answer."""
    return request.url.path, request.url.query


def _body(data: Any) -> bytes:
    """JSON bytes as they are, anything else rendered (``service.render``)."""
    return data if isinstance(data, bytes) else service.render(data)


def _json(data: Any) -> Response:
    return Response(content=_body(data), media_type=JSON)


def _etag(body: bytes) -> str:
    return 'W/"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110's weak comparison of ``If-None-Match`` (a list, or ``*``) with ``etag``."""
    opaque = etag.removeprefix("W/")
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or opaque in tags


def _read(request: Request, data: Any) -> Response:
    """A catalog read with a weak ETag (a hash of the body), and 304 when the client has it.

    Only after the route ran: the principal was checked (401 before any 304) and the answer
    came from the same per-request cache entry a 200 would. The catalog reads the same for
    every signed-in caller, and ``private`` keeps shared caches from storing an authenticated
    answer; ``no-cache`` makes the browser ask again each time, cheaply."""
    body = _body(data)
    headers = {"ETag": _etag(body), "Cache-Control": "private, no-cache"}
    if _matches(request.headers.get("if-none-match", ""), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type=JSON, headers=headers)


@router.get(
    "/catalog/errors",
    summary="Descriptors that could not be ingested, newest first",
    responses={200: {"model": Page[ImportFailure]}},
)
async def catalog_errors(
    request: Request,
    principal: Principal,
    location: str | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    cursor: Cursor = None,
) -> Response:
    return _json(await service.import_errors(location, limit, cursor, key=_key(request)))
