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
import csv
import io
import json
import logging
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cachetools import TTLCache
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session, col, func, select
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

from pinconsole.access import outbox
from pinconsole.db import session_scope
from pinconsole.errors import Invalid, Unavailable
from pinconsole.models import AuditEvent
from pinconsole.settings import get_settings

log = logging.getLogger(__name__)

OUTCOMES = ("ok", "denied", "error")
FILTER_MAX_CHARS = 200  # one text filter of the audit page or the export
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
    """Text filters match case-insensitively anywhere in the column; outcome matches exactly;
    ``since`` is inclusive and ``until`` exclusive (naive times are UTC)."""

    actor: str = ""
    action: str = ""
    target: str = ""
    outcome: str = ""
    since: datetime | None = None
    until: datetime | None = None

    def as_params(self) -> dict[str, str]:
        """The filters that are set, as the export route's query parameters."""
        params = {k: getattr(self, k).strip() for k in ("actor", "action", "target", "outcome")}
        times = {"since": self.since, "until": self.until}
        params |= {k: _utc(v).isoformat() for k, v in times.items() if v is not None}
        return {k: v for k, v in params.items() if v}


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _contains(column: Any, text: str) -> Any:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def _conditions(f: AuditFilter) -> list[Any]:
    conditions = []
    for name in ("actor", "action", "target"):
        text = getattr(f, name).strip()
        if "\x00" in text:  # PostgreSQL refuses NUL in a text literal: no row can match it
            raise Invalid(f"the {name} filter contains a NUL character", where=name)
        if text:
            conditions.append(_contains(getattr(AuditEvent, name), text))
    if f.outcome.strip():
        conditions.append(col(AuditEvent.outcome) == f.outcome.strip())
    if f.since is not None:
        conditions.append(col(AuditEvent.at) >= _utc(f.since))
    if f.until is not None:
        conditions.append(col(AuditEvent.at) < _utc(f.until))
    return conditions


def _newest_first(conditions: list[Any]) -> Any:
    return (
        select(AuditEvent)
        .where(*conditions)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    )


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
    conditions = _conditions(filters or AuditFilter())
    total = session.exec(select(func.count()).select_from(AuditEvent).where(*conditions)).one()
    rows = session.exec(
        _newest_first(conditions).offset(max(0, offset)).limit(max(1, min(limit, 500)))
    ).all()
    return list(rows), int(total)


# ---------------------------------------------------------------- the audit page's links


@dataclass(frozen=True)
class AuditPage:
    """One page of rows, the total, and the console pages its actors and targets have:
    ``links`` maps ``actor:<name>`` and ``target:<target>`` to a path."""

    events: list[AuditEvent]
    total: int
    links: dict[str, str]


def _workload_page(target: str) -> str | None:
    """A PinApp's page for a ``pinapp:<cluster>/<namespace>/<name>`` target (the ref
    ``compute.tenancy.workload_resource`` gives audit rows)."""
    kind, _, rest = target.partition(":")
    parts = rest.split("/")
    if kind != "pinapp" or len(parts) != 3 or not all(parts):
        return None
    return "/workloads/" + "/".join(quote(p, safe="") for p in parts)


def _entity_ref(text: str) -> str | None:
    from pinconsole.catalog.refs import RefError, parse_ref

    try:
        return str(parse_ref(text))
    except RefError:
        return None


def page_links(session: Session, events: list[AuditEvent]) -> dict[str, str]:
    """The pages a page of rows links to: an actor's user page when the catalog has that
    user, a target's entity page when it names an entity that exists, a PinApp's page.
    Decided once per page of rows, in one query, never per row."""
    # The catalog writes audit rows through this module: imported here, not at the top.
    from pinconsole.catalog.query import entities_by_refs, entity_url

    wanted: dict[str, list[str]] = {}  # entity ref -> the link keys it would serve
    links: dict[str, str] = {}
    for event in events:
        wanted.setdefault(f"user:default/{event.actor}".lower(), []).append(f"actor:{event.actor}")
        key = f"target:{event.target}"
        if (page := _workload_page(event.target)) is not None:
            links[key] = page
        elif (ref := _entity_ref(event.target)) is not None:
            wanted.setdefault(ref, []).append(key)
    for entity in entities_by_refs(session, sorted(wanted)):
        url = entity_url(entity.kind, entity.namespace, entity.name)
        for key in wanted.get(entity.ref, []):
            links[key] = url
    return links


def read_audit_page(
    filters: AuditFilter | None = None, *, limit: int = 50, offset: int = 0
) -> AuditPage:
    """``list_audit`` and the pages its rows link to, in one session (the audit page's read)."""
    with session_scope() as session:
        events, total = list_audit(filters, limit=limit, offset=offset, session=session)
        return AuditPage(events, total, page_links(session, events))


# ---------------------------------------------------------------- the CSV export

EXPORT_ACTION = "admin.audit.export"
EXPORT_MAX_ROWS = 10_000  # a bigger export is a query for the database, not a download
EXPORT_COLUMNS = ("id", "at", "actor", "action", "target", "outcome", "detail", "before", "after")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AuditExport:
    """The CSV text, how many rows it holds and how many matched (more when capped)."""

    text: str
    rows: int
    total: int

    @property
    def capped(self) -> bool:
        return self.total > self.rows


def _cell(value: str) -> str:
    """A text cell a spreadsheet shows as text: a leading ``=``, ``+``, ``-`` or ``@`` would be
    run as a formula (targets and details come from descriptors and users)."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def _csv_row(event: AuditEvent) -> list[str]:
    def as_json(value: dict[str, Any] | None) -> str:
        return json.dumps(value, sort_keys=True) if value else ""

    texts = [event.actor, event.action, event.target, event.outcome, event.detail]
    return [
        str(event.id),
        _utc(event.at).isoformat(),
        *(_cell(t) for t in texts),
        _cell(as_json(event.before)),
        _cell(as_json(event.after)),
    ]


def export_audit(
    principal: Any, filters: AuditFilter | None = None, *, max_rows: int = EXPORT_MAX_ROWS
) -> AuditExport:
    """The filtered rows as CSV, newest first, at most ``max_rows`` of them; administrators
    only (``authorize``), and the export itself is an audit row naming its filters."""
    from pinconsole.access.policy import Resource, authorize  # the policy audits through here

    flt = filters or AuditFilter()
    authorize(principal, EXPORT_ACTION, Resource("audit", "audit"))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    with session_scope() as session:
        conditions = _conditions(flt)
        total = int(
            session.exec(select(func.count()).select_from(AuditEvent).where(*conditions)).one()
        )
        written = 0
        for event in session.exec(_newest_first(conditions).limit(max_rows)):
            writer.writerow(_csv_row(event))
            written += 1
        record(
            session,
            actor=principal,
            action=EXPORT_ACTION,
            target="audit",
            after={"filters": flt.as_params(), "rows": written, "total": total},
            detail=f"exported {written:,} of {total:,} matching rows as CSV",
        )
    return AuditExport(out.getvalue(), written, total)
