"""The software catalog: Backstage-compatible entities and their relations.

Hot filter columns (kind, type, owner, lifecycle, namespace, system) are denormalised out of the
descriptor so list, facet and search queries hit indexes; the full descriptor stays in ``body``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from pinconsole.models._types import JSONType, utcnow


class Entity(SQLModel, table=True):
    __tablename__ = "entity"
    __table_args__ = (
        Index("ix_entity_kind_owner", "kind", "owner_ref"),
        Index("ix_entity_kind_type", "kind", "spec_type"),
        Index("ix_entity_kind_name", "kind", "name"),
    )

    uid: str = Field(primary_key=True, max_length=36)
    ref: str = Field(unique=True, max_length=400, description="kind:namespace/name, lowercase")
    kind: str = Field(index=True, max_length=40, description="lowercase kind")
    namespace: str = Field(index=True, max_length=100)
    name: str = Field(max_length=255)
    title: str | None = Field(default=None, max_length=500)
    description: str | None = Field(default=None, sa_column=Column(Text))
    spec_type: str | None = Field(default=None, max_length=100)
    lifecycle: str | None = Field(default=None, index=True, max_length=100)
    owner_ref: str | None = Field(default=None, index=True, max_length=400)
    system_ref: str | None = Field(default=None, index=True, max_length=400)
    domain_ref: str | None = Field(default=None, max_length=400)
    body: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    etag: str = Field(max_length=64)
    location_key: str | None = Field(default=None, index=True, max_length=1000)
    status: str = Field(
        default="active", index=True, max_length=20, description="active | orphaned"
    )
    orphaned_at: datetime | None = None
    score: int | None = Field(default=None, description="scorecard percentage, 0-100")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class EntityApiJson(SQLModel, table=True):
    """Each entity as the REST API serves it (relations included), rendered and stored by
    PostgreSQL (migration 0010, ``catalog.materialize``): Backstage's ``final_entities``.

    Its own narrow table, so filling it writes no entity row and no entity index.
    """

    __tablename__ = "entity_api_json"

    ref: str = Field(primary_key=True, max_length=400)
    rendered: str = Field(sa_column=Column(Text, nullable=False))


class EntityTag(SQLModel, table=True):
    """Tags in their own table so tag filters and facets use an index."""

    __tablename__ = "entity_tag"

    entity_uid: str = Field(
        primary_key=True, foreign_key="entity.uid", ondelete="CASCADE", max_length=36
    )
    tag: str = Field(primary_key=True, index=True, max_length=100)


class Relation(SQLModel, table=True):
    """A directed relation; both directions are stored (ownedBy and ownerOf)."""

    __tablename__ = "relation"
    # Lookups are by (source_ref, type): the primary key's leading columns. No foreign key and no
    # target index (migration 0008): bulk-import speed; the write side deletes an entity's
    # relations itself.

    source_ref: str = Field(primary_key=True, max_length=400)
    type: str = Field(primary_key=True, max_length=40)
    target_ref: str = Field(primary_key=True, max_length=400)
    origin_uid: str = Field(
        primary_key=True,  # two entities may state the same relation (migration 0002)
        index=True,
        max_length=36,
        description="the entity whose descriptor produced this relation",
    )


class Location(SQLModel, table=True):
    """A place descriptors are read from: a file, a directory or a URL."""

    __tablename__ = "location"

    id: int | None = Field(default=None, primary_key=True)
    target: str = Field(unique=True, max_length=1000)
    type: str = Field(default="url", max_length=20, description="file | url")
    registered_by: str = Field(default="settings", max_length=255)
    trusted: bool = Field(
        default=False,
        description="registered by an administrator (or the CLI): may bring in any kind; "
        "otherwise settings.catalog_rules decide",
    )
    last_refresh_at: datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)


class CatalogError(SQLModel, table=True):
    """A descriptor that could not be ingested, with the place of the fault."""

    __tablename__ = "catalog_error"

    id: int | None = Field(default=None, primary_key=True)
    location_key: str = Field(index=True, max_length=1000)
    source: str = Field(max_length=1000, description="file path or URL")
    document: int | None = Field(default=None, description="0-based document index in the file")
    entity_ref: str | None = Field(default=None, max_length=400)
    field: str | None = Field(default=None, max_length=400)
    message: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime = Field(default_factory=utcnow)
