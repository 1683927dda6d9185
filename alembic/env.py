"""Alembic environment: the URL comes from PinConsole's settings unless the caller set one."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import SQLModel

import pinconsole.models  # noqa: F401  (registers every table)
from alembic import context
from pinconsole.db import get_engine
from pinconsole.migrations import UPGRADE_LOCK
from pinconsole.settings import get_settings

config = context.config
url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with get_engine(url).connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":  # held until the commit below
                lock = text("SELECT pg_advisory_xact_lock(:key)")
                connection.execute(lock, {"key": UPGRADE_LOCK})
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
