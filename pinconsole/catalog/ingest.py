"""The catalog's write side: read locations, validate, upsert entities, tags and relations.

Work in progress: signatures are stable, bodies land in the next commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from pinconsole.catalog.descriptors import IngestError

__all__ = [
    "ApplyResult",
    "ImportSummary",
    "IngestError",
    "apply_provider_entities",
    "import_locations",
    "purge_orphans",
]


@dataclass
class ImportSummary:
    """What one import pass did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    orphaned: int = 0
    errors: list[IngestError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ApplyResult:
    """What one provider apply did (or would do, with ``dry_run``)."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    removed_refs: list[str] = field(default_factory=list)
    errors: list[IngestError] = field(default_factory=list)


def import_locations(targets: Sequence[str], *, actor: str = "cli") -> ImportSummary:
    """Read files, directories and URLs (following Location entities) into the catalog."""
    raise NotImplementedError


def apply_provider_entities(
    session: Session, provider_key: str, entities: list[dict[str, Any]], *, dry_run: bool = False
) -> ApplyResult:
    """Full-mutation upsert for an entity provider (e.g. LDAP org sync)."""
    raise NotImplementedError


def purge_orphans() -> int:
    """Delete entities orphaned longer than ``settings.catalog_orphan_grace_hours``."""
    raise NotImplementedError
