"""What the entity, team, user and home pages and the import-errors list show, each read in one
call.

The page views take ``session=None`` and then read in a session of their own (``run_read``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from pinconsole.access.principal import ancestor_groups
from pinconsole.catalog.query.entity import (
    OWNED_KINDS,
    EntityDetail,
    EntitySummary,
    entities,
    entity_summary,
    entity_url,
    get_entity,
    get_entity_by_ref,
    split_ref,
)
from pinconsole.catalog.query.links import safe_links, team_chat
from pinconsole.catalog.refs import RefError, parse_ref
from pinconsole.db import run_read
from pinconsole.errors import DomainError, Invalid
from pinconsole.models.catalog import CatalogError, Entity, Relation


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
    found = {e.ref: e for e in entities(session, stmt)}
    out = []
    for ref in refs:
        kind, namespace, name = split_ref(ref)
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
    return [entity_summary(e) for e in entities(session, stmt)]


def _ref(name: str, kind: str, where: str) -> str:
    try:
        return str(parse_ref(name, default_kind=kind))
    except RefError as exc:
        raise Invalid(str(exc), where=where) from exc


@dataclass(frozen=True)
class EntityView:
    """One entity with its relations, its scorecard (owned kinds only) and its domain."""

    detail: EntityDetail
    scorecard: dict[str, Any] | None
    domain_ref: str | None


def entity_view(
    kind: str, namespace: str, name: str, *, session: Session | None = None
) -> EntityView:
    """What the entity page shows. Raises ``NotFound``."""
    return run_read(lambda s: _entity_view(s, kind, namespace, name), session=session)


def _entity_view(s: Session, kind: str, namespace: str, name: str) -> EntityView:
    from pinconsole.catalog.scorecards import evaluate_entity

    detail = get_entity(s, kind, namespace, name)
    card = evaluate_entity(s, detail.entity) if detail.entity.kind in OWNED_KINDS else None
    return EntityView(detail, card, domain_of(s, detail.entity))


def domain_of(session: Session, entity: Entity) -> str | None:
    """A system's own domain; for what belongs to a system, that system's (Backstage's model:
    components, APIs and resources reach their domain through their system)."""
    if entity.domain_ref or not entity.system_ref:
        return entity.domain_ref
    try:
        system = get_entity_by_ref(session, entity.system_ref, resolve_targets=False).entity
    except DomainError:
        return None
    return system.domain_ref


def team_view(
    name: str, *, session: Session | None = None, owned_limit: int = 500
) -> dict[str, Any]:
    """A team page: the group, parent, children, members, owned entities, scorecard summary.

    ``name`` is a group name or ref (``team-a``, ``group:ns/team-a``). Raises ``NotFound``.
    """
    ref = _ref(name, "group", "team")
    return run_read(lambda s: _team(s, ref, owned_limit), session=session)


# A department's roll-up stops here: a directory with more sub-teams under one group is
# better read one level at a time (the child teams' own pages).
MAX_SUBTREE = 2000


def descendant_teams(session: Session, ref: str) -> list[str]:
    """Every group below ``ref`` through ``parentOf`` (children, their children, ...), nearest
    first. Directories contain cycles now and then (A parent of B parent of A): each group is
    visited once, and ``ref`` itself is never its own descendant."""
    seen = {ref}
    out: list[str] = []
    level = [ref]
    while level and len(out) < MAX_SUBTREE:
        stmt = (
            select(Relation.target_ref)
            .where(Relation.source_ref.in_(level), Relation.type == "parentOf")  # type: ignore[attr-defined]
            .distinct()
            .order_by(Relation.target_ref)
        )
        below = [r[0] for r in session.exec(stmt).all() if r[0] not in seen]  # type: ignore[call-overload]
        below = below[: MAX_SUBTREE - len(out)]
        seen.update(below)
        out.extend(below)
        level = below
    return out


def _team(s: Session, ref: str, owned_limit: int) -> dict[str, Any]:
    from pinconsole.catalog.scorecards import team_scorecard
    from pinconsole.settings import get_settings

    group = get_entity_by_ref(s, ref, resolve_targets=False).entity
    parents = _targets(s, ref, "childOf")
    children = _targets(s, ref, "parentOf")
    members = _targets(s, ref, "hasMember")
    # A department owns what its teams own (Backstage's ownership card aggregates the same way).
    below = descendant_teams(s, ref)
    owners = [ref, *below]
    meta = group.body.get("metadata") or {}
    profile = (group.body.get("spec") or {}).get("profile") or {}
    links = safe_links(meta.get("links"))
    annotations = meta.get("annotations") or {}
    chat = team_chat(
        annotations if isinstance(annotations, dict) else {}, links, get_settings().chat_url or ""
    )
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
        "descendants": below,
        "owned": _owned(s, owners, owned_limit),
        "owned_total": s.exec(  # type: ignore[call-overload]
            select(func.count()).select_from(Entity).where(Entity.owner_ref.in_(owners))  # type: ignore[union-attr]
        ).one()[0],
        "scorecard": team_scorecard(s, ref, also=below),
        "chat": chat,
        # The channel shows once: as the chat, not again among the links.
        "links": [lk for lk in links if not chat or lk["url"] != chat["url"]],
        "url": entity_url(group.kind, group.namespace, group.name),
    }


def user_view(
    name: str, *, session: Session | None = None, owned_limit: int = 500
) -> dict[str, Any]:
    """A user page: the user, their teams, and what they own directly or through a team."""
    ref = _ref(name, "user", "user")
    return run_read(lambda s: _user(s, ref, owned_limit), session=session)


def _user(s: Session, ref: str, owned_limit: int) -> dict[str, Any]:
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
        return {
            "my_services": [],
            "my_team": None,
            "teams": [],
            "owner_refs": [],
            "change_targets": [],
        }
    return run_read(lambda s: _home(s, ref, limit), session=session)


def _home(s: Session, ref: str, limit: int) -> dict[str, Any]:
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
    from pinconsole.catalog.scorecards import enabled_checks, evaluate, score_context

    checks, ctx = enabled_checks(), score_context(s)
    services = [_home_service(e, evaluate(e, ctx, checks)) for e in entities(s, stmt)]
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
    return {
        "my_services": services,
        "my_team": my_team,
        "teams": _people(s, teams),
        "owner_refs": sorted(owners),
        # What the home page's "recent changes" are changes to (``access.activity``).
        "change_targets": _owned_targets(s, owners),
    }


# A bound on the audit query's IN list; far above what one team owns.
MAX_CHANGE_TARGETS = 5000


def _owned_targets(s: Session, owners: set[str]) -> list[str]:
    """The refs of the entities ``owners`` own and the locations they came from (what an
    import of them names as its audit target)."""
    rows = s.exec(  # type: ignore[call-overload]
        select(Entity.ref, Entity.location_key)
        .where(Entity.owner_ref.in_(sorted(owners)))  # type: ignore[union-attr]
        .limit(MAX_CHANGE_TARGETS)
    ).all()
    return sorted({r for ref, key in rows for r in (ref, key) if r})


def _home_service(e: Entity, results: Sequence[Any]) -> dict[str, Any]:
    """A service row of the home page: its summary, its failing scorecard checks, and its
    annotations (a plugin's home module finds the service's workloads by them)."""
    return {
        **entity_summary(e),
        "failing_checks": [{"id": r.id, "label": r.label} for r in results if not r.passed],
        "annotations": dict((e.body.get("metadata") or {}).get("annotations") or {}),
    }


def count_catalog_errors(session: Session, *, location_key: str | None = None) -> int:
    """How many ingestion errors there are (of one location)."""
    stmt = select(func.count()).select_from(CatalogError)
    if location_key:
        stmt = stmt.where(CatalogError.location_key == location_key)  # type: ignore[arg-type]
    return int(session.exec(stmt).one()[0])  # type: ignore[call-overload]


def catalog_errors(
    session: Session, *, location_key: str | None = None, limit: int = 500, offset: int = 0
) -> list[dict[str, Any]]:
    """Ingestion errors, newest first, JSON-ready (``str(IngestError)`` style in ``text``)."""
    stmt = (
        select(CatalogError)
        .order_by(CatalogError.at.desc(), CatalogError.id)  # type: ignore[attr-defined,union-attr]
        .offset(offset)
        .limit(limit)
    )
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
