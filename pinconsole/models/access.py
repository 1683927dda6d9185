"""API tokens, session revocations and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from pinconsole.models._types import JSONType, utcnow


class ApiToken(SQLModel, table=True):
    """A bearer token; only its SHA-256 hash is stored."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user: str = Field(index=True, max_length=255)
    token_hash: str = Field(unique=True, max_length=64)
    prefix: str = Field(max_length=16, description="first characters, to recognise a token")
    is_admin: bool = False
    description: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(description="refused from this moment on")
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class SessionRevocation(SQLModel, table=True):
    """A user's UI sessions signed before ``not_before`` are void (an admin revoked them)."""

    __tablename__ = "session_revocation"

    user: str = Field(primary_key=True, max_length=255, description="lower-case user name")
    not_before: datetime
    revoked_by: str = Field(default="", max_length=255)


class AuditEvent(SQLModel, table=True):
    """One row per mutation: who did what to which target, before and after."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    actor: str = Field(index=True, max_length=255)
    action: str = Field(index=True, max_length=100)
    target: str = Field(index=True, max_length=500)
    outcome: str = Field(default="ok", max_length=20, description="ok | denied | error")
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    detail: str = ""
    # Set by the writer; unique so that a row drained from the audit outbox lands exactly once.
    uid: str | None = Field(default=None, max_length=32, unique=True, index=True)
