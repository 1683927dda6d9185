"""A work queue of object keys, as client-go's rate-limited work queue behaves.

A key is queued at most once however often it changes (the reconcile reads the latest copy
anyway), is never handed to two workers at once (a key added while it is being worked on is
queued again when that work is done), can be added after a delay (a schedule's next boundary,
a backoff), and failures back off per key exponentially (tenacity's jittered exponential
wait) until a success forgets them.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque
from collections.abc import Hashable

from tenacity import RetryCallState, wait_exponential_jitter


class WorkQueue:
    def __init__(self, *, base_delay: float = 0.05, max_delay: float = 60.0) -> None:
        self._cond = threading.Condition()
        self._queue: deque[Hashable] = deque()
        self._queued: set[Hashable] = set()
        self._processing: set[Hashable] = set()
        self._dirty: set[Hashable] = set()
        self._later: list[tuple[float, int, Hashable]] = []
        self._order = itertools.count()
        self._failures: dict[Hashable, int] = {}
        self._wait = wait_exponential_jitter(
            multiplier=base_delay, max=max_delay, jitter=base_delay
        )
        self._closed = False

    def __len__(self) -> int:
        with self._cond:
            return len(self._queue) + len(self._processing)

    def add(self, key: Hashable) -> None:
        with self._cond:
            if self._closed:
                return
            self._enqueue(key)
            self._cond.notify()

    def _enqueue(self, key: Hashable) -> None:
        """Queue ``key`` once; while a worker has it, mark it to be queued again when done."""
        if key in self._processing:
            self._dirty.add(key)
        elif key not in self._queued:
            self._queued.add(key)
            self._queue.append(key)

    def add_after(self, key: Hashable, seconds: float) -> None:
        if seconds <= 0:
            self.add(key)
            return
        with self._cond:
            heapq.heappush(self._later, (time.monotonic() + seconds, next(self._order), key))
            self._cond.notify()

    def retry(self, key: Hashable) -> float:
        """Add ``key`` again after its backoff; returns the delay."""
        with self._cond:
            self._failures[key] = self._failures.get(key, 0) + 1
            state = RetryCallState(None, None, (), {})
            state.attempt_number = self._failures[key]
            delay = float(self._wait(state))
        self.add_after(key, delay)
        return delay

    def forget(self, key: Hashable) -> None:
        with self._cond:
            self._failures.pop(key, None)

    def get(self, timeout: float | None = None) -> Hashable | None:
        """The next key (the caller must call ``done``), or None when closed or timed out."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                self._promote()
                if self._queue:
                    key = self._queue.popleft()
                    self._queued.discard(key)
                    self._processing.add(key)
                    return key
                if self._closed:
                    return None
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    return None
                times = (deadline, self._later[0][0] if self._later else None)
                wait = min((t - now for t in times if t is not None), default=None)
                self._cond.wait(None if wait is None else max(wait, 0.001))

    def _promote(self) -> None:
        now = time.monotonic()
        while self._later and self._later[0][0] <= now:
            _at, _n, key = heapq.heappop(self._later)
            self._enqueue(key)

    def done(self, key: Hashable) -> None:
        with self._cond:
            self._processing.discard(key)
            if key in self._dirty:
                self._dirty.discard(key)
                self._enqueue(key)
                self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
