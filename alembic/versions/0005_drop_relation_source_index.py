"""drop ix_relation_source: the relation primary key already starts with (source_ref, type)

One index fewer to maintain on the largest catalog table (a 27,500-entity import writes
~250,000 relation rows).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 12:57:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_relation_source', table_name='relation')


def downgrade() -> None:
    op.create_index('ix_relation_source', 'relation', ['source_ref', 'type'], unique=False)
