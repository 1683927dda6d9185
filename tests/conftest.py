"""Shared fixtures: a migrated database on SQLite and on a real PostgreSQL, per test run.

``db`` is parametrised over both backends, so every test that uses it runs twice. Each backend's
database is created and migrated once per session; tables are emptied before each test.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

import pinconsole.models  # noqa: F401
from pinconsole.db import dispose_engines, get_engine
from pinconsole.migrations import upgrade_database
from pinconsole.plugins import Plugin, get_registry
from pinconsole.settings import get_settings


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> object:
    """Playwright's sync API leaves its event loop marked running in the main thread for the
    rest of the session, so an asyncio test that an xdist worker runs after the browser tests
    failed with "Runner.run() cannot be called from a running event loop". Outside the browser
    tests that loop is idle (suspended in a greenlet): hide it for the test, give it back after."""
    held = asyncio.events._get_running_loop()
    if held is None or item.get_closest_marker("e2e") is not None:
        return (yield)
    asyncio.events._set_running_loop(None)
    try:
        return (yield)
    finally:
        asyncio.events._set_running_loop(held)


PG_ADMIN_URL = os.environ.get("PINCONSOLE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session", autouse=True)
def audit_outbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The run's audit outbox (intents of cluster actions, rows kept during an outage), not
    the working directory's data dir; tests that drain it use their own (``fresh_outbox``)."""
    path = tmp_path_factory.mktemp("audit") / "audit-outbox.jsonl"
    old = os.environ.get("PINCONSOLE_AUDIT_OUTBOX")
    os.environ["PINCONSOLE_AUDIT_OUTBOX"] = str(path)
    get_settings.cache_clear()
    yield path
    if old is None:
        os.environ.pop("PINCONSOLE_AUDIT_OUTBOX", None)
    else:
        os.environ["PINCONSOLE_AUDIT_OUTBOX"] = old
    get_settings.cache_clear()


@pytest.fixture
def fresh_outbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty audit outbox for this test alone."""
    path = tmp_path / "audit-outbox.jsonl"
    monkeypatch.setenv("PINCONSOLE_AUDIT_OUTBOX", str(path))
    get_settings.cache_clear()
    return path


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = Path(tmp_path_factory.mktemp("sqlite")) / "pinconsole.db"
    url = f"sqlite:///{path}"
    upgrade_database(url)
    return url


def _throwaway_postgres() -> Iterator[str]:
    name = f"pc_test_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield f"{base}/{name}"
    dispose_engines()
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    for url in _throwaway_postgres():
        upgrade_database(url)
        yield url


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    """A PostgreSQL database of its own for one test, without any schema."""
    yield from _throwaway_postgres()


def _empty_tables(url: str) -> None:
    engine = get_engine(url)
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty, migrated database; PinConsole's settings point at it for the test."""
    url = request.getfixturevalue(f"{request.param}_url")
    _empty_tables(url)
    monkeypatch.setenv("PINCONSOLE_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _use_database(url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    _empty_tables(url)
    monkeypatch.setenv("PINCONSOLE_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def sqlite_db(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Like ``db`` on SQLite only, for tests whose subject is not the database."""
    yield from _use_database(sqlite_url, monkeypatch)


@pytest.fixture
def postgres_db(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Like ``db`` on PostgreSQL only, for tests that take the database down."""
    yield from _use_database(postgres_url, monkeypatch)


@pytest.fixture
def with_plugin(monkeypatch: pytest.MonkeyPatch) -> Callable[[Plugin], Plugin]:
    """Puts a plugin into this process's registry for one test, as if it were installed (one
    named like a built-in replaces it); the registry is as before afterwards."""

    def add(plugin: Plugin) -> Plugin:
        monkeypatch.setitem(get_registry().plugins, plugin.name, plugin)
        return plugin

    return add
