"""entity_api_json: each entity's API answer, rendered once (PostgreSQL)

Backstage keeps a stitched ``final_entity`` per entity; this is ours. A row holds the entity as
the REST API serves it (Backstage shape, relations included), so a list page or a by-ref read
sends stored text instead of building 50 JSON documents per request.

Correctness never depends on the table being filled: readers select
``coalesce(<stored>, <render>)``. Triggers make a stale row impossible: any change to what the
rendering reads (the entity's body, etag, status, kind, namespace, uid, or a relation whose
source it is) deletes the row in the writer's own transaction. ``pinconsole.catalog.materialize``
fills missing rows after imports and syncs and on a schedule. SQLite keeps the table empty and
renders in Python.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'entity_api_json',
        sa.Column('ref', sa.String(length=400), primary_key=True),
        sa.Column('rendered', sa.Text(), nullable=False),
    )
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(
        """
        CREATE FUNCTION pinconsole_api_json_reset() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'TRUNCATE' THEN
                DELETE FROM entity_api_json;
            ELSIF TG_TABLE_NAME = 'relation' THEN
                IF TG_OP IN ('INSERT', 'UPDATE') THEN
                    DELETE FROM entity_api_json
                    WHERE ref IN (SELECT source_ref FROM new_rows);
                END IF;
                IF TG_OP IN ('DELETE', 'UPDATE') THEN
                    DELETE FROM entity_api_json
                    WHERE ref IN (SELECT source_ref FROM old_rows);
                END IF;
            ELSIF TG_OP = 'DELETE' THEN
                DELETE FROM entity_api_json WHERE ref IN (SELECT ref FROM old_rows);
            ELSE
                -- entity updates: only those that change what the rendering reads (a scorecard
                -- update keeps the stored rendering)
                DELETE FROM entity_api_json WHERE ref IN (
                    SELECT o.ref FROM old_rows o JOIN new_rows n ON n.uid = o.uid
                    WHERE (n.body, n.etag, n.status, n.kind, n.namespace, n.ref)
                          IS DISTINCT FROM (o.body, o.etag, o.status, o.kind, o.namespace, o.ref)
                    UNION ALL
                    SELECT n.ref FROM new_rows n LEFT JOIN old_rows o ON o.uid = n.uid
                    WHERE o.uid IS NULL OR n.ref <> o.ref);
            END IF;
            RETURN NULL;
        END
        $$ LANGUAGE plpgsql
        """
    )
    triggers = [
        ('relation_api_json_insert', 'INSERT ON relation', 'NEW TABLE AS new_rows'),
        ('relation_api_json_delete', 'DELETE ON relation', 'OLD TABLE AS old_rows'),
        (
            'relation_api_json_update',
            'UPDATE ON relation',
            'OLD TABLE AS old_rows NEW TABLE AS new_rows',
        ),
        ('entity_api_json_delete', 'DELETE ON entity', 'OLD TABLE AS old_rows'),
        ('entity_api_json_update', 'UPDATE ON entity', 'OLD TABLE AS old_rows NEW TABLE AS new_rows'),
    ]
    for name, event, tables in triggers:
        op.execute(
            f'CREATE TRIGGER {name} AFTER {event} REFERENCING {tables} '
            'FOR EACH STATEMENT EXECUTE FUNCTION pinconsole_api_json_reset()'
        )
    for table in ('relation', 'entity'):
        op.execute(
            f'CREATE TRIGGER {table}_api_json_truncate AFTER TRUNCATE ON {table} '
            'FOR EACH STATEMENT EXECUTE FUNCTION pinconsole_api_json_reset()'
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in ('relation', 'entity'):
            for event in ('insert', 'delete', 'update', 'truncate'):
                op.execute(f'DROP TRIGGER IF EXISTS {table}_api_json_{event} ON {table}')
        op.execute('DROP FUNCTION IF EXISTS pinconsole_api_json_reset()')
    op.drop_table('entity_api_json')
