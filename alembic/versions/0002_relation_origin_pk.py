"""relation primary key includes origin_uid

Two entities may state the same relation (a user's memberOf and the group's members); each
origin owns its own row so updating or removing one origin never drops the other's statement.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 12:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create(name: str, pk: list[str]) -> None:
    op.create_table(name,
    sa.Column('source_ref', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('target_ref', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('origin_uid', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.ForeignKeyConstraint(['origin_uid'], ['entity.uid'], ondelete='CASCADE',
                            name=f'fk_relation_origin_{len(pk)}'),
    sa.PrimaryKeyConstraint(*pk, name=f'pk_relation_{len(pk)}'),
    )


def _swap(pk: list[str], distinct: bool) -> None:
    _create('relation_new', pk)
    cols = 'source_ref, type, target_ref, origin_uid'
    if distinct:
        select = (
            'SELECT source_ref, type, target_ref, MIN(origin_uid) FROM relation '
            'GROUP BY source_ref, type, target_ref'
        )
    else:
        select = f'SELECT {cols} FROM relation'
    op.execute(f'INSERT INTO relation_new ({cols}) {select}')
    op.drop_index('ix_relation_target', table_name='relation')
    op.drop_index('ix_relation_origin_uid', table_name='relation')
    op.drop_table('relation')
    op.rename_table('relation_new', 'relation')
    op.create_index('ix_relation_origin_uid', 'relation', ['origin_uid'], unique=False)
    op.create_index('ix_relation_target', 'relation', ['target_ref', 'type'], unique=False)
    op.create_index('ix_relation_source', 'relation', ['source_ref', 'type'], unique=False)


def upgrade() -> None:
    _swap(['source_ref', 'type', 'target_ref', 'origin_uid'], distinct=False)


def downgrade() -> None:
    op.drop_index('ix_relation_source', table_name='relation')
    _swap(['source_ref', 'type', 'target_ref'], distinct=True)
    op.drop_index('ix_relation_source', table_name='relation')
