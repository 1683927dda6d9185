"""The embedded default's file lease, as the scheduler uses it: each call in a worker thread."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pinconsole.leases import FileLease


def test_a_file_lease_is_held_across_the_threads_that_renew_it(tmp_path: Path) -> None:
    """The scheduler acquires, renews and releases through asyncio.to_thread, so each call may
    run in another thread: a thread-local lock said "not held" at the first heartbeat and the
    demo's shared jobs stopped and restarted every 10 seconds."""
    lease, rival = FileLease(tmp_path / "scheduler.lock"), FileLease(tmp_path / "scheduler.lock")
    with ThreadPoolExecutor(1) as one, ThreadPoolExecutor(1) as other:
        assert one.submit(lease.acquire).result()
        assert other.submit(lease.renew).result()
        assert not other.submit(rival.acquire).result()
        other.submit(lease.release).result()
        assert one.submit(rival.acquire).result()
        rival.release()
