"""relation: no foreign key and no target index, for bulk-import speed

Both directions of every relation are stored, so every lookup is by (source_ref, type): the
primary key serves it and ``ix_relation_target`` is never used. The origin_uid foreign key costs
a per-row check on the largest table; the write side always deletes an entity's relations
explicitly (tested). Together ~45% off the relation COPY of a 27,500-entity import.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 13:06:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLS = 'source_ref, type, target_ref, origin_uid'


def _recreate(with_fk: bool) -> None:
    extra = []
    if with_fk:
        extra.append(sa.ForeignKeyConstraint(['origin_uid'], ['entity.uid'], ondelete='CASCADE',
                                             name='fk_relation_origin_8'))
    op.create_table('relation_new',
    sa.Column('source_ref', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('target_ref', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('origin_uid', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.PrimaryKeyConstraint('source_ref', 'type', 'target_ref', 'origin_uid',
                            name='pk_relation_8' if not with_fk else 'pk_relation_8d'),
    *extra,
    )
    if with_fk:
        op.execute(f'INSERT INTO relation_new ({_COLS}) SELECT {_COLS} FROM relation '
                   'WHERE origin_uid IN (SELECT uid FROM entity)')
    else:
        op.execute(f'INSERT INTO relation_new ({_COLS}) SELECT {_COLS} FROM relation')
    op.drop_index('ix_relation_origin_uid', table_name='relation')
    if not with_fk:
        op.drop_index('ix_relation_target', table_name='relation')
    op.drop_table('relation')
    op.rename_table('relation_new', 'relation')
    op.create_index('ix_relation_origin_uid', 'relation', ['origin_uid'], unique=False)
    if with_fk:
        op.create_index('ix_relation_target', 'relation', ['target_ref', 'type'], unique=False)


def upgrade() -> None:
    _recreate(with_fk=False)


def downgrade() -> None:
    _recreate(with_fk=True)
