"""The in-process scheduler that runs plugin jobs in worker threads."""

from __future__ import annotations

import asyncio
import logging
import time

from pinconsole.plugins import Job, get_registry
from pinconsole.settings import get_settings

log = logging.getLogger(__name__)


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


async def run_scheduler() -> None:
    """Lifespan task: one asyncio task per job, cancelled when the backend stops."""
    if not get_settings().jobs_enabled:
        return
    tasks = [asyncio.create_task(_run_forever(job), name=job.name) for job in get_registry().jobs]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
