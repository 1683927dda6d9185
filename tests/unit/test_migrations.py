"""`db upgrade` on an empty database, twice in a row, on both backends, and several at once."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import inspect, text

from pinconsole.db import get_engine
from pinconsole.migrations import upgrade_database


def test_upgrade_is_idempotent(db: str) -> None:
    upgrade_database(db)
    upgrade_database(db)
    tables = set(inspect(get_engine(db)).get_table_names())
    assert {"entity", "relation", "audit_event", "api_token", "alembic_version"} <= tables


def test_migrations_build_the_tables_the_models_declare(db: str) -> None:
    """A model changed without a migration (a column, a table, a type, nullability) fails here.

    Indexes only the migrations create (trigram, covering, partial indexes for PostgreSQL's
    planner) are allowed: the models do not repeat every index.
    """
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import pinconsole.models  # noqa: F401  (every table on the metadata)

    with get_engine(db).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    drift = [d for d in diff if not (isinstance(d, tuple) and d[0] == "remove_index")]
    assert not drift, f"models and migrations differ; write a migration: {drift}"


@pytest.mark.postgres
def test_concurrent_upgrades_of_an_empty_database_wait_for_each_other(
    empty_postgres_url: str,
) -> None:
    """The db upgrade Job and several backends starting at once all upgrade: on PostgreSQL an
    advisory lock makes them take turns, so each succeeds and the schema is built once."""
    script = "import sys; from pinconsole.migrations import upgrade_database; "
    script += "upgrade_database(sys.argv[1])"
    runs = [
        subprocess.Popen([sys.executable, "-c", script, empty_postgres_url], stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    errors = [run.communicate(timeout=300)[1].decode() for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], errors
    with get_engine(empty_postgres_url).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
