"""History of LDAP organisation syncs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from pinconsole.models._types import utcnow


class OrgSyncRun(SQLModel, table=True):
    __tablename__ = "org_sync_run"

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=100)
    started_at: datetime = Field(default_factory=utcnow, index=True)
    finished_at: datetime | None = None
    status: str = Field(default="running", max_length=20, description="running | ok | failed")
    users_added: int = 0
    users_updated: int = 0
    users_removed: int = 0
    groups_added: int = 0
    groups_updated: int = 0
    groups_removed: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text))
    triggered_by: str = Field(default="schedule", max_length=255)
    # "full": the snapshot was applied to the catalog; "unchanged": the directory and the
    # catalog matched the last applied snapshot, so nothing was compared or written (0006).
    mode: str = Field(default="full", max_length=20)
    snapshot_digest: str | None = Field(default=None, max_length=64)
    catalog_fingerprint: str | None = Field(default=None, max_length=64)
