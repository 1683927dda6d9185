"""The read-session helper and the one dialect check (``pinconsole.db``)."""

from __future__ import annotations

import os

import psycopg
import pytest
from sqlalchemy import text

from pinconsole.db import get_engine, is_postgres, read_scope, run_read, session_scope

PG_ADMIN_URL = os.environ.get("PINCONSOLE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def test_is_postgres_answers_for_a_url_a_session_a_connection_and_an_engine(db: str) -> None:
    expected = db.startswith("postgresql")
    engine = get_engine()
    with session_scope() as session, engine.connect() as conn:
        answers = [is_postgres(), is_postgres(db), is_postgres(session), is_postgres(conn)]
    assert [*answers, is_postgres(engine)] == [expected] * 5


def test_run_read_uses_the_callers_session_or_a_read_session_of_its_own(db: str) -> None:
    with read_scope() as mine:
        assert run_read(lambda s: s, session=mine) is mine
    assert run_read(lambda s: s.exec(text("SELECT 1")).one()[0]) == 1  # type: ignore[call-overload]


@pytest.mark.postgres
def test_run_read_survives_a_pooled_connection_the_server_dropped(postgres_db: str) -> None:
    """The read pool has no pre-ping; a connection killed under it (a restart) is retried."""
    pid = run_read(lambda s: s.exec(text("SELECT pg_backend_pid()")).one()[0])  # type: ignore[call-overload]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    again = run_read(lambda s: s.exec(text("SELECT pg_backend_pid()")).one()[0])  # type: ignore[call-overload]
    assert again != pid
