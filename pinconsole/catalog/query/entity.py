"""One entity (by ref, name or uid) with its relations, lookups by refs, and the summary row
lists and tables show."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

from sqlalchemy import func, select, text
from sqlmodel import Session

from pinconsole.catalog.refs import RefError, format_ref, parse_ref
from pinconsole.catalog.serialize import ITEM_SQL_POSTGRES, entity_to_api, to_json
from pinconsole.db import is_postgres
from pinconsole.db_async import fetch_value
from pinconsole.errors import Invalid, NotFound
from pinconsole.models.catalog import Entity, Relation

# Scored kinds: the ones a team owns and is judged on.
OWNED_KINDS = ("component", "api", "resource", "system", "domain")


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
    """The console page for an entity. The default namespace's groups have their team page; a
    person's page is their entity page (``/users/<name>`` only opens it)."""
    kind = kind.lower()
    if kind == "group" and namespace.lower() == "default":
        return f"/teams/{name}"
    return f"/catalog/{kind}/{namespace}/{name}"


def entities(session: Session, stmt: Any) -> list[Entity]:
    """Run a ``select(Entity)`` built with SQLAlchemy's ``select`` and return the rows' entities."""
    return list(session.exec(stmt).scalars().all())  # type: ignore[call-overload]


def split_ref(ref: str) -> tuple[str, str, str]:
    parsed = parse_ref(ref)
    return parsed.kind, parsed.namespace, parsed.name


def normalise_ref(ref: str) -> str:
    """``ref`` in its stored form (Backstage's defaulting, lowercase); ``Invalid`` if malformed."""
    try:
        return str(parse_ref(ref))
    except RefError as exc:
        raise Invalid(str(exc), where="ref") from exc


def relations_column(session: Session) -> Any:
    """A per-row column with the entity's outgoing relations as JSON ``[[type, target], ...]``.

    Fetching them in the same statement saves a round trip per request, which is most of the
    cost of a page on PostgreSQL. Duplicates (one relation stated by two origins) are removed by
    ``decode_relations``.
    """
    pair_agg = (
        func.json_agg(func.json_build_array(Relation.type, Relation.target_ref))
        if is_postgres(session)
        else func.json_group_array(func.json_array(Relation.type, Relation.target_ref))
    )
    return (
        select(pair_agg)
        .where(Relation.source_ref == Entity.ref)
        .correlate(Entity)  # type: ignore[arg-type]
        .scalar_subquery()
    )


def decode_relations(raw: Any) -> list[tuple[str, str]]:
    if raw is None:
        return []
    pairs = json.loads(raw) if isinstance(raw, str | bytes) else raw
    return sorted({(p[0], p[1]) for p in pairs if p and p[0] is not None})


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
    key = normalise_ref(ref)
    row = session.exec(  # type: ignore[call-overload]
        select(Entity, relations_column(session)).where(Entity.ref == key)
    ).first()
    if row is None:
        raise NotFound(f"no entity {key}")
    entity, pairs = row[0], decode_relations(row[1])
    targets: dict[str, Any] = {}
    if resolve_targets and pairs:
        wanted = sorted({t for _, t in pairs})
        rows = session.exec(  # type: ignore[call-overload]
            select(Entity.ref, Entity.title).where(Entity.ref.in_(wanted))  # type: ignore[attr-defined]
        ).all()
        targets = {r: title for r, title in rows}
        targets.update(_display_names(session, [r for r, t in targets.items() if not t]))
    related = []
    for rtype, target in pairs:
        kind, namespace, name = split_ref(target)
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


def _display_names(session: Session, refs: Sequence[str]) -> dict[str, str]:
    """Directory display names of the people and teams among ``refs`` that have no title (a
    relation list of members then reads "Alice Archer", not "alice")."""
    wanted = [r for r in refs if r.startswith(("user:", "group:"))]
    if not wanted:
        return {}
    rows = session.exec(  # type: ignore[call-overload]
        select(Entity.ref, Entity.body).where(Entity.ref.in_(wanted))  # type: ignore[attr-defined]
    ).all()
    out = {}
    for ref, body in rows:
        profile = ((body or {}).get("spec") or {}).get("profile")
        name = profile.get("displayName") if isinstance(profile, dict) else None
        if isinstance(name, str) and name:
            out[ref] = name
    return out


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
    return entities(session, stmt)


# --------------------------------------------------------------------------- as API JSON

ENTITY_JSON_SQL_POSTGRES = f"SELECT {ITEM_SQL_POSTGRES} FROM entity WHERE entity.ref = %s"
_ENTITY_JSON_SQL = text(ENTITY_JSON_SQL_POSTGRES.replace("%s", ":ref"))


def entity_json(session: Session, ref: str) -> str:
    """One entity as Backstage-shaped JSON text, relations included; ``NotFound`` if absent."""
    key = normalise_ref(ref)
    if not is_postgres(session):
        detail = get_entity_by_ref(session, key, resolve_targets=False)
        return to_json(
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
