"""What the catalog routes answer, as OpenAPI documents it.

The routes render their JSON bytes themselves (``catalog.service``); these models only say
what those bytes hold, so a script author reads it in ``/api/v1/docs`` and the API style test
(tests/unit/test_api_style.py) checks it. An entity is Backstage's descriptor as it was
ingested, with ``relations``: its field names are the descriptor's and Backstage's.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from pinconsole.api.paging import ApiModel, Page

Entity = dict[str, Any]  # Backstage's entity: apiVersion, kind, metadata, spec, relations


class FacetCount(ApiModel):
    value: str
    count: int


class Facets(ApiModel):
    """Counts per value of each field asked for, keyed by the name it was asked by."""

    facets: dict[str, list[FacetCount]]


class EntityPage(Page[Entity]):
    """A page of entities; ``facets`` only when asked for."""

    facets: dict[str, list[FacetCount]] | None = None


class ImportFailure(ApiModel):
    """A descriptor that could not be ingested, and where."""

    id: int
    location_key: str
    source: str
    document: int | None
    entity_ref: str | None
    field: str | None
    message: str
    at: str | None
    text: str = Field(description="Where and what, on one line")


class Location(ApiModel):
    id: str | None = Field(description="None for a location of the settings")
    type: str
    target: str
    registered_by: str | None = None
    trusted: bool
    configured: bool = False
    last_refresh_at: str | None = None
    last_error: str | None


class LocationItem(ApiModel):
    """Backstage's ``GET /locations`` item."""

    data: Location


class RegisteredLocation(ApiModel):
    """Backstage's ``POST /locations`` answer, and what the import could not ingest."""

    location: Location
    entities: list[Entity]
    errors: list[ImportFailure]


class RefreshSummary(ApiModel):
    added: int
    updated: int
    unchanged: int
    orphaned: int
    errors: list[str]
