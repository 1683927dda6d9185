"""API tokens: shown once, stored only as a SHA-256 hash plus a short prefix to recognise them."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select

from pinconsole.access.audit import record
from pinconsole.access.principal import Principal, resolve_principal
from pinconsole.cache import MISSING, cached, lookup
from pinconsole.db import session_scope
from pinconsole.errors import Invalid, NotFound, Unauthenticated
from pinconsole.models import ApiToken
from pinconsole.models._types import utcnow

TOKEN_PREFIX = "pct_"
PREFIX_LEN = 12
# Writing last_used_at on every request would turn every API read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
TOKEN_CACHE = "access.tokens"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class TokenInfo:
    """A token as listings show it (never the secret)."""

    id: int
    user: str
    prefix: str
    is_admin: bool
    description: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _info(row: ApiToken) -> TokenInfo:
    assert row.id is not None
    return TokenInfo(
        row.id,
        row.user,
        row.prefix,
        row.is_admin,
        row.description,
        row.created_at,
        row.last_used_at,
        row.revoked_at,
    )


def create_token(
    user: str, admin: bool = False, description: str = "", *, actor: str | Principal = "cli"
) -> str:
    """Create a token for ``user`` (a directory user or a service account) and return it.

    The raw token is returned once and never stored.
    """
    user = user.strip()
    if not user or len(user) > 255 or any(c.isspace() for c in user):
        raise Invalid("a token's user must be a non-empty name without spaces", where="user")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user=user,
        token_hash=hash_token(raw),
        prefix=raw[:PREFIX_LEN],
        is_admin=admin,
        description=description,
    )
    with session_scope() as session:
        session.add(row)
        session.flush()
        record(
            session,
            actor=actor,
            action="token.create",
            target=f"token:{row.id}",
            after={"user": user, "admin": admin, "description": description, "prefix": row.prefix},
        )
    return raw


def verify_token(raw: str) -> Principal:
    """The principal a bearer token stands for; ``Unauthenticated`` if unknown or revoked.

    Cached per data generation (``pinconsole.cache``): any committed change to tokens or the
    catalog (a revocation, a membership), in any process, makes the next call look again.
    """
    raw = (raw or "").strip()
    if not raw:
        raise Unauthenticated("no API token given")
    return cached(TOKEN_CACHE, hash_token(raw), lambda: _verify_token(raw))


def known_token(raw: str) -> Principal | None:
    """The principal of a token verified earlier in this data generation; never touches the
    database, so the API can answer it on the event loop (``None``: call ``verify_token``)."""
    hit = lookup(TOKEN_CACHE, hash_token((raw or "").strip()))
    return None if hit is MISSING else hit


def _verify_token(raw: str) -> Principal:
    with session_scope() as session:
        row = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(raw))).first()
        if row is None or row.revoked_at is not None:
            raise Unauthenticated("the API token is unknown or revoked")
        now = utcnow()
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
            row.last_used_at = now
            session.add(row)
        return resolve_principal(row.user, session=session, force_admin=row.is_admin)


def revoke_token(token_id: int, *, actor: str | Principal = "cli") -> None:
    """Revoke a token by id (idempotent); audited."""
    with session_scope() as session:
        row = session.get(ApiToken, token_id)
        if row is None:
            raise NotFound(f"no API token with id {token_id}")
        if row.revoked_at is not None:
            return
        row.revoked_at = utcnow()
        session.add(row)
        record(
            session,
            actor=actor,
            action="token.revoke",
            target=f"token:{token_id}",
            before={"user": row.user, "prefix": row.prefix},
        )


def list_tokens(user: str | None = None) -> list[TokenInfo]:
    """Tokens (newest first), optionally of one user."""
    with session_scope() as session:
        query = select(ApiToken).order_by(col(ApiToken.created_at).desc())
        if user:
            query = query.where(ApiToken.user == user)
        return [_info(r) for r in session.exec(query).all()]
