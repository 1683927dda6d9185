"""catalog read-side indexes: trigram search (PostgreSQL), owner+name and tag lookups

``search_text LIKE '%word%'`` is served by a pg_trgm GIN index on PostgreSQL; SQLite scans
(fast enough at its scale). ``(kind, owner_ref, name)`` serves the catalog's most common view
(one kind, one owner, sorted by name) without a sort step.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 13:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_entity_kind_owner_name', 'entity', ['kind', 'owner_ref', 'name'])
    op.create_index('ix_entity_tag_tag_uid', 'entity_tag', ['tag', 'entity_uid'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.execute(
            'CREATE INDEX IF NOT EXISTS ix_entity_search_trgm ON entity '
            'USING gin (search_text gin_trgm_ops)'
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_entity_search_trgm')
    op.drop_index('ix_entity_tag_tag_uid', table_name='entity_tag')
    op.drop_index('ix_entity_kind_owner_name', table_name='entity')
