"""The one audit writer and its reader. Every mutation (and every denial) leaves a row.

A row is never lost to a database outage: when the database cannot take a row written on its
own (``record(None, ...)``), the row goes to the audit outbox (``access/outbox.py``, a local
append-only file) and ``drain_outbox`` (a job, every 15 s) moves it into ``audit_event`` once
the database is back; each row carries a unique ``uid``, so a drain that is repeated writes it
once. Mutations of outside systems (Kubernetes), which no database transaction can cover, write
their ``intend``-ed action to the outbox before acting and ``conclude`` it after: an intent that
never got its outcome (the process died in between) becomes an ``unknown`` row. If the intent
cannot be written, the action is refused ("cannot audit, not applied").
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cachetools import TTLCache
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session, col, func, select
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

from pinconsole.access import outbox
from pinconsole.db import session_scope
from pinconsole.errors import Unavailable
from pinconsole.models import AuditEvent
from pinconsole.settings import get_settings

log = logging.getLogger(__name__)

OUTCOMES = ("ok", "denied", "error")
# An intent this old without an outcome belongs to an action whose process stopped: every
# Kubernetes call ends within its timeouts, so no live action takes this long.
ABANDONED_AFTER = timedelta(minutes=10)
DRAIN_INTERVAL_SECONDS = 15.0
_EVENT_FIELDS = ("uid", "actor", "action", "target", "outcome", "before", "after", "detail")
# Refusals anyone can cause (an admin route, an admin page's handler) are audited at most this
# often per (caller, client) and minute in a process; the rest go to the log.
AUDITED_REFUSALS_PER_MINUTE = 20
_refusals: TTLCache[str, list[int]] = TTLCache(maxsize=10_000, ttl=60)
_refusals_lock = threading.Lock()


def _json_safe(value: dict[str, Any] | None) -> dict[str, Any] | None:
    # datetimes, sets and dataclass-ish values become strings; the column is JSON.
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def _actor_name(actor: Any) -> str:
    return str(getattr(actor, "name", actor))


def database_unavailable(exc: BaseException) -> bool:
    """The database could not be reached or used (as opposed to a bug in the statement)."""
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def outbox_path() -> Path:
    return Path(get_settings().audit_outbox)


def _event(*, uid: str | None = None, at: datetime | None = None, **fields: Any) -> AuditEvent:
    """An ``AuditEvent`` from ``record``'s keyword arguments (see there), with a fresh uid."""
    outcome = fields.get("outcome") or "ok"
    if outcome not in OUTCOMES:
        raise ValueError(f"audit outcome must be one of {OUTCOMES}, not {outcome!r}")
    return AuditEvent(
        uid=uid or uuid.uuid4().hex,
        at=at or datetime.now(UTC),
        actor=_actor_name(fields["actor"])[:255],
        action=str(fields["action"])[:100],
        target=str(fields["target"])[:500],
        outcome=outcome,
        before=_json_safe(fields.get("before")),
        after=_json_safe(fields.get("after")),
        detail=fields.get("detail") or "",
    )


def _entry(event: AuditEvent, kind: str = "event") -> dict[str, Any]:
    at = event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC)
    return {"kind": kind, "at": at.isoformat(), **{k: getattr(event, k) for k in _EVENT_FIELDS}}


def _from_entry(entry: dict[str, Any], **override: Any) -> AuditEvent:
    values = {k: entry.get(k) for k in _EVENT_FIELDS} | override
    values["at"] = override.get("at") or datetime.fromisoformat(entry["at"])
    values.update(detail=values.get("detail") or "", outcome=values.get("outcome") or "error")
    return _event(**values)


def _store(event: AuditEvent) -> None:
    """The row in its own transaction, or in the outbox when the database cannot take it.

    Raises ``Unavailable`` when neither can: the caller must not pretend it was audited."""
    try:
        with session_scope() as own:
            own.add(event)
        return
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        db_error = exc
    try:
        outbox.append(outbox_path(), _entry(event))
        log.warning("audit row %s kept in the outbox: the database is unavailable", event.uid)
    except OSError as exc:
        log.error("audit row lost: database (%s) and outbox (%s) failed", db_error, exc)
        raise Unavailable("the audit log is unavailable (database and outbox)") from exc


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
    transaction (used for denials, which must survive the caller's rollback, and for changes
    outside the database), or kept in the outbox while the database is unavailable.
    """
    event = _event(
        actor=actor,
        action=action,
        target=target,
        before=before,
        after=after,
        outcome=outcome,
        detail=detail,
    )
    if session is None:
        _store(event)
        return event
    session.add(event)
    return event


def record_refusal(
    *, actor: str, action: str, target: str, client: str, why: str, after: dict[str, Any]
) -> None:
    """One ``denied`` row for a refusal anyone can cause, unless this caller used up its rows
    of the minute from this client (the last one says so; the rest are logged, as sign-ins
    refused while locked are); a failing audit never changes the answer (the refusal stands)."""
    with _refusals_lock:
        counter = _refusals.setdefault(f"{actor}|{client}", [0])
        counter[0] += 1  # mutating keeps the entry's expiry: a window from the first refusal
        count = counter[0]
    if count > AUDITED_REFUSALS_PER_MINUTE:
        log.warning(
            "refused %s for %s from %s (not audited: over the limit)", target, actor, client
        )
        return
    detail = f"{why} (client {client or 'unknown'})"
    if count == AUDITED_REFUSALS_PER_MINUTE:
        detail += (
            f"; {AUDITED_REFUSALS_PER_MINUTE} refusals in a minute: more from this caller and "
            "client in that minute are logged, not audited"
        )
    try:
        record(None, actor=actor, action=action, target=target, outcome="denied", after=after,
               detail=detail)  # fmt: skip
    except Exception:
        log.warning("could not audit a refused %s for %s", target, actor, exc_info=True)


@dataclass(frozen=True)
class Intent:
    """An action announced in the outbox before it touches an outside system."""

    uid: str
    actor: str
    action: str
    target: str
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


def intend(*, actor: Any, action: str, target: str) -> Intent:
    """Write the intent durably before acting; ``Unavailable`` ("cannot audit, not applied")
    when it cannot be written: the caller must then not act."""
    event = _event(actor=actor, action=action, target=target, outcome="error", detail="unknown")
    try:
        outbox.append(outbox_path(), _entry(event, kind="intent"))
    except OSError as exc:
        log.error("audit outbox %s cannot be written: %s", outbox_path(), exc)
        raise Unavailable(
            f"cannot audit, not applied: {action} on {target} was not attempted because the "
            "audit outbox cannot be written"
        ) from exc
    return Intent(event.uid, event.actor, event.action, event.target, event.at)


def conclude(
    intent: Intent,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    outcome: str = "ok",
    detail: str = "",
) -> AuditEvent:
    """Record the outcome of ``intent`` (database, else outbox). Never raises for an outage:
    the action already happened, and if even the outbox fails the intent still stands (it
    becomes an ``unknown`` row)."""
    event = _event(
        actor=intent.actor,
        action=intent.action,
        target=intent.target,
        before=before,
        after=after,
        outcome=outcome,
        detail=detail,
        uid=intent.uid,
    )
    with contextlib.suppress(Unavailable):  # logged by _store; the intent stands for it
        _store(event)
    return event


def withdraw(intent: Intent) -> None:
    """The action was refused before anything was sent (invalid input): no row is due."""
    try:
        outbox.append(outbox_path(), {"kind": "withdrawn", "uid": intent.uid})
    except OSError as exc:  # the intent then ends as an ``unknown`` row: noisy, not wrong
        log.error("audit outbox: cannot withdraw intent %s: %s", intent.uid, exc)


def _existing_uids(session: Session, uids: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(uids), 500):
        chunk = uids[i : i + 500]
        found.update(
            u for u in session.exec(select(AuditEvent.uid).where(col(AuditEvent.uid).in_(chunk)))
        )
    return found


@retry(
    retry=retry_if_exception(lambda e: database_unavailable(e) or isinstance(e, IntegrityError)),
    stop=stop_after_attempt(3),
    wait=wait_exponential(multiplier=0.2, max=2),
    reraise=True,
)
def _write_drained(entries: list[dict[str, Any]], grace: timedelta) -> tuple[int, set[str]]:
    """Insert what the outbox holds and the database lacks; return (rows written, uids done).

    Retried (tenacity) through a database blink and through a race with another writer of the
    same uid (the unique index refuses the second; the retry sees it as existing)."""
    now = datetime.now(UTC)
    with session_scope() as session:
        existing = _existing_uids(session, sorted({e["uid"] for e in entries}))
        withdrawn = {e["uid"] for e in entries if e.get("kind") == "withdrawn"}
        outcomes = {e["uid"] for e in entries if e.get("kind") == "event"}
        done, rows = existing | withdrawn, []
        for entry in entries:
            uid = entry["uid"]
            if uid in done:
                continue
            if entry.get("kind") == "event":
                rows.append(_from_entry(entry))
            elif uid in outcomes:
                continue  # its outcome is in the outbox too (and written above or below)
            elif now - datetime.fromisoformat(entry["at"]) >= grace:
                rows.append(
                    _from_entry(
                        entry,
                        outcome="error",
                        detail="unknown: the process stopped before the outcome was recorded; "
                        "check the target",
                    )
                )
            else:
                continue  # an action still in flight
            done.add(uid)
        session.add_all(rows)
    return len(rows), done


def drain_outbox(*, grace: timedelta = ABANDONED_AFTER) -> int:
    """Move the outbox's rows into ``audit_event`` (and abandoned intents as ``unknown`` rows);
    return how many rows were written. A job runs it; one drain at a time per outbox."""
    path = outbox_path()
    if outbox.size(path) == 0:
        return 0
    with outbox.locked(path, blocking=False, suffix=".drain") as mine:
        if not mine:
            return 0
        entries, read_size = outbox.read(path)
        try:
            written, done = _write_drained(entries, grace) if entries else (0, set())
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            log.warning("audit outbox: %d entries wait for the database: %s", len(entries), exc)
            return 0
        outbox.replace(path, [e for e in entries if e["uid"] not in done], read_size)
    if written:
        log.info("audit outbox: %d row(s) written to the audit log", written)
    return written


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
