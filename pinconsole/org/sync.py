"""The org sync: LDAP users and groups into the catalog as User and Group entities.

Safety rules, each for a reason:
- read everything first: a failure half-way (server down, timeout, bad credentials, size limit)
  must not look like a directory that lost half its people; it changes nothing and is recorded;
- one transaction: the catalog never shows half a sync;
- the removal guard: a sync that would remove more than ``org_max_removal_share`` of users or of
  groups (a wrong filter, an emptied OU) stops and asks for ``--force``;
- one sync at a time across workers and machines: an advisory lock on PostgreSQL, a file lock on
  SQLite (whose writers share one machine);
- incremental: the catalog's ``apply_provider_entities`` writes nothing for an unchanged entity,
  and when the whole snapshot equals the last applied one (same digest) while the catalog's rows
  of these providers are as that sync left them (same fingerprint), the apply is skipped; a full
  apply still runs at least every ``FULL_RECONCILE`` to repair any drift.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from sqlalchemy import event, func, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from pinconsole.db import get_engine, is_postgres, session_scope
from pinconsole.errors import Conflict, DomainError, Invalid
from pinconsole.leases import lease_key, lock_file
from pinconsole.models import Entity, OrgSyncRun
from pinconsole.models._types import utcnow
from pinconsole.org.config import LdapProviderConfig, load_config
from pinconsole.org.reader import OrgReadError, OrgSnapshot, gc_paused, read_org
from pinconsole.settings import get_settings

log = logging.getLogger(__name__)

SYNC_ACTION = "org.sync"
# A fixed 63-bit key for pg_try_advisory_xact_lock, derived from a readable name.
LOCK_KEY = lease_key("pinconsole.org.sync")
# Tables whose writes are bookkeeping, not catalog changes (excluded from the row-write count).
_BOOKKEEPING = ("org_sync_run", "audit_event")
# Bump when the entities built here change shape, so the next sync applies in full.
SNAPSHOT_FORMAT = "1"
FULL_RECONCILE = timedelta(hours=24)


class SyncRefused(DomainError):
    """The removal guard stopped the sync."""

    status = 409
    title = "Removal guard"


def provider_key(provider_id: str, kind: str) -> str:
    """The catalog provider key of one provider's users or groups (``ldapOrg:corp/users``)."""
    return f"ldapOrg:{provider_id}/{kind}"


# --- locks ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def sync_lock(session: Session) -> Iterator[None]:
    """Hold the one-sync-at-a-time lock for the life of ``session``'s transaction.

    Raises ``Conflict`` at once (no waiting) when another worker holds it."""
    url = str(session.get_bind().engine.url.render_as_string(hide_password=False))
    if is_postgres(url):
        got = session.execute(
            text("SELECT pg_try_advisory_xact_lock(:k)"), params={"k": LOCK_KEY}
        ).scalar()
        if not got:
            raise Conflict("another org sync is running")
        yield  # released when the transaction ends
        return
    lock = FileLock(str(lock_file(url, "org-sync")), timeout=0)
    try:
        lock.acquire()
    except Timeout as exc:
        raise Conflict("another org sync is running") from exc
    try:
        yield
    finally:
        lock.release()


# --- row-write counting --------------------------------------------------------------------------


@dataclass
class RowWrites:
    """INSERT/UPDATE/DELETE rows sent to the database, bookkeeping tables excluded."""

    rows: int = 0
    statements: int = 0
    by_table: dict[str, int] = field(default_factory=dict)


@contextlib.contextmanager
def count_row_writes(engine: Engine | None = None) -> Iterator[RowWrites]:
    """Count the rows every write statement on ``engine`` touches while the block runs."""
    engine = engine or get_engine()
    counts = RowWrites()

    def after(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        head = statement.lstrip()[:6].upper()
        if head not in ("INSERT", "UPDATE", "DELETE"):
            return
        words = statement.split()
        table = ""
        for i, w in enumerate(words[:-1]):
            if w.upper() in ("INTO", "UPDATE", "FROM"):
                table = words[i + 1].strip('"').split("(")[0]
                break
        if table in _BOOKKEEPING:
            return
        rows = cursor.rowcount if cursor.rowcount is not None and cursor.rowcount >= 0 else 0
        if many and rows <= 0:
            rows = len(params)
        counts.rows += rows
        counts.statements += 1
        counts.by_table[table] = counts.by_table.get(table, 0) + rows

    event.listen(engine, "after_cursor_execute", after)
    try:
        yield counts
    finally:
        event.remove(engine, "after_cursor_execute", after)


# --- runs ----------------------------------------------------------------------------------------


def _save_run(run: OrgSyncRun) -> OrgSyncRun:
    """Write the run row in its own transaction: it must survive the sync's rollback."""
    with session_scope() as s:
        merged = s.merge(run)
        s.flush()
        s.refresh(merged)
        s.expunge(merged)
    return merged


def list_runs(limit: int = 50, offset: int = 0) -> tuple[list[OrgSyncRun], int]:
    """Sync history, newest first, and the total count."""
    from sqlmodel import func

    with session_scope() as s:
        rows = s.exec(
            select(OrgSyncRun).order_by(col(OrgSyncRun.id).desc()).offset(offset).limit(limit)
        ).all()
        total = s.exec(select(func.count()).select_from(OrgSyncRun)).one()
        for r in rows:
            s.expunge(r)
        return list(rows), int(total)


def last_run(status: str | None = None) -> OrgSyncRun | None:
    with session_scope() as s:
        q = select(OrgSyncRun).order_by(col(OrgSyncRun.id).desc()).limit(1)
        if status:
            q = q.where(col(OrgSyncRun.status) == status)
        row = s.exec(q).first()
        if row is not None:
            s.expunge(row)
        return row


def _close_stale_runs() -> set[int]:
    """Runs left 'running' by a process that died; only called while holding the lock.
    Returns their ids."""
    closed: set[int] = set()
    with session_scope() as s:
        for run in s.exec(select(OrgSyncRun).where(col(OrgSyncRun.status) == "running")).all():
            run.status = "failed"
            run.finished_at = run.finished_at or utcnow()
            run.error = "interrupted (the process running it stopped)"
            s.add(run)
            closed.add(int(run.id or 0))
    return closed


# --- the sync ------------------------------------------------------------------------------------


@dataclass
class _Totals:
    users: dict[str, int] = field(default_factory=lambda: {"added": 0, "updated": 0, "removed": 0})
    groups: dict[str, int] = field(default_factory=lambda: {"added": 0, "updated": 0, "removed": 0})
    before: dict[str, int] = field(default_factory=lambda: {"users": 0, "groups": 0})
    warnings: list[str] = field(default_factory=list)
    removed_users: list[str] = field(default_factory=list)


def _apply(session: Session, snapshots: list[OrgSnapshot]) -> _Totals:
    from pinconsole.catalog.ingest import apply_provider_entities

    totals = _Totals()
    for snap in snapshots:
        for kind, entities in (("groups", snap.groups), ("users", snap.users)):
            result = apply_provider_entities(session, provider_key(snap.provider, kind), entities)
            bucket = getattr(totals, kind)
            bucket["added"] += result.added
            bucket["updated"] += result.updated
            bucket["removed"] += result.removed
            totals.before[kind] += result.unchanged + result.updated + result.removed
            if kind == "users":
                totals.removed_users.extend(r.rsplit("/", 1)[-1] for r in result.removed_refs)
            for err in result.errors[:20]:
                totals.warnings.append(f"{kind}: {err}")
            if len(result.errors) > 20:
                totals.warnings.append(f"{kind}: {len(result.errors) - 20} more entity errors")
        totals.warnings.extend(snap.warnings)
    return totals


def snapshot_digest(snapshots: list[OrgSnapshot]) -> str:
    """A digest of everything a sync would apply (entities in their stable, sorted order)."""
    h = hashlib.sha256(SNAPSHOT_FORMAT.encode())
    dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
    for snap in snapshots:
        h.update(f"\x00{snap.provider}\x00".encode())
        for entity in snap.entities:
            h.update(dumps(entity).encode())
            h.update(b"\n")
    return h.hexdigest()


def catalog_fingerprint(session: Session, provider_ids: list[str]) -> str:
    """Row count and newest update of the catalog entities each provider key owns: any change
    to them by anyone else (removal, edit) changes this value."""
    keys = [f"provider:{provider_key(p, k)}" for p in provider_ids for k in ("users", "groups")]
    rows = session.exec(
        select(Entity.location_key, func.count(), func.max(Entity.updated_at))
        .where(col(Entity.location_key).in_(keys))
        .group_by(Entity.location_key)
    ).all()
    text_rows = sorted(f"{k}|{n}|{m}" for k, n, m in rows)
    return hashlib.sha256("\n".join(text_rows).encode()).hexdigest()


def _can_skip(digest: str, fingerprint: str, force: bool) -> bool:
    if force:
        return False
    previous = last_run("ok")
    if previous is None or previous.snapshot_digest != digest:
        return False
    if previous.catalog_fingerprint != fingerprint:
        return False
    with session_scope() as s:
        full = s.exec(
            select(OrgSyncRun.finished_at)
            .where(col(OrgSyncRun.status) == "ok", col(OrgSyncRun.mode) == "full")
            .order_by(col(OrgSyncRun.id).desc())
            .limit(1)
        ).first()
    return full is not None and utcnow() - _aware(full) < FULL_RECONCILE


def _guard(totals: _Totals, max_share: float) -> None:
    over = []
    for kind in ("users", "groups"):
        removed, before = getattr(totals, kind)["removed"], totals.before[kind]
        if before and removed / before > max_share:
            over.append(f"{removed} of {before} {kind} ({removed / before:.0%})")
    if over:
        raise SyncRefused(
            f"the sync would remove {' and '.join(over)}, more than the "
            f"{max_share:.0%} allowed; nothing was changed. If the directory really lost them, "
            "run `pinconsole org sync --force`."
        )


def _resolve_config(config_path: str | Path | None) -> tuple[Path, list[LdapProviderConfig]]:
    path = config_path or get_settings().org_config
    if not path:
        raise Invalid("no org config: set PINCONSOLE_ORG_CONFIG or pass --config FILE")
    return Path(path), load_config(path)


def sync_org(
    config_path: str | Path | None = None,
    *,
    force: bool = False,
    triggered_by: str = "schedule",
    skip_if_finished_within: timedelta | None = None,
) -> OrgSyncRun:
    """Run one org sync and return its history row (status ``ok`` or ``failed``).

    Raises ``Conflict`` when another sync holds the lock and ``Invalid`` for a bad config; every
    other failure is recorded in the returned run and changes nothing. With
    ``skip_if_finished_within``, a run that finished within that time (checked under the lock,
    so two workers' schedules never both sync) is returned instead of syncing again.
    """
    settings = get_settings()
    _, providers = _resolve_config(config_path)
    provider_ids = ",".join(p.id for p in providers)
    started = time.monotonic()
    engine = get_engine()
    session = Session(engine, expire_on_commit=False)
    run: OrgSyncRun | None = None
    try:
        with sync_lock(session):
            interrupted = _close_stale_runs()
            if skip_if_finished_within is not None:
                previous = last_run()
                if (
                    previous is not None
                    and previous.id not in interrupted
                    and previous.finished_at is not None
                    and utcnow() - _aware(previous.finished_at) < skip_if_finished_within
                ):
                    return previous
            run = _save_run(OrgSyncRun(provider=provider_ids[:100], triggered_by=triggered_by))
            try:
                # no cyclic GC while tens of thousands of entities are read, compared and
                # written: generation-2 scans cost a quarter of a full sync's CPU
                with gc_paused():
                    snapshots = [read_org(p) for p in providers]
                    ids = [p.id for p in providers]
                    digest = snapshot_digest(snapshots)
                    with count_row_writes(engine) as writes:
                        if _can_skip(digest, catalog_fingerprint(session, ids), force):
                            totals = _Totals()
                            for snap in snapshots:
                                totals.warnings.extend(snap.warnings)
                            run.mode = "unchanged"
                        else:
                            totals = _apply(session, snapshots)
                            if not force:
                                _guard(totals, settings.org_max_removal_share)
                            run.mode = "full"
                        # After the removal guard: a refused sync revokes nothing.
                        _revoke_tokens(session, totals.removed_users, triggered_by)
                        run.snapshot_digest = digest
                        run.catalog_fingerprint = catalog_fingerprint(session, ids)
                        _audit(session, run, totals, triggered_by, force)
                        session.commit()
            except (OrgReadError, SyncRefused, DomainError) as exc:
                session.rollback()
                return _finish_failed(run, str(exc), triggered_by)
            except Exception as exc:
                session.rollback()
                log.exception("org sync failed")
                return _finish_failed(run, f"{type(exc).__name__}: {exc}", triggered_by)
    finally:
        session.close()
    run.status = "ok"
    run.finished_at = utcnow()
    run.users_added, run.users_updated, run.users_removed = totals.users.values()
    run.groups_added, run.groups_updated, run.groups_removed = totals.groups.values()
    if totals.warnings:
        head = "; ".join(totals.warnings[:5])
        more = f" (+{len(totals.warnings) - 5} more)" if len(totals.warnings) > 5 else ""
        run.error = f"warnings: {head}{more}"
    run = _save_run(run)
    if run.mode == "full":
        from pinconsole.catalog.materialize import fill_api_json

        fill_api_json()
    log.info(
        "org sync %s (%s): users %s, groups %s, %d row writes, %.1fs",
        provider_ids,
        run.mode,
        totals.users,
        totals.groups,
        writes.rows,
        time.monotonic() - started,
    )
    return run


def _revoke_tokens(session: Session, users: list[str], actor: str) -> None:
    from pinconsole.access.tokens import revoke_tokens_of

    revoked = revoke_tokens_of(session, users, actor=actor)
    if revoked:
        log.info("org sync: revoked %d API tokens of %d removed users", revoked, len(users))


def _audit(session: Session, run: OrgSyncRun, totals: _Totals, actor: str, force: bool) -> None:
    from pinconsole.access.audit import record

    record(
        session,
        actor=actor,
        action=SYNC_ACTION,
        target=f"org:{run.provider}",
        after={
            "run": run.id,
            "mode": run.mode,
            "users": totals.users,
            "groups": totals.groups,
            "force": force,
        },
    )


def _finish_failed(run: OrgSyncRun, error: str, actor: str) -> OrgSyncRun:
    run.status = "failed"
    run.finished_at = utcnow()
    run.error = error
    run.snapshot_digest = run.catalog_fingerprint = None
    run = _save_run(run)
    log.warning("org sync failed: %s", error)
    with contextlib.suppress(Exception):  # the audit row is a courtesy; the run row is the record
        from pinconsole.access.audit import record

        record(
            None,
            actor=actor,
            action=SYNC_ACTION,
            target=f"org:{run.provider}",
            outcome="error",
            detail=error[:2000],
        )
    return run


# --- schedule ------------------------------------------------------------------------------------


def _schedule() -> tuple[float | None, bool]:
    """(period from the config's Backstage ``schedule.frequency`` or None, manual only)."""
    settings = get_settings()
    if settings.org_config:
        with contextlib.suppress(DomainError, OSError, ValueError):
            for p in load_config(settings.org_config):
                if p.schedule and p.schedule.manual:
                    return None, True
                if p.schedule and (seconds := p.schedule.interval_seconds()):
                    return seconds, False
    return None, False


def sync_interval_seconds() -> float:
    """The job period: the config's Backstage ``schedule.frequency`` if any, else the setting."""
    seconds, _ = _schedule()
    return seconds or get_settings().org_sync_minutes * 60.0


def scheduled() -> bool:
    """False when the config says ``frequency: {trigger: manual}`` (CLI and "Sync now" only)."""
    return not _schedule()[1]


def sync_if_due() -> OrgSyncRun | None:
    """The scheduled job: every worker runs it; only one syncs per period.

    Skips when no config is set, when the schedule is manual, when another worker is syncing
    (the lock answers at once), or when a sync finished recently (another worker's schedule got
    there first). A run left "running" by a process that died does not block the schedule: the
    lock is free then, and the sync closes that run as interrupted."""
    if not get_settings().org_config or not scheduled():
        return None
    window = timedelta(seconds=sync_interval_seconds()) * 0.9
    previous = last_run()
    if previous and previous.finished_at and utcnow() - _aware(previous.finished_at) < window:
        return None  # cheap check first; sync_org checks again under the lock
    try:
        return sync_org(triggered_by="schedule", skip_if_finished_within=window)
    except Conflict:
        return None


def _aware(value: Any) -> Any:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)
