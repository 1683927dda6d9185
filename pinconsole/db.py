"""The engines, the session helpers everything uses (``session_scope`` to write,
``read_scope``/``run_read`` to read) and the one dialect check (``is_postgres``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

from pinconsole.settings import get_settings

T = TypeVar("T")
_engines: dict[str, Engine] = {}
_readers: dict[str, Engine] = {}


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    # WAL lets the web workers read while a sync or import writes.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def get_engine(url: str | None = None) -> Engine:
    """One engine per URL per process (pooled)."""
    url = url or get_settings().database_url
    engine = _engines.get(url)
    if engine is None:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"check_same_thread": False})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
        _engines[url] = engine
    return engine


def get_read_engine(url: str | None = None) -> Engine:
    """The engine for read-only sessions: autocommit (no BEGIN/COMMIT round trips).

    On PostgreSQL it has its own pool without ``pre_ping``, which would cost a round trip per
    checkout: readers retry once instead (``retry_read``). SQLite shares the main pool.
    """
    url = url or get_settings().database_url
    reader = _readers.get(url)
    if reader is None:
        engine = get_engine(url)
        if is_postgres(engine):
            reader = create_engine(url, isolation_level="AUTOCOMMIT", pool_size=10, max_overflow=20)
        else:
            reader = engine.execution_options(isolation_level="AUTOCOMMIT")
        _readers[url] = reader
    return reader


def retry_read(read: Callable[[], T]) -> T:
    """``read()``, and once more if its pooled connection had died (a database restart).

    SQLAlchemy then invalidates every older pooled connection, so the second try connects anew.
    Only for reads: running one twice is harmless.
    """
    try:
        return read()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        return read()


def dispose_engines() -> None:
    """Close every pooled connection (tests and forks)."""
    for engine in [*_readers.values(), *_engines.values()]:
        engine.dispose()
    _readers.clear()
    _engines.clear()


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = Session(get_engine(url), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def read_scope(url: str | None = None) -> Iterator[Session]:
    """A session for reads only, in autocommit: no BEGIN/COMMIT round trips per request.

    Each statement sees a consistent snapshot; the catalog's read paths answer a request with
    one statement (totals and relations are folded in).
    """
    session = Session(get_read_engine(url), expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()


def run_read(read: Callable[[Session], T], *, session: Session | None = None) -> T:
    """``read(session)``: in the caller's ``session`` if given, else in a ``read_scope`` of its
    own, tried once more if its pooled connection had died (``retry_read``)."""
    if session is not None:
        return read(session)

    def attempt() -> T:
        with read_scope() as own:
            return read(own)

    return retry_read(attempt)


@lru_cache(maxsize=16)
def _backend(url: str) -> str:
    return make_url(url).get_backend_name()


def is_postgres(where: str | Session | Connection | Engine | None = None) -> bool:
    """Whether ``where`` (a URL, a session, a connection or an engine; by default the
    configured database) is PostgreSQL: where the fast paths (``db_async``, COPY, jsonb) apply."""
    if where is None or isinstance(where, str):
        return _backend(where or get_settings().database_url) == "postgresql"
    bind = where.get_bind() if isinstance(where, Session) else where
    return bind.dialect.name == "postgresql"
