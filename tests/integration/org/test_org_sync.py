"""The org sync against slapd on SQLite and PostgreSQL: entities, re-sync writes nothing,
failures change nothing and say why, the removal guard and --force, one sync at a time."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fixtures.ldap import BASE, Slapd
from sqlmodel import col, select

from pinconsole.db import get_engine, session_scope
from pinconsole.errors import Conflict
from pinconsole.models import AuditEvent, Entity, OrgSyncRun, Relation
from pinconsole.org import sync as org_sync
from pinconsole.org.sync import count_row_writes, sync_org

pytestmark = pytest.mark.slapd


def _entities(kind: str) -> dict[str, Entity]:
    with session_scope() as s:
        rows = s.exec(select(Entity).where(col(Entity.kind) == kind)).all()
        return {r.name: r for r in rows}


def _relations(source: str, type_: str) -> set[str]:
    with session_scope() as s:
        rows = s.exec(
            select(Relation.target_ref).where(
                col(Relation.source_ref) == source, col(Relation.type) == type_
            )
        ).all()
        return set(rows)


def test_sync_then_resync_writes_nothing(
    db: str, directory: Slapd, write_config: Callable[..., Path]
) -> None:
    config = write_config(directory)
    run = sync_org(config, triggered_by="test")
    assert run.status == "ok", run.error
    assert (run.users_added, run.groups_added) == (6, 6)
    assert run.users_removed == run.groups_removed == 0
    assert run.finished_at is not None

    users, groups = _entities("user"), _entities("group")
    assert sorted(users) == ["alice", "bob", "carol", "dave", "eve", "frank"]
    assert "Equipe-Donnees" in groups
    assert _relations("user:default/alice", "memberOf") == {
        "group:default/admins",
        "group:default/engineering",
        "group:default/ops",
    }
    assert _relations("group:default/platform", "childOf") == {"group:default/engineering"}
    assert "group:default/platform" in _relations("group:default/engineering", "parentOf")
    assert "user:default/bob" in _relations("group:default/platform", "hasMember")

    with count_row_writes(get_engine(db)) as writes:
        again = sync_org(config, triggered_by="test")
    assert again.status == "ok", again.error
    assert (again.users_added, again.users_updated, again.users_removed) == (0, 0, 0)
    assert (again.groups_added, again.groups_updated, again.groups_removed) == (0, 0, 0)
    assert writes.rows == 0, writes.by_table
    assert run.mode == "full" and again.mode == "unchanged"  # same snapshot: apply skipped

    # the full comparison (forced past the shortcut) writes nothing either
    with count_row_writes(get_engine(db)) as writes:
        full = sync_org(config, force=True, triggered_by="test")
    assert full.status == "ok" and full.mode == "full", full.error
    assert (full.users_added, full.users_updated, full.users_removed) == (0, 0, 0)
    assert (full.groups_added, full.groups_updated, full.groups_removed) == (0, 0, 0)
    assert writes.rows == 0, writes.by_table

    with session_scope() as s:
        audit = s.exec(select(AuditEvent).where(col(AuditEvent.action) == "org.sync")).all()
    assert len(audit) == 3 and audit[0].actor == "test" and audit[0].outcome == "ok"


def test_catalog_drift_is_repaired(
    db: str, directory: Slapd, write_config: Callable[..., Path]
) -> None:
    """Someone removed a synced entity from the catalog: the unchanged directory still
    re-applies, because the catalog no longer matches what the last sync left."""
    config = write_config(directory)
    assert sync_org(config).status == "ok"
    with session_scope() as s:
        s.delete(s.exec(select(Entity).where(col(Entity.ref) == "user:default/eve")).one())
    run = sync_org(config)
    assert run.status == "ok" and run.mode == "full" and run.users_added == 1, run.error
    assert "eve" in _entities("user")
    assert sync_org(config).mode == "unchanged"


def test_a_change_updates_one_entity(
    db: str, directory: Slapd, write_config: Callable[..., Path]
) -> None:
    config = write_config(directory)
    assert sync_org(config).status == "ok"
    directory.modify(
        f"dn: uid=bob,ou=people,{BASE}\nchangetype: modify\n"
        "replace: mail\nmail: robert@example.org\n"
    )
    run = sync_org(config)
    assert run.status == "ok", run.error
    assert (run.users_added, run.users_updated, run.users_removed) == (0, 1, 0)
    assert (run.groups_added, run.groups_updated, run.groups_removed) == (0, 0, 0)
    body = _entities("user")["bob"].body
    assert body["spec"]["profile"]["email"] == "robert@example.org"


def _snapshot() -> list[tuple[str, str]]:
    with session_scope() as s:
        return sorted((e.ref, e.etag) for e in s.exec(select(Entity)).all())


@pytest.mark.parametrize("failure", ["server_down", "bad_credentials", "size_limit", "timeout"])
def test_failures_change_nothing_and_say_why(
    db: str, directory: Slapd, write_config: Callable[..., Path], failure: str
) -> None:
    config = write_config(directory)
    assert sync_org(config).status == "ok"
    before = _snapshot()
    directory.delete(f"uid=frank,ou=people,{BASE}")  # a change the failed sync must not apply
    expected = {
        "server_down": "cannot reach the server",
        "bad_credentials": "invalid credentials",
        "size_limit": "size limit exceeded",
        "timeout": "timed out",
    }[failure]
    if failure == "server_down":
        directory.stop()
    elif failure == "bad_credentials":
        config = write_config(directory, secret="wrong")
    elif failure == "size_limit":
        from fixtures.ldap_org_data import CONFIG

        config = write_config(directory, CONFIG.replace("paged: {pageSize: 2}", "paged: false"))
    else:
        import os
        import signal

        assert directory.proc is not None
        os.kill(directory.proc.pid, signal.SIGSTOP)  # accepts connections, never answers
    try:
        run = sync_org(config, triggered_by="test")
    finally:
        if failure == "timeout" and directory.proc is not None:
            import os
            import signal

            os.kill(directory.proc.pid, signal.SIGCONT)
    assert run.status == "failed"
    assert run.error and expected in run.error, run.error
    assert run.finished_at is not None
    assert _snapshot() == before
    with session_scope() as s:
        audit = s.exec(select(AuditEvent).where(col(AuditEvent.outcome) == "error")).all()
    assert len(audit) == 1 and expected in audit[0].detail


def test_removal_guard_and_force(
    db: str, directory: Slapd, write_config: Callable[..., Path]
) -> None:
    config = write_config(directory)
    assert sync_org(config).status == "ok"
    before = _snapshot()
    directory.delete(*(f"uid={u},ou=people,{BASE}" for u in ("dave", "eve")))  # 2 of 6 = 33%
    refused = sync_org(config, triggered_by="test")
    assert refused.status == "failed"
    assert refused.error is not None
    assert "would remove 2 of 6 users (33%)" in refused.error
    assert "--force" in refused.error
    assert _snapshot() == before

    forced = sync_org(config, force=True, triggered_by="test")
    assert forced.status == "ok", forced.error
    assert forced.users_removed == 2
    assert "dave" not in _entities("user")
    # memberships that named the removed users are gone with them
    assert _relations("group:default/ops", "hasMember") == {"user:default/alice"}


def test_small_removals_pass_the_guard(
    db: str, directory: Slapd, write_config: Callable[..., Path]
) -> None:
    config = write_config(directory)
    assert sync_org(config).status == "ok"
    directory.delete(f"uid=frank,ou=people,{BASE}")  # 1 of 6 = 17% < 20%
    run = sync_org(config)
    assert run.status == "ok" and run.users_removed == 1


def test_a_removed_users_tokens_end_with_them(
    db: str, directory: Slapd, write_config: Callable[..., Path]
) -> None:
    """A token outliving its person kept their access (an admin token, admin) until expiry."""
    from pinconsole.access.tokens import create_token, list_tokens, verify_token
    from pinconsole.errors import Unauthenticated

    config = write_config(directory)
    assert sync_org(config).status == "ok"
    gone = create_token("Frank", admin=True, description="laptop")
    kept = create_token("alice")
    bot = create_token("ops-bot", description="a service account is never in the directory")
    assert verify_token(gone).is_admin

    directory.delete(f"uid=frank,ou=people,{BASE}")
    assert sync_org(config, triggered_by="test").status == "ok"
    with pytest.raises(Unauthenticated, match="revoked"):
        verify_token(gone)
    assert verify_token(kept).name == "alice" and verify_token(bot).name == "ops-bot"
    assert [t.state for t in list_tokens("frank")] == ["revoked"]
    with session_scope() as s:
        row = s.exec(select(AuditEvent).where(col(AuditEvent.target) == "user:frank")).one()
    assert (row.action, row.actor, row.detail) == (
        "token.revoke",
        "test",
        "the user left the directory",
    )


def test_one_sync_at_a_time(
    db: str, directory: Slapd, write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """While one sync holds the lock (paused inside its LDAP read), a second is refused."""
    config = write_config(directory)
    inside, release = threading.Event(), threading.Event()
    real_read = org_sync.read_org

    def slow_read(provider):  # type: ignore[no-untyped-def]
        inside.set()
        assert release.wait(20)
        return real_read(provider)

    monkeypatch.setattr(org_sync, "read_org", slow_read)
    results: list[OrgSyncRun] = []
    worker = threading.Thread(target=lambda: results.append(sync_org(config)))
    worker.start()
    try:
        assert inside.wait(20)
        monkeypatch.setattr(org_sync, "read_org", real_read)
        with pytest.raises(Conflict, match="another org sync is running"):
            sync_org(config)
    finally:
        release.set()
        worker.join(30)
    assert results and results[0].status == "ok"
    assert sync_org(config).status == "ok"  # the lock is free again


def test_history_lists_runs(db: str, directory: Slapd, write_config: Callable[..., Path]) -> None:
    config = write_config(directory)
    sync_org(config)
    directory.stop()
    sync_org(config)
    runs, total = org_sync.list_runs()
    assert total == 2
    assert [r.status for r in runs] == ["failed", "ok"]
    assert org_sync.last_run("ok") is not None


@pytest.fixture
def configured(
    directory: Slapd, write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Path]]:
    """PINCONSOLE_ORG_CONFIG names a config of ``directory`` (the scheduled job's view)."""
    from pinconsole.settings import get_settings

    def configure(text: str | None = None) -> Path:
        from fixtures.ldap_org_data import CONFIG

        path = write_config(directory, text or CONFIG)
        monkeypatch.setenv("PINCONSOLE_ORG_CONFIG", str(path))
        get_settings.cache_clear()
        return path

    yield configure
    get_settings.cache_clear()


def test_schedule_runs_past_a_run_left_running(db: str, configured: Callable[..., Path]) -> None:
    """A worker died mid-sync and left its run "running": the next period still syncs (the lock
    is free) and closes that run as interrupted, instead of waiting for it forever."""
    configured()
    with session_scope() as s:
        s.add(OrgSyncRun(provider="corp", status="running"))
    run = org_sync.sync_if_due()
    assert run is not None and run.status == "ok" and run.users_added == 6, run
    runs, _ = org_sync.list_runs()
    assert runs[1].status == "failed" and "interrupted" in (runs[1].error or "")
    # within the period the job does nothing, also when the cheap check is passed by
    assert org_sync.sync_if_due() is None
    again = sync_org(triggered_by="schedule", skip_if_finished_within=timedelta(hours=1))
    assert again.id == run.id  # the finished run, checked under the lock: no second sync
    assert org_sync.list_runs()[1] == 2


def test_manual_schedule_never_syncs_by_itself(db: str, configured: Callable[..., Path]) -> None:
    from fixtures.ldap_org_data import CONFIG

    configured(CONFIG.replace("        users:\n", "        schedule:\n"
                              "          frequency: {trigger: manual}\n"
                              "          timeout: {minutes: 10}\n        users:\n", 1))  # fmt: skip
    assert not org_sync.scheduled()
    assert org_sync.sync_if_due() is None
    assert org_sync.list_runs()[1] == 0
    assert sync_org(triggered_by="cli").status == "ok"  # by hand it works


def test_schedule_frequency_sets_the_period(db: str, configured: Callable[..., Path]) -> None:
    from fixtures.ldap_org_data import CONFIG

    configured(CONFIG.replace("        users:\n", "        schedule:\n"
                              "          frequency: PT15M\n          timeout: PT5M\n"
                              "        users:\n", 1))  # fmt: skip
    assert org_sync.sync_interval_seconds() == 900
    assert org_sync.scheduled()
