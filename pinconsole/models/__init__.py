"""SQLModel tables, a module per domain. Importing this package registers every table."""

from pinconsole.models.access import ApiToken, AuditEvent, SessionRevocation
from pinconsole.models.catalog import (
    CatalogError,
    Entity,
    EntityApiJson,
    EntityTag,
    Location,
    Relation,
)
from pinconsole.models.org import OrgSyncRun

__all__ = [
    "ApiToken",
    "AuditEvent",
    "CatalogError",
    "Entity",
    "EntityApiJson",
    "EntityTag",
    "Location",
    "OrgSyncRun",
    "Relation",
    "SessionRevocation",
]
