"""Stored API renderings (``entity_api_json``, PostgreSQL): filling what triggers emptied.

Migration 0010's triggers delete an entity's stored rendering whenever anything it renders
changes, in the writer's own transaction; readers render on the fly while it is missing. This
module puts the renderings back: after each import and org sync, and on a schedule for anything
another writer left behind.

It takes ``SHARE`` on ``entity`` and ``relation`` with a short lock timeout, so no change is in
flight while it renders (its snapshot has every committed change, and writers that start
meanwhile wait for its transaction: 2 s after a bulk import of 27,500 entities, milliseconds
after an ordinary change). When a writer holds a table it gives up at once, so it never
deadlocks with one, and that writer's own fill does the work.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from pinconsole.catalog.serialize import item_sql, relations_agg_sql
from pinconsole.db import get_engine, is_postgres

__all__ = ["fill_api_json"]

log = logging.getLogger(__name__)

LOCK_TIMEOUT_MS = 200
LOCK_NOT_AVAILABLE = "55P03"

_UNSTORED = "NOT EXISTS (SELECT 1 FROM entity_api_json AS s WHERE s.ref = entity.ref)"
# Set-based: one pass over the relations of all missing entities (hash aggregate) instead of an
# index probe per entity; after a bulk import that is twice as fast.
_FILL = text(
    f"""
    WITH todo AS (SELECT uid, ref FROM entity WHERE {_UNSTORED}),
    rels AS (
        SELECT d.source_ref, {relations_agg_sql("d")} AS relations
        FROM (SELECT DISTINCT r.source_ref, r.type, r.target_ref
              FROM relation r JOIN todo ON r.source_ref = todo.ref) AS d
        GROUP BY d.source_ref)
    INSERT INTO entity_api_json (ref, rendered)
    SELECT entity.ref, {item_sql("rels.relations")}
    FROM entity JOIN todo USING (uid) LEFT JOIN rels ON rels.source_ref = entity.ref
    WHERE hashtext(entity.ref) & :parts = :part
    ON CONFLICT (ref) DO NOTHING
    """
)
_COUNT_MISSING = text(f"SELECT count(*) FROM entity WHERE {_UNSTORED}")
PARALLEL_FROM = 5000  # missing renderings from which two connections share the work


def fill_api_json(url: str | None = None) -> int:
    """Render and store every missing rendering; returns how many rows it wrote.

    A no-op on SQLite, and when nothing is missing (no write, so no cache is dropped). After a
    bulk import the rendering is the database's work alone: two connections render half each,
    so both cores of a small server take part (a 27,500-entity import waited ~3 s on one).
    """
    engine = get_engine(url)
    if not is_postgres(engine):
        return 0
    with engine.connect() as conn:
        missing = int(conn.execute(_COUNT_MISSING).scalar() or 0)
        conn.rollback()
    if not missing:
        return 0
    if missing < PARALLEL_FROM:
        return _fill_part(engine, 0, 0)
    with ThreadPoolExecutor(max_workers=2) as pool:
        return sum(pool.map(lambda part: _fill_part(engine, 1, part), (0, 1)))


def _fill_part(engine: Engine, parts: int, part: int) -> int:
    """Fill the missing renderings whose ``hashtext(ref) & parts`` is ``part``."""
    with engine.connect() as conn:
        try:
            with conn.begin():
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_MS}ms'")
                conn.exec_driver_sql("LOCK TABLE entity, relation IN SHARE MODE")
                return int(conn.execute(_FILL, {"parts": parts, "part": part}).rowcount)
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            log.debug("entity_api_json fill: the catalog is being written; its writer fills")
            return 0
