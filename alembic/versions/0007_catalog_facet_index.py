"""catalog facet index: one covering index for the facet counts

``facet_counts`` counts every unconstrained facet field in one GROUPING SETS pass; with the
fields in one index PostgreSQL answers it from the index alone (no heap reads of descriptors);
the trailing uid lets the tag facet join entity_tag without touching the heap either.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 13:05:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'ix_entity_facets',
        'entity',
        ['kind', 'spec_type', 'owner_ref', 'lifecycle', 'system_ref', 'namespace', 'uid'],
    )


def downgrade() -> None:
    op.drop_index('ix_entity_facets', table_name='entity')
