"""The one in-process read cache: answers dropped the moment the data changes, in any process.

A cached answer is stored under the current *data generation*; any committed write moves the
generation on, so stale entries are simply never looked up again (and age out of the TTL cache).
The generation moves on when:

- this process commits an INSERT/UPDATE/DELETE/TRUNCATE (an engine event, immediate);
- another process commits to the catalog tables or API tokens: on PostgreSQL a statement trigger
  (migration 0004) sends ``NOTIFY pinconsole_data`` and a LISTEN connection is polled without
  blocking (about 10 µs); on SQLite ``PRAGMA data_version`` changes whenever another connection
  commits.

The TTL (``settings.cache_ttl_seconds``) is only a safety net, e.g. while the LISTEN connection
is being re-established.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from cachetools import TTLCache
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from pinconsole.settings import get_settings

__all__ = ["MISSING", "bump", "cached", "cached_async", "clear", "generation", "lookup"]

log = logging.getLogger(__name__)

T = TypeVar("T")
CHANNEL = "pinconsole_data"
_WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE", "REPLACE")

_lock = threading.Lock()
_local = 0  # bumped by this process's own commits
_watchers: dict[str, _Watcher] = {}
_caches: dict[str, TTLCache[Hashable, Any]] = {}


def bump() -> None:
    """Move the generation on (this process wrote, or a test wants a clean slate)."""
    global _local
    with _lock:
        _local += 1


def clear() -> None:
    """Drop every cached answer (tests)."""
    with _lock:
        _caches.clear()


@event.listens_for(Engine, "after_cursor_execute")
def _note_write(
    conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
) -> None:
    if statement.lstrip()[:8].upper().startswith(_WRITES):
        conn.info["pinconsole_wrote"] = True


@event.listens_for(Engine, "commit")
def _on_commit(conn: Any) -> None:
    if conn.info.pop("pinconsole_wrote", False):
        bump()


@event.listens_for(Engine, "rollback")
def _on_rollback(conn: Any) -> None:
    if conn.invalidated:  # its connection died: ``info`` would try to reconnect
        return
    conn.info.pop("pinconsole_wrote", None)


class _Watcher:
    """Counts commits made by other processes to one database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.backend = make_url(url).get_backend_name()
        self.count = 0
        self.conn: Any = None
        self.lock = threading.Lock()

    def _connect(self) -> None:
        parsed = make_url(self.url)
        if self.backend == "postgresql":
            import psycopg

            dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
            self.conn = psycopg.connect(dsn, autocommit=True, connect_timeout=5)
            self.conn.execute(f"LISTEN {CHANNEL}")
        elif self.backend == "sqlite" and parsed.database and parsed.database != ":memory:":
            self.conn = sqlite3.connect(parsed.database, check_same_thread=False)
        self.count += 1  # whatever happened while we were not listening

    def poll(self) -> int:
        with self.lock:
            try:
                if self.conn is None:
                    self._connect()
                if self.backend == "postgresql":
                    self.count += sum(1 for _ in self.conn.notifies(timeout=0))
                elif self.backend == "sqlite" and self.conn is not None:
                    self.count = int(self.conn.execute("PRAGMA data_version").fetchone()[0])
            except Exception:  # the database is down or restarted: listen again next time
                log.warning(
                    "catalog cache: change watcher for %s lost", self.backend, exc_info=True
                )
                try:
                    if self.conn is not None:
                        self.conn.close()
                finally:
                    self.conn = None
                self.count += 1
            return self.count


def generation(url: str | None = None) -> tuple[str, int, int]:
    """The current data generation of ``url`` (default: the configured database)."""
    url = url or get_settings().database_url
    watcher = _watchers.get(url)
    if watcher is None:
        with _lock:
            watcher = _watchers.setdefault(url, _Watcher(url))
    return (url, _local, watcher.poll())


MISSING: Any = object()


def _cache(
    space: str, maxsize: int, sizeof: Callable[[Any], int] | None
) -> TTLCache[Hashable, Any]:
    cache = _caches.get(space)
    if cache is None:
        ttl = max(1, get_settings().cache_ttl_seconds)
        cache = _caches[space] = TTLCache(maxsize=maxsize, ttl=ttl, getsizeof=sizeof)
    return cache


def lookup(
    space: str, key: Hashable, *, maxsize: int = 2048, sizeof: Callable[[Any], int] | None = None
) -> Any:
    """The cached value for ``key`` in this generation, or ``MISSING`` (never computes)."""
    full = (generation(), key)
    with _lock:
        return _cache(space, maxsize, sizeof).get(full, MISSING)


def cached(
    space: str,
    key: Hashable,
    compute: Callable[[], T],
    *,
    maxsize: int = 2048,
    sizeof: Callable[[Any], int] | None = None,
) -> T:
    """``compute()`` once per generation and key; ``space`` names a bounded LRU/TTL cache.

    ``maxsize`` counts entries, or with ``sizeof`` (e.g. ``len`` for bytes) the sum of sizes, so
    a cache of response bodies stays within a memory budget. Exceptions are not cached. Two
    threads missing at once may both compute (no stampede lock: answers are identical).
    """
    full = (generation(), key)
    with _lock:
        hit = _cache(space, maxsize, sizeof).get(full, MISSING)
    if hit is not MISSING:
        return hit  # type: ignore[no-any-return]
    value = compute()
    # A value larger than the whole budget is served but not kept (ValueError).
    with _lock, contextlib.suppress(ValueError):
        _cache(space, maxsize, sizeof)[full] = value
    return value


async def cached_async(
    space: str,
    key: Hashable,
    compute: Callable[[], Awaitable[T]],
    *,
    maxsize: int = 2048,
    sizeof: Callable[[Any], int] | None = None,
) -> T:
    """``cached`` for a computation that awaits (reads on the event loop)."""
    full = (generation(), key)  # before the read: a write meanwhile makes this key stale
    with _lock:
        hit = _cache(space, maxsize, sizeof).get(full, MISSING)
    if hit is not MISSING:
        return hit  # type: ignore[no-any-return]
    value = await compute()
    with _lock, contextlib.suppress(ValueError):
        _cache(space, maxsize, sizeof)[full] = value
    return value
