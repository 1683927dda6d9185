"""Recent activity for the home page: the newest audit rows, ready to show.

``recent_activity`` reads everyone's rows through ``list_audit`` (the one audit reader);
``team_activity`` reads only the changes to what a team owns. Both add a human "5 min ago" so
the state stays thin.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from pinconsole.access.audit import list_audit
from pinconsole.db import session_scope
from pinconsole.models import AuditEvent

# Sign-ins and lockouts are about people, not about what a team runs: never "changes".
NOT_CHANGES = "auth."


def time_ago(at: datetime, now: datetime | None = None) -> str:
    """``"just now"``, ``"5 min ago"``, ``"3 h ago"``, ``"2 d ago"``, then the date."""
    now = now or datetime.now(UTC)
    if at.tzinfo is None:  # SQLite hands back naive datetimes; we store UTC
        at = at.replace(tzinfo=UTC)
    seconds = max(0, int((now - at).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    if seconds < 7 * 86400:
        return f"{seconds // 86400} d ago"
    return at.strftime("%b %d, %Y").replace(" 0", " ")


def split_target(target: str) -> tuple[str, str]:
    """``component:default/api`` -> ``("component", "api")``; ``url:https://x/y`` keeps the URL."""
    kind, sep, rest = target.partition(":")
    if not sep or "/" in kind or " " in kind:
        return "", target
    if kind in ("url", "http", "https", "file"):
        return kind, rest if kind in ("url", "file") else target
    return kind, rest.rsplit("/", 1)[-1]


def activity_item(event: AuditEvent, now: datetime | None = None) -> dict[str, Any]:
    """One audit row as a JSON-ready dict for the home page's activity list."""
    at = event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC)
    target_kind, target_name = split_target(event.target)
    return {
        "id": event.id,
        "at": at.isoformat(),
        "ago": time_ago(at, now),
        "actor": event.actor,
        "action": event.action,
        "verb": event.action.replace("_", " ").replace(".", " "),
        "target": event.target,
        "target_kind": target_kind,
        "target_name": target_name,
        "outcome": event.outcome,
        "detail": event.detail,
    }


def recent_activity(limit: int = 10, *, session: Session | None = None) -> list[dict[str, Any]]:
    """The newest ``limit`` audit events (all actors), newest first."""
    rows, _total = list_audit(limit=max(1, limit), session=session)
    now = datetime.now(UTC)
    return [activity_item(e, now) for e in rows]


def team_activity(
    targets: Collection[str], *, limit: int = 10, session: Session | None = None
) -> list[dict[str, Any]]:
    """The newest changes to ``targets``, newest first, filtered in SQL (``target`` is indexed).

    A change is an audit row that was not denied and is no sign-in. The caller names what a
    team owns: its entities' refs and catalog locations (``home_summary``), its PinApps' refs.
    """
    wanted = sorted(set(targets))
    if not wanted:
        return []
    if session is None:
        with session_scope() as own:
            return team_activity(wanted, limit=limit, session=own)
    rows = session.exec(
        select(AuditEvent)
        .where(
            col(AuditEvent.target).in_(wanted),
            col(AuditEvent.outcome) != "denied",
            ~col(AuditEvent.action).startswith(NOT_CHANGES),
        )
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(max(1, min(limit, 100)))
    ).all()
    now = datetime.now(UTC)
    return [activity_item(e, now) for e in rows]
