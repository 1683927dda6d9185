"""The one audit writer and its reader. Every mutation (and every denial) leaves a row."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, func, select

from pinconsole.db import session_scope
from pinconsole.models import AuditEvent

OUTCOMES = ("ok", "denied", "error")


def _json_safe(value: dict[str, Any] | None) -> dict[str, Any] | None:
    # datetimes, sets and dataclass-ish values become strings; the column is JSON.
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def _actor_name(actor: Any) -> str:
    return str(getattr(actor, "name", actor))


def record(
    session: Session | None,
    *,
    actor: Any,
    action: str,
    target: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    outcome: str = "ok",
    detail: str = "",
) -> AuditEvent:
    """Add an audit row to ``session`` (committed with the caller's change, so both or neither).

    ``actor`` is a ``Principal`` or a name. With ``session=None`` the row is written in its own
    transaction (used for denials, which must survive the caller's rollback).
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"audit outcome must be one of {OUTCOMES}, not {outcome!r}")
    event = AuditEvent(
        actor=_actor_name(actor)[:255],
        action=action[:100],
        target=target[:500],
        outcome=outcome,
        before=_json_safe(before),
        after=_json_safe(after),
        detail=detail,
    )
    if session is None:
        with session_scope() as own:
            own.add(event)
        return event
    session.add(event)
    return event


@dataclass(frozen=True)
class AuditFilter:
    """Text filters match case-insensitively anywhere in the column; outcome matches exactly."""

    actor: str = ""
    action: str = ""
    target: str = ""
    outcome: str = ""
    since: datetime | None = None


def _contains(column: Any, text: str) -> Any:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def list_audit(
    filters: AuditFilter | None = None,
    *,
    limit: int = 50,
    offset: int = 0,
    session: Session | None = None,
) -> tuple[list[AuditEvent], int]:
    """One page of audit rows, newest first, and the total that matches the filters."""
    if session is None:
        with session_scope() as own:
            return list_audit(filters, limit=limit, offset=offset, session=own)
    f = filters or AuditFilter()
    conditions = []
    if f.actor.strip():
        conditions.append(_contains(AuditEvent.actor, f.actor.strip()))
    if f.action.strip():
        conditions.append(_contains(AuditEvent.action, f.action.strip()))
    if f.target.strip():
        conditions.append(_contains(AuditEvent.target, f.target.strip()))
    if f.outcome.strip():
        conditions.append(col(AuditEvent.outcome) == f.outcome.strip())
    if f.since is not None:
        since = f.since if f.since.tzinfo else f.since.replace(tzinfo=UTC)  # naive means UTC
        conditions.append(col(AuditEvent.at) >= since)
    total = session.exec(select(func.count()).select_from(AuditEvent).where(*conditions)).one()
    rows = session.exec(
        select(AuditEvent)
        .where(*conditions)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .offset(max(0, offset))
        .limit(max(1, min(limit, 500)))
    ).all()
    return list(rows), int(total)
