"""REST routes of the catalog under ``/api/v1``, shaped like Backstage's catalog API.

Thin by rule: parse parameters, call ``query``/``serialize``/the write side, render JSON. Bodies
are rendered with ``json.dumps`` straight into a ``Response``: FastAPI's generic encoder costs
more than the database on a 50-row page.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from pinconsole.catalog import query
from pinconsole.catalog.serialize import entity_to_api, project_fields
from pinconsole.db import session_scope
from pinconsole.errors import DomainError, Invalid, NotFound, Unauthenticated, Unavailable

__all__ = ["router"]


def _principal_dependency() -> Callable[..., Any]:
    """The access core's ``current_principal`` (bearer token or session)."""
    try:
        from pinconsole.api.deps import current_principal
    except ImportError:  # pragma: no cover - only while the access core is being written

        def current_principal(request: Request) -> Any:  # TODO(access): remove fallback
            raise Unauthenticated("authentication is not configured")

    return current_principal


Principal = Annotated[Any, Depends(_principal_dependency())]


def _session() -> Iterator[Session]:
    with session_scope() as session:
        yield session


DB = Annotated[Session, Depends(_session)]


def _json(data: Any, status: int = 200, media_type: str = "application/json") -> Response:
    body = json.dumps(data, separators=(",", ":"), default=str, ensure_ascii=False)
    return Response(content=body, status_code=status, media_type=media_type)


def _problem(exc: DomainError) -> Response:
    """RFC 9457 problem details, the shape every PinConsole API error takes."""
    data = {"type": "about:blank", "title": exc.title, "status": exc.status, "detail": str(exc)}
    return _json(data, exc.status, "application/problem+json")


router = APIRouter(tags=["catalog"])


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
    for clause in backstage_filter:
        for part in clause.split(","):
            key, sep, value = part.partition("=")
            if not sep:
                continue
            name = _BACKSTAGE_KEYS.get(key.strip().lower())
            if name is None:
                raise Invalid(f"unsupported filter key {key.strip()!r}", where="filter")
            values.setdefault(name, []).append(value.strip())
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
    page = query.list_entities(session, flt, sort=sort, limit=limit, cursor=cursor)
    wanted = [f for f in (fields or "").split(",") if f.strip()]
    rels = (
        query.relations_of(session, [e.ref for e in page.items])
        if not wanted or any(f.strip().startswith("relations") for f in wanted)
        else {}
    )
    items = [entity_to_api(e, rels.get(e.ref, ())) for e in page.items]
    if wanted:
        items = [project_fields(i, wanted) for i in items]
    out: dict[str, Any] = {"items": items, "total": page.total, "nextCursor": page.next_cursor}
    if facets:
        names = [f.strip() for f in facets.split(",") if f.strip()]
        out["facets"] = query.facet_counts(session, flt, names)
    return out


Multi = Annotated[list[str], Query()]


@router.get("/entities", summary="List entities (filters, keyset cursor, facets)")
def list_entities(
    session: DB,
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
    ``filter=kind=component,spec.type=service`` is accepted as Backstage writes it.
    """
    try:
        flt = _filter_from(
            {
                "kind": kind,
                "type": type,
                "owner": owner,
                "lifecycle": lifecycle,
                "namespace": namespace,
                "tag": tag,
                "system": system,
                "status": status,
            },
            text or fullTextFilterTerm,
            filter,
        )
        return _json(_page(session, flt, sort, limit, cursor, facets, fields))
    except DomainError as exc:
        return _problem(exc)


@router.get("/entities/by-query", summary="Backstage's by-query endpoint (alias of /entities)")
def entities_by_query(
    session: DB,
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
    try:
        flt = _filter_from({}, text or fullTextFilterTerm, filter)
        out = _page(session, flt, sort, limit, cursor, None, fields)
    except DomainError as exc:
        return _problem(exc)
    out["totalItems"] = out["total"]
    out["pageInfo"] = {"nextCursor": out["nextCursor"]} if out["nextCursor"] else {}
    return _json(out)


@router.get("/entity-facets", summary="Facet counts (Backstage's entity-facets)")
def entity_facets(
    session: DB,
    principal: Principal,
    facet: Multi = [],  # noqa: B006
    filter: Multi = [],  # noqa: B006
    text: str | None = None,
) -> Response:
    try:
        flt = _filter_from({}, text, filter)
        names = [n.strip() for f in facet for n in f.split(",") if n.strip()]
        return _json({"facets": query.facet_counts(session, flt, names or query.FACET_FIELDS)})
    except DomainError as exc:
        return _problem(exc)


def _one(session: Session, ref: str) -> Response:
    try:
        detail = query.get_entity_by_ref(session, ref, resolve_targets=False)
    except DomainError as exc:
        return _problem(exc)
    pairs = [(r.type, r.target_ref) for r in detail.relations]
    return _json(entity_to_api(detail.entity, pairs))


@router.get("/entities/by-ref/{kind}/{namespace}/{name}", summary="One entity with relations")
def entity_by_ref(
    kind: str, namespace: str, name: str, session: DB, principal: Principal
) -> Response:
    return _one(session, f"{kind}:{namespace}/{name}")


@router.get("/entities/by-name/{kind}/{namespace}/{name}", summary="Backstage's by-name alias")
def entity_by_name(
    kind: str, namespace: str, name: str, session: DB, principal: Principal
) -> Response:
    return _one(session, f"{kind}:{namespace}/{name}")


@router.get("/entities/by-uid/{uid}", summary="One entity by uid")
def entity_by_uid(uid: str, session: DB, principal: Principal) -> Response:
    ref = query.ref_for_uid(session, uid)
    if ref is None:
        return _problem(NotFound(f"no entity with uid {uid}"))
    return _one(session, ref)


class LocationIn(BaseModel):
    """Backstage's ``POST /locations`` body."""

    type: str = Field(default="url", description="url (a file path or an http(s) URL)")
    target: str = Field(min_length=1, max_length=1000)


@router.post("/locations", status_code=201, summary="Register a location and import it")
def register_location(body: LocationIn, principal: Principal) -> Response:
    """Authorised as ``catalog.register``; the write side audits and imports the location."""
    from pinconsole.access.policy import Resource, authorize
    from pinconsole.catalog.descriptors import is_url

    try:
        from pinconsole.catalog.locations import register_location as register
    except ImportError:  # pragma: no cover - the write side's module not written yet
        return _problem(Unavailable("location registration is not available yet"))
    try:
        authorize(principal, "catalog.register", Resource(kind="location", ref=body.target))
        if not is_url(body.target):
            # A path reads the backend's own disk: administrators only (as Backstage's rules).
            authorize(principal, "admin.catalog.register_file", Resource("location", body.target))
        location = register(body.target, actor=getattr(principal, "name", str(principal)))
    except DomainError as exc:
        return _problem(exc)
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
    return _json(out, 201)


@router.get("/catalog/errors", summary="Descriptors that could not be ingested")
def catalog_errors(
    session: DB,
    principal: Principal,
    location: str | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> Response:
    return _json({"items": query.catalog_errors(session, location_key=location, limit=limit)})
