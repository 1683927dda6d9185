"""One holder at a time across every process and host: the lease that elects the scheduler.

On PostgreSQL the lease is a session advisory lock (``pg_try_advisory_lock``) held by a
connection of its own. It ends with that session: when the holder dies, even by ``kill -9``,
its socket closes and the server releases the lock at once; when its host vanishes, TCP
keepalives (asked of both ends) end the session within about half a minute. The holder's
heartbeat is a query on that connection: when it fails, the lock may be someone else's, and
the holder must stop. On SQLite (the embedded default: one host) a file lock beside the
database does the same, released by the kernel when the process ends.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from filelock import FileLock, Timeout
from sqlalchemy.engine import make_url

from pinconsole.db import is_postgres

if TYPE_CHECKING:  # the driver loads with the first PostgreSQL lease, not for SQLite or a CLI
    import psycopg

log = logging.getLogger(__name__)

# libpq's keepalives (a dead server) and the server's (a dead holder), and a connect timeout.
_KEEPALIVES = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 25_000,
    "options": "-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3",
}


def lease_key(name: str) -> int:
    """A fixed 63-bit advisory lock key derived from a readable name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") >> 1


def lock_file(url: str, name: str) -> Path:
    """Where a file lock named ``name`` for the SQLite database at ``url`` lives (beside it)."""
    database = make_url(url).database
    if database and database != ":memory:":
        return Path(database).with_name(f"{Path(database).name}.{name}.lock")
    from pinconsole.settings import DATA_DIR

    return DATA_DIR / f"{name}.lock"


class Lease(Protocol):
    """``acquire`` tries once without waiting; ``renew`` says whether it is still held."""

    def acquire(self) -> bool: ...

    def renew(self) -> bool: ...

    def release(self) -> None: ...


class PostgresLease:
    """A session advisory lock on a connection of its own (see the module docstring)."""

    def __init__(self, url: str, name: str) -> None:
        self._conninfo = make_url(url).set(drivername="postgresql").render_as_string(False)
        self.key = lease_key(name)
        self.name = name
        self._conn: psycopg.Connection | None = None

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            import psycopg

            self._conn = psycopg.connect(
                self._conninfo,
                autocommit=True,
                application_name=f"pinconsole lease {self.name}",
                **_KEEPALIVES,
            )
        return self._conn

    def acquire(self) -> bool:
        try:
            row = self._connection().execute("SELECT pg_try_advisory_lock(%s)", (self.key,))
            return bool(row.fetchone()[0])  # type: ignore[index]
        except Exception as exc:  # the database is down: nobody can hold it through us
            log.warning("lease %s: cannot reach the database: %s", self.name, exc)
            self._close()
            return False

    def renew(self) -> bool:
        """The heartbeat: the session, and with it the lock, is alive."""
        try:
            # A bigint key shows in pg_locks as classid (high half) and objid (low half).
            held = self._connection().execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND pid = pg_backend_pid() AND objsubid = 1"
                " AND classid = (%(k)s::bigint >> 32)::oid"
                " AND objid = (%(k)s::bigint & 4294967295)::oid",
                {"k": self.key},
            )
            return bool(held.fetchone()[0])  # type: ignore[index]
        except Exception as exc:
            log.warning("lease %s: heartbeat failed: %s", self.name, exc)
            self._close()
            return False

    def release(self) -> None:
        self._close()  # ending the session releases its advisory locks

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # a broken connection may refuse to close cleanly
                log.debug("lease %s: close failed", self.name, exc_info=True)


class FileLease:
    """A file lock beside the SQLite database (one host: the embedded default)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Not thread-local: the scheduler acquires and renews from different worker threads.
        self._lock = FileLock(str(path), timeout=0, thread_local=False)

    def acquire(self) -> bool:
        try:
            self._lock.acquire()
        except Timeout:
            return False
        return True

    def renew(self) -> bool:
        return self._lock.is_locked

    def release(self) -> None:
        self._lock.release(force=True)


def lease_for(url: str, name: str) -> Lease:
    """The lease ``name`` on the database at ``url``."""
    if is_postgres(url):
        return PostgresLease(url, name)
    return FileLease(lock_file(url, name))
