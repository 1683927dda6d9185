"""The in-process scheduler that runs plugin jobs in worker threads.

Shared jobs (catalog refresh, org sync, ...) run in one process among all the backend workers
of all hosts: the one holding the ``scheduler`` lease (``pinconsole.leases``: an advisory lock
on PostgreSQL, a file lock on SQLite). Every other process tries for it every
``LEASE_RETRY_SECONDS``, so when the runner dies another takes over within that. The runner
renews it every ``HEARTBEAT_SECONDS``; when the heartbeat fails it stops scheduling the shared
jobs (a run already in its thread finishes) and competes again. ``Job.every_host`` jobs tend
something of their own process or host (the audit outbox file, the cluster caches) and run in
every process. ``jobs_enabled`` false keeps a process out of the election altogether.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Sequence

from pinconsole.leases import Lease, lease_for
from pinconsole.plugins import Job, get_registry
from pinconsole.settings import get_settings

log = logging.getLogger(__name__)

LEASE_NAME = "pinconsole.scheduler"
LEASE_RETRY_SECONDS = 10.0
HEARTBEAT_SECONDS = 10.0


def _interval(job: Job) -> float:
    value = job.interval_seconds
    return float(value() if callable(value) else value)


async def _run_forever(job: Job) -> None:
    if not job.run_at_start:
        await asyncio.sleep(_interval(job))
    while True:
        started = time.monotonic()
        try:
            await asyncio.to_thread(job.run)
        except Exception:  # a failing job reports itself and tries again next period
            log.exception("job %s failed", job.name)
        await asyncio.sleep(max(1.0, _interval(job) - (time.monotonic() - started)))


async def _stop(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def run_shared_jobs(jobs: Sequence[Job], lease: Lease) -> None:
    """Run ``jobs`` whenever this process holds ``lease``; compete for it otherwise."""
    me = f"{socket.gethostname()} pid {os.getpid()}"
    while True:
        if not await asyncio.to_thread(lease.acquire):
            await asyncio.sleep(LEASE_RETRY_SECONDS)
            continue
        log.info("scheduler: %s runs the shared jobs (%d)", me, len(jobs))
        tasks = [asyncio.create_task(_run_forever(job), name=job.name) for job in jobs]
        try:
            while True:
                await asyncio.sleep(HEARTBEAT_SECONDS)
                if not await asyncio.to_thread(lease.renew):
                    log.warning("scheduler: %s lost the lease; shared jobs stop here", me)
                    break
        finally:
            await _stop(tasks)
            with contextlib.suppress(Exception):  # released already if the session died
                await asyncio.to_thread(lease.release)


async def run_scheduler(jobs: Sequence[Job] | None = None, lease: Lease | None = None) -> None:
    """Lifespan task: every job of the registry (or ``jobs``), cancelled when the backend stops.

    ``every_host`` jobs run here in any case; the shared ones when this process holds the
    scheduler lease, and never with ``jobs_enabled`` off.
    """
    jobs = list(get_registry().jobs if jobs is None else jobs)
    settings = get_settings()
    tasks = [
        asyncio.create_task(_run_forever(job), name=job.name) for job in jobs if job.every_host
    ]
    shared = [job for job in jobs if not job.every_host]
    if shared and settings.jobs_enabled:
        lease = lease or lease_for(settings.database_url, LEASE_NAME)
        tasks.append(asyncio.create_task(run_shared_jobs(shared, lease), name="scheduler"))
    if not tasks:
        return
    try:
        await asyncio.gather(*tasks)
    finally:
        await _stop(tasks)
