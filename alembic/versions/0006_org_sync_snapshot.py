"""org sync: snapshot digest and catalog fingerprint, so an unchanged directory skips the apply

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('org_sync_run', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False,
                      server_default='full')
        )
        batch_op.add_column(
            sa.Column('snapshot_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(
            sa.Column('catalog_fingerprint', sqlmodel.sql.sqltypes.AutoString(length=64),
                      nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('org_sync_run', schema=None) as batch_op:
        batch_op.drop_column('catalog_fingerprint')
        batch_op.drop_column('snapshot_digest')
        batch_op.drop_column('mode')
