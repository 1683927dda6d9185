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
