"""API tokens expire; admins can revoke a user's UI sessions

``api_token.expires_at``: tokens that existed before this revision get 90 days from the upgrade
(not from their creation: a token older than 90 days must not stop a deploy pipeline the moment
the schema changes; its owners have 90 days to replace it). ``session_revocation``: sessions of
that user signed before ``not_before`` are void. On PostgreSQL it notifies read caches like the
token table does (0004), so every process sees a revocation at once.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 00:10:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXISTING_TOKENS_GRACE = timedelta(days=90)


def upgrade() -> None:
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    token = sa.table("api_token", sa.column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime()))
    op.execute(
        token.update()
        .where(token.c.expires_at.is_(None))
        .values(expires_at=datetime.now(UTC) + EXISTING_TOKENS_GRACE)
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.alter_column(
            "expires_at", existing_type=sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False
        )

    op.create_table(
        "session_revocation",
        sa.Column("user", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("not_before", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("revoked_by", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.PrimaryKeyConstraint("user"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER session_revocation_notify_change AFTER INSERT OR UPDATE OR DELETE "
            "OR TRUNCATE ON session_revocation FOR EACH STATEMENT "
            "EXECUTE FUNCTION pinconsole_notify_change()"
        )


def downgrade() -> None:
    op.drop_table("session_revocation")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
