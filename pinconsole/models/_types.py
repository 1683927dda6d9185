"""Column types shared by the table modules."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON
from sqlalchemy.dialects.postgresql import JSONB

# JSONB on PostgreSQL (indexable, compact), plain JSON text on SQLite.
JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """Aware UTC now: sqlmodel's UTCDateTime columns refuse naive datetimes."""
    return datetime.now(UTC)
