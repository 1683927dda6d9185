"""audit_event.uid: a unique id per row, so rows drained from the audit outbox land once

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("uid", sa.String(length=32), nullable=True))
    op.create_index("ix_audit_event_uid", "audit_event", ["uid"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_audit_event_uid", table_name="audit_event")
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_column("uid")
