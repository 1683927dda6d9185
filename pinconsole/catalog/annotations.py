"""Entities found by their annotations, for the domains that hang behaviour on them.

PinCompute reads which namespaces a Group owns (``pinconsole.io/namespaces``) and which services
run on a cluster (the kubernetes-id annotations) through here instead of querying the catalog's
tables. The annotations are read in SQL (``JSON_EXTRACT`` on SQLite, ``#>>`` on PostgreSQL), so
only the entities that carry one are loaded, and only the values asked for. Orphaned entities
are included, as everywhere the catalog still holds them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_
from sqlmodel import col, select

from pinconsole.db import retry_read, session_scope
from pinconsole.models.catalog import Entity


@dataclass(frozen=True)
class AnnotatedEntity:
    """An entity's ref and owner, and those of the requested annotations it carries."""

    ref: str
    owner_ref: str | None
    annotations: dict[str, str]


def annotated_entities(kinds: Iterable[str], keys: Iterable[str]) -> list[AnnotatedEntity]:
    """Entities of ``kinds`` carrying at least one of the annotations ``keys``, by ref.

    Database errors propagate (after one retry on a connection that died with a restart):
    "none" must never stand for "could not read".
    """
    kinds, keys = [k.lower() for k in kinds], list(keys)
    if not kinds or not keys:
        return []
    values = [col(Entity.body)[("metadata", "annotations", key)].as_string() for key in keys]
    statement = (
        select(Entity.ref, Entity.owner_ref, *values)
        .where(col(Entity.kind).in_(kinds), or_(*(value.is_not(None) for value in values)))
        .order_by(Entity.ref)
    )

    def read() -> list[AnnotatedEntity]:
        with session_scope() as session:
            rows = session.exec(statement).all()
        return [
            AnnotatedEntity(
                ref, owner, {k: str(v) for k, v in zip(keys, found, strict=True) if v is not None}
            )
            for ref, owner, *found in rows
        ]

    return retry_read(read)
