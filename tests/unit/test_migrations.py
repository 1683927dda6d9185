"""`db upgrade` on an empty database, twice in a row, on both backends."""

from __future__ import annotations

from sqlalchemy import inspect

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
