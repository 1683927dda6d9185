"""Plugin jobs run in the backend's scheduler: periodically, in threads, surviving failures."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pinconsole import jobs
from pinconsole.plugins import Job, Plugin
from pinconsole.plugins.registry import Registry
from pinconsole.settings import get_settings


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Registry]:
    registry = Registry()
    monkeypatch.setattr(jobs, "get_registry", lambda: registry)
    monkeypatch.setenv("PINCONSOLE_JOBS_ENABLED", "true")
    # The scheduler lease of this test alone (a file lock beside this database).
    monkeypatch.setenv("PINCONSOLE_DATABASE_URL", f"sqlite:///{tmp_path / 'pinconsole.db'}")
    get_settings.cache_clear()
    yield registry
    get_settings.cache_clear()


async def test_jobs_run_every_period_in_threads_and_survive_failures(registry: Registry) -> None:
    runs: list[str] = []
    loop_thread = threading.get_ident()

    def tick() -> None:
        assert threading.get_ident() != loop_thread  # blocking code stays off the event loop
        runs.append("tick")

    def broken() -> None:
        runs.append("broken")
        raise RuntimeError("a job failing once must not stop it or the others")

    registry.register(
        Plugin(
            name="test-jobs",
            jobs=[
                Job("tick", interval_seconds=1.0, run=tick, run_at_start=True),
                Job("broken", interval_seconds=lambda: 1.0, run=broken, run_at_start=True),
                Job("later", interval_seconds=60.0, run=lambda: runs.append("later")),
            ],
        )
    )
    scheduler = asyncio.create_task(jobs.run_scheduler())
    await asyncio.sleep(2.5)
    scheduler.cancel()
    with pytest.raises(asyncio.CancelledError):
        await scheduler
    assert runs.count("tick") >= 2 and runs.count("broken") >= 2
    assert "later" not in runs  # without run_at_start a job waits one period first


async def test_jobs_disabled_on_this_host(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[int] = []
    registry.register(
        Plugin(name="t", jobs=[Job("x", 1.0, lambda: ran.append(1), run_at_start=True)])
    )
    monkeypatch.setenv("PINCONSOLE_JOBS_ENABLED", "false")
    get_settings.cache_clear()
    await asyncio.wait_for(jobs.run_scheduler(), timeout=1)
    await asyncio.sleep(0.2)
    assert ran == []


async def test_every_host_jobs_run_where_shared_jobs_are_off(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The audit outbox is a file per host: its drain runs on every host, or rows kept while
    the database was down would stay on the hosts that run no shared jobs."""
    ran: list[str] = []
    registry.register(
        Plugin(
            name="t",
            jobs=[
                Job("shared", 1.0, lambda: ran.append("shared"), run_at_start=True),
                Job("local", 1.0, lambda: ran.append("local"), run_at_start=True, every_host=True),
            ],
        )
    )
    monkeypatch.setenv("PINCONSOLE_JOBS_ENABLED", "false")
    get_settings.cache_clear()
    scheduler = asyncio.create_task(jobs.run_scheduler())
    await asyncio.sleep(0.5)
    scheduler.cancel()
    with pytest.raises(asyncio.CancelledError):
        await scheduler
    assert ran == ["local"]


def test_the_audit_outbox_drains_on_every_host() -> None:
    from pinconsole.access.plugin import plugin

    (drain,) = [j for j in plugin().jobs if j.name == "audit-outbox"]
    assert drain.every_host


def test_the_cluster_caches_start_in_every_process() -> None:
    """Pages read the caches of their own process: a worker that is not the scheduler's runner
    must still watch the clusters."""
    from pinconsole.compute.plugin import plugin

    (start,) = [j for j in plugin().jobs if j.name == "compute-clusters"]
    assert start.every_host
