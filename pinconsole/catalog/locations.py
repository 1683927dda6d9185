"""Registered locations: the targets refreshed on a schedule (settings and the API).

Registering, refreshing and removing a location go through ``authorize`` and are audited:
anyone signed in may register a URL (as in Backstage), only administrators a file path; the
registrant, the owners of what the location provides and administrators may refresh or remove
it. Who registered it decides what it may bring in (``rules``): an administrator's location any
kind, anyone else's the kinds ``settings.catalog_rules`` allow.

Actors are ``Principal`` objects (API, UI) or plain names: a name is an operator's or a job's
(the CLI, the scheduler) and acts as an administrator.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from pinconsole.access.audit import record
from pinconsole.access.policy import Resource, authorize
from pinconsole.access.principal import Principal
from pinconsole.catalog.actions import REGISTER, REGISTER_FILE
from pinconsole.catalog.descriptors import is_url, normalise_target
from pinconsole.catalog.ingest import (
    ImportSummary,
    import_locations,
    purge_orphans,
    remove_refused,
    utcnow,
)
from pinconsole.catalog.rules import configured_targets, is_trusted, kinds_for
from pinconsole.db import session_scope
from pinconsole.errors import Invalid, NotFound
from pinconsole.models import CatalogError, Entity, Location
from pinconsole.outbound.allowlist import reading_allowlist

log = logging.getLogger(__name__)

REFRESH = "catalog.location.refresh"
DELETE = "catalog.location.delete"

_ENTITY = Entity.__table__  # type: ignore[attr-defined]
_ERRORS = CatalogError.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class LocationView:
    """A location as the API and CLI show it; ``id`` is None for a configured one."""

    id: int | None
    target: str
    type: str
    registered_by: str
    trusted: bool
    configured: bool
    last_refresh_at: datetime | None
    last_error: str | None

    def as_api(self) -> dict[str, Any]:
        return {
            "id": None if self.id is None else str(self.id),
            "type": self.type,
            "target": self.target,
            "registeredBy": self.registered_by,
            "trusted": self.trusted,
            "configured": self.configured,
            "lastRefreshAt": self.last_refresh_at.isoformat() if self.last_refresh_at else None,
            "lastError": self.last_error,
        }


def _principal(actor: Principal | str) -> Principal:
    if isinstance(actor, Principal):
        return actor
    return Principal(name=str(actor), is_admin=True, is_service_account=True)


def _view(row: Location, configured: set[str]) -> LocationView:
    return LocationView(
        id=row.id,
        target=row.target,
        type=row.type,
        registered_by=row.registered_by,
        trusted=row.trusted or row.target in configured,
        configured=row.target in configured,
        last_refresh_at=row.last_refresh_at,
        last_error=row.last_error,
    )


def _resource(session: Session, row: Location) -> Resource:
    """The location as ``authorize`` sees it: owned by its registrant and by the owners of
    the entities it provides."""
    owners = session.exec(
        select(Entity.owner_ref)
        .where(col(Entity.location_key) == row.target, col(Entity.owner_ref).is_not(None))
        .distinct()
    ).all()
    registrant = f"user:default/{row.registered_by}".lower()
    return Resource("location", row.target, frozenset({registrant, *(o for o in owners if o)}))


def _find(session: Session, id_or_target: int | str) -> Location:
    text = str(id_or_target).strip()
    if text.isdigit():
        row = session.get(Location, int(text))
    else:
        if not text:
            raise Invalid("a location id or target is required", where="location")
        key = normalise_target(text)
        row = session.exec(select(Location).where(Location.target == key)).first()
        if row is None and key in configured_targets():
            raise Invalid(
                f"{key} is configured in settings.catalog_locations; change it there",
                where="location",
            )
    if row is None:
        raise NotFound(f"no registered location {text}")
    return row


def register_location(
    target: str, actor: Principal | str = "cli", *, refresh: bool = True
) -> Location:
    """Register ``target`` (file, directory or URL) for periodic refresh; authorized, audited.

    Registering an existing target refreshes it (for whoever may refresh it); an administrator
    doing so makes it trusted. With ``refresh`` the location is imported at once; its result is
    in the location's ``last_error``.
    """
    if not target or not target.strip():
        raise Invalid("a location target is required", where="target")
    principal = _principal(actor)
    key = normalise_target(target)
    authorize(principal, REGISTER, Resource("location", key))
    if not is_url(key):
        authorize(principal, REGISTER_FILE, Resource("location", key))
    if is_url(key) and (refusal := reading_allowlist().refusal(key)):
        raise Invalid(f"{key}: {refusal}", where="target")
    with session_scope() as session:
        existing = session.exec(select(Location).where(Location.target == key)).first()
        if existing is None:
            existing = Location(
                target=key,
                type="url" if is_url(key) else "file",
                registered_by=principal.name[:255],
                trusted=principal.is_admin,
            )
            session.add(existing)
            after = {"target": key, "trusted": principal.is_admin}
            record(session, actor=principal, action=REGISTER, target=key, after=after)
            session.flush()
        else:
            if refresh:
                authorize(principal, REFRESH, _resource(session, existing))
            if principal.is_admin and not existing.trusted:
                existing.trusted = True
                record(
                    session,
                    actor=principal,
                    action=REGISTER,
                    target=key,
                    before={"trusted": False},
                    after={"trusted": True},
                    detail="registered again by an administrator",
                )
    if refresh:
        import_locations([key], actor=principal.name)
        with session_scope() as session:
            existing = session.exec(select(Location).where(Location.target == key)).one()
    return existing


def list_locations() -> list[LocationView]:
    """Configured locations (settings) first, then registered ones by id."""
    configured = configured_targets()
    with session_scope() as session:
        rows = list(session.exec(select(Location).order_by(col(Location.id))).all())
        registered = {row.target for row in rows}
        views = [
            LocationView(
                None, key, "url" if is_url(key) else "file", "settings", True, True, None, None
            )
            for key in dict.fromkeys(configured)
            if key not in registered
        ]
        return views + [_view(row, set(configured)) for row in rows]


def get_location(id_or_target: int | str) -> LocationView:
    with session_scope() as session:
        return _view(_find(session, id_or_target), set(configured_targets()))


def refresh_location(id_or_target: int | str, actor: Principal | str) -> ImportSummary:
    """Import one registered location now; authorized and audited (the import audits its
    changes, this row the request)."""
    principal = _principal(actor)
    with session_scope() as session:
        row = _find(session, id_or_target)
        authorize(principal, REFRESH, _resource(session, row))
        key = row.target
        record(session, actor=principal, action=REFRESH, target=key)
    return import_locations([key], actor=principal.name)


def unregister_location(id_or_target: int | str, actor: Principal | str) -> LocationView:
    """Remove a registered location and orphan its entities (as Backstage does); authorized,
    audited. What its rules refuse is deleted instead: an orphan keeps its relations."""
    principal = _principal(actor)
    configured = set(configured_targets())
    with session_scope() as session:
        row = _find(session, id_or_target)
        authorize(principal, DELETE, _resource(session, row))
        view = _view(row, configured)
        if view.configured:
            raise Invalid(
                f"{row.target} is configured in settings.catalog_locations; change it there",
                where="location",
            )
        conn = session.connection()
        kinds = kinds_for(row.target, trusted=is_trusted(session, row.target))
        removed = remove_refused(conn, row.target, kinds, set())
        orphaned = conn.execute(
            update(_ENTITY)
            .where(_ENTITY.c.location_key == row.target, _ENTITY.c.status == "active")
            .values(status="orphaned", orphaned_at=utcnow())
        ).rowcount
        conn.execute(delete(_ERRORS).where(_ERRORS.c.location_key == row.target))
        session.delete(row)
        record(
            session,
            actor=principal,
            action=DELETE,
            target=row.target,
            before={"id": row.id, "registered_by": row.registered_by, "trusted": row.trusted},
            after={"orphaned": orphaned, "removed_refused": removed[:200]},
        )
    return view


def registered_targets() -> list[str]:
    """Settings' ``catalog_locations`` then registered rows, normalised, without duplicates."""
    keys = configured_targets()
    with session_scope() as session:
        keys.extend(session.exec(select(Location.target).order_by(col(Location.id))).all())
    return list(dict.fromkeys(keys))


def remove_refused_everywhere() -> list[str]:
    """Delete stored entities that the rules of their location refuse now (entities written
    before the rules, or before a rule was narrowed), even of locations that cannot be read."""
    removed: list[str] = []
    with session_scope() as session:
        keys = session.exec(select(Location.target).where(col(Location.trusted).is_(False))).all()
        conn = session.connection()
        for key in keys:
            if is_trusted(session, key):  # configured in settings as well
                continue
            removed += remove_refused(conn, key, kinds_for(key, trusted=False), set())
        if removed:
            record(
                session,
                actor="scheduler",
                action="catalog.rules.enforce",
                target=removed[0] if len(removed) == 1 else f"{len(removed)} entities",
                before={"refs": removed[:200], "count": len(removed)},
                detail="kinds settings.catalog_rules do not allow from their location",
            )
    return removed


def refresh_locations() -> dict[str, ImportSummary]:
    """Import every registered location once (the scheduled job, also run at start)."""
    try:
        remove_refused_everywhere()
    except Exception:  # the imports below enforce the rules for every location they read
        log.exception("catalog rules enforcement failed")
    results: dict[str, ImportSummary] = {}
    for key in registered_targets():
        try:
            results[key] = import_locations([key], actor="scheduler")
        except Exception:  # one broken location must not stop the others
            log.exception("catalog refresh of %s failed", key)
    return results


def purge_orphans_job() -> int:
    return purge_orphans()
