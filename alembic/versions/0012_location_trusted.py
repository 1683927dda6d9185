"""location.trusted: whether an administrator registered the location

A location registered by a non-administrator may bring in only the kinds ``catalog_rules``
allow (never Group or User by default). Rows registered before this revision are untrusted,
except those the CLI registered (an operator on the server): an administrator re-registers a
location to trust it again, and the refused entities are listed on /catalog/errors meanwhile.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('trusted', sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute("UPDATE location SET trusted = TRUE WHERE registered_by = 'cli'")


def downgrade() -> None:
    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.drop_column('trusted')
