"""entity (name, uid) index: name-ordered pages without a sort

A text search or an unfiltered catalog page sorted by name reads the first matching rows in
index order and stops at the page size, instead of sorting every match.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 13:25:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_entity_name_uid', 'entity', ['name', 'uid'])


def downgrade() -> None:
    op.drop_index('ix_entity_name_uid', table_name='entity')
