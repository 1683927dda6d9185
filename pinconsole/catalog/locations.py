"""Registered locations: the targets refreshed on a schedule (settings and the API)."""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import select

from pinconsole.catalog.descriptors import is_url, normalise_target
from pinconsole.catalog.ingest import ImportSummary, import_locations, purge_orphans
from pinconsole.db import session_scope
from pinconsole.errors import Invalid
from pinconsole.models import Location
from pinconsole.settings import get_settings

log = logging.getLogger(__name__)


def _audit(session: Any, actor: Any, action: str, target: str, after: dict[str, Any]) -> None:
    try:
        from pinconsole.access.audit import record
    except ImportError:  # access core not installed: nothing to write to
        return
    record(session, actor=actor, action=action, target=target, after=after)


def register_location(target: str, actor: Any = "cli", *, refresh: bool = True) -> Location:
    """Register ``target`` (file, directory or URL) for periodic refresh; audited.

    Registering an existing target is not an error (the row is returned). With ``refresh`` the
    location is imported at once; its result is in the location's ``last_error``.
    """
    if not target or not target.strip():
        raise Invalid("a location target is required", where="target")
    key = normalise_target(target)
    with session_scope() as session:
        existing = session.exec(select(Location).where(Location.target == key)).first()
        if existing is None:
            existing = Location(
                target=key,
                type="url" if is_url(key) else "file",
                registered_by=str(getattr(actor, "name", actor))[:255],
            )
            session.add(existing)
            _audit(session, actor, "catalog.location.register", key, {"target": key})
            session.flush()
    if refresh:
        import_locations([key], actor=str(getattr(actor, "name", actor)))
        with session_scope() as session:
            existing = session.exec(select(Location).where(Location.target == key)).one()
    return existing


def registered_targets() -> list[str]:
    """Settings' ``catalog_locations`` then registered rows, normalised, without duplicates."""
    keys = [normalise_target(t) for t in get_settings().catalog_locations]
    with session_scope() as session:
        keys.extend(session.exec(select(Location.target).order_by(Location.id)).all())
    return list(dict.fromkeys(keys))


def refresh_locations() -> dict[str, ImportSummary]:
    """Import every registered location once (the scheduled job)."""
    results: dict[str, ImportSummary] = {}
    for key in registered_targets():
        try:
            results[key] = import_locations([key], actor="scheduler")
        except Exception:  # one broken location must not stop the others
            log.exception("catalog refresh of %s failed", key)
    return results


def purge_orphans_job() -> int:
    return purge_orphans()
