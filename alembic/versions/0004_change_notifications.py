"""change notifications for read caches (PostgreSQL)

Statement-level triggers send ``NOTIFY pinconsole_data, '<table>'`` when the catalog tables or
API tokens change, so every backend process drops cached answers at commit time instead of
waiting for a TTL (``pinconsole.catalog.cache``). SQLite needs nothing: readers poll
``PRAGMA data_version``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 13:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ('entity', 'relation', 'entity_tag', 'api_token')


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(
        """
        CREATE OR REPLACE FUNCTION pinconsole_notify_change() RETURNS trigger AS $$
        BEGIN
            PERFORM pg_notify('pinconsole_data', TG_TABLE_NAME);
            RETURN NULL;
        END
        $$ LANGUAGE plpgsql
        """
    )
    for table in TABLES:
        op.execute(
            f'CREATE TRIGGER {table}_notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
            f'ON {table} FOR EACH STATEMENT EXECUTE FUNCTION pinconsole_notify_change()'
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in TABLES:
        op.execute(f'DROP TRIGGER IF EXISTS {table}_notify_change ON {table}')
    op.execute('DROP FUNCTION IF EXISTS pinconsole_notify_change()')
