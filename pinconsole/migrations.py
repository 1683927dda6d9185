"""Schema upgrades through alembic, callable from the CLI, tests and start-up."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from alembic import command

ROOT = Path(__file__).resolve().parent.parent

# PostgreSQL advisory lock taken for the length of an upgrade (alembic/env.py): the db upgrade
# Job and every backend starting at once run it together, and the later ones must wait and
# then find the schema at head, not create the same tables in parallel.
UPGRADE_LOCK = 0x70634D47


def alembic_config(url: str | None = None) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_database(url: str | None = None, revision: str = "head") -> None:
    """Create or upgrade the schema; safe to run any number of times."""
    command.upgrade(alembic_config(url), revision)
