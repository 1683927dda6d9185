"""Stored API renderings (``entity_api_json``, PostgreSQL): filling what triggers emptied.

Migration 0010's triggers delete an entity's stored rendering whenever anything it renders
changes, in the writer's own transaction; readers render on the fly while it is missing. This
module puts the rendering back: after each import and org sync, and on a schedule for anything
a writer elsewhere left behind. It never blocks the catalog's writers:

- it first takes ``SHARE`` on ``relation`` with a short lock timeout, so no relation change is
  in flight while it renders (its snapshot then has every committed relation, and writers that
  start later wait for its short transaction); when an import holds the table it gives up and
  the import's own fill does the work;
- it renders only entities it could lock (``FOR SHARE SKIP LOCKED``: an entity a writer is
  changing is skipped, and a writer that comes later waits and then deletes the new row), in
  batches.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from pinconsole.catalog.serialize import ITEM_SQL_RENDER
from pinconsole.db import get_engine

__all__ = ["fill_api_json"]

log = logging.getLogger(__name__)

BATCH = 5000
LOCK_TIMEOUT_MS = 200
LOCK_NOT_AVAILABLE = "55P03"

_UNSTORED = "NOT EXISTS (SELECT 1 FROM entity_api_json AS s WHERE s.ref = entity.ref)"
_MISSING = text(f"SELECT EXISTS (SELECT 1 FROM entity WHERE {_UNSTORED})")
_FILL = text(
    f"""
    INSERT INTO entity_api_json (ref, rendered)
    SELECT entity.ref, {ITEM_SQL_RENDER} FROM entity
    WHERE entity.uid IN (
        SELECT uid FROM entity WHERE {_UNSTORED} LIMIT :batch FOR SHARE SKIP LOCKED)
    ON CONFLICT (ref) DO NOTHING
    """
)


def fill_api_json(url: str | None = None, *, batch: int = BATCH) -> int:
    """Render and store every missing rendering; returns how many rows it wrote.

    A no-op on SQLite, and when nothing is missing (no write, so no cache is dropped).
    """
    engine = get_engine(url)
    if engine.dialect.name != "postgresql":
        return 0
    written = 0
    while True:
        with engine.connect() as conn:
            try:
                with conn.begin():
                    if not conn.execute(_MISSING).scalar():
                        return written
                    conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_MS}ms'")
                    conn.exec_driver_sql("LOCK TABLE relation IN SHARE MODE")
                    count = conn.execute(_FILL, {"batch": batch}).rowcount
            except OperationalError as exc:
                if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                    raise
                log.debug("api_json fill: relation is being written; the writer fills later")
                return written
        written += count
        if count < batch:
            return written
