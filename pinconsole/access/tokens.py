"""API tokens: shown once, stored only as a SHA-256 hash plus a short prefix to recognise them.

Every token expires (``settings.token_expiry_days`` unless its creator chose a lifetime of at
most ``MAX_EXPIRY_DAYS``): a token copied into a forgotten CI variable stops working by itself.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, func, select

from pinconsole.access.audit import record
from pinconsole.access.policy import Resource, authorize
from pinconsole.access.principal import Principal, resolve_principal
from pinconsole.cache import MISSING, cached, lookup
from pinconsole.db import session_scope
from pinconsole.errors import Forbidden, Invalid, NotFound, Unauthenticated
from pinconsole.models import ApiToken
from pinconsole.models._types import utcnow
from pinconsole.settings import get_settings

TOKEN_PREFIX = "pct_"
PREFIX_LEN = 12
# Writing last_used_at on every request would turn every API read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
TOKEN_CACHE = "access.tokens"
MAX_EXPIRY_DAYS = 366


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class TokenInfo:
    """A token as listings (and ``GET /api/v1/tokens``) show it; never the secret."""

    id: int
    user: str
    prefix: str
    is_admin: bool
    description: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    state: str  # active | expired | revoked, when it was read


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite hands back naive UTC


def _info(row: ApiToken) -> TokenInfo:
    assert row.id is not None
    expires_at = _aware(row.expires_at)
    state = "active" if expires_at > utcnow() else "expired"
    return TokenInfo(
        row.id,
        row.user,
        row.prefix,
        row.is_admin,
        row.description,
        _aware(row.created_at),
        expires_at,
        row.last_used_at and _aware(row.last_used_at),
        row.revoked_at and _aware(row.revoked_at),
        "revoked" if row.revoked_at is not None else state,
    )


def token_lifetime(days: int | None) -> timedelta:
    """The lifetime of a new token: ``days`` or the settings' default, 1 to MAX_EXPIRY_DAYS."""
    days = get_settings().token_expiry_days if days is None else days
    if not 1 <= days <= MAX_EXPIRY_DAYS:
        raise Invalid(
            f"a token expires after 1 to {MAX_EXPIRY_DAYS} days, not {days}", where="expires_in"
        )
    return timedelta(days=days)


def _token_user(user: str) -> str:
    user = user.strip()
    if not user or len(user) > 255 or any(c.isspace() for c in user):
        raise Invalid("a token's user must be a non-empty name without spaces", where="user")
    return user


def create_token(
    user: str,
    admin: bool = False,
    description: str = "",
    *,
    expires_in_days: int | None = None,
    actor: str | Principal = "cli",
    service_account: bool = False,
) -> str:
    """Create a token for ``user`` (a directory user or a service account) and return it.

    The raw token is returned once and never stored. It expires after ``expires_in_days``
    (default ``settings.token_expiry_days``).
    """
    user = _token_user(user)
    lifetime = token_lifetime(expires_in_days)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(
        user=user,
        token_hash=hash_token(raw),
        prefix=raw[:PREFIX_LEN],
        is_admin=admin,
        description=description,
        created_at=now,
        expires_at=now + lifetime,
    )
    with session_scope() as session:
        session.add(row)
        session.flush()
        record(
            session,
            actor=actor,
            action="token.create",
            target=f"token:{row.id}",
            after={
                "user": user,
                "admin": admin,
                "description": description,
                "prefix": row.prefix,
                "expires_at": row.expires_at,
                "service_account": service_account,
            },
        )
    return raw


def issue_token(
    user: str,
    *,
    service_account: bool = False,
    admin: bool = False,
    description: str = "",
    expires_in_days: int | None = None,
    actor: str | Principal = "cli",
) -> str:
    """``create_token`` for a user the directory knows, or for a service account when the
    operator says so: a name mistyped at the prompt would otherwise make a working token for
    somebody who does not exist (and whom no org sync will ever revoke)."""
    from pinconsole.access.directory import person_named

    name = _token_user(user)
    known = None if service_account else person_named(name)
    if not service_account and known is None:
        raise Invalid(
            f"the directory knows no user {name!r} (people come from the org sync); "
            "for a service account of that name, pass --service-account",
            where="user",
        )
    return create_token(
        known or name,  # the directory's spelling: the token's principal is that person
        admin,
        description,
        expires_in_days=expires_in_days,
        actor=actor,
        service_account=service_account,
    )


def create_own_token(
    principal: Principal, description: str = "", *, expires_in_days: int | None = None
) -> tuple[str, TokenInfo]:
    """A signed-in person's token for themselves (the settings page), with their rights and
    no more: never an administrator token by its flag (an administrator's token is one while
    its user stays in the admin group). Only a UI session makes one: no API route creates a
    token, so a stolen token cannot mint a longer-lived one."""
    if principal.is_service_account:
        raise Forbidden("a service account's tokens are made by an operator (token create)")
    owner = principal.ref.lower()
    authorize(principal, "token.create", Resource("user", owner, {owner}))
    description = description.strip()
    if len(description) > 200:
        raise Invalid("a token's description is at most 200 characters", where="description")
    raw = create_token(
        principal.name, False, description, expires_in_days=expires_in_days, actor=principal
    )
    info = next(t for t in list_tokens(principal.name) if raw.startswith(t.prefix))
    return raw, info


def verify_token(raw: str) -> Principal:
    """The principal a bearer token stands for; ``Unauthenticated`` if unknown, revoked or
    expired.

    Cached per data generation (``pinconsole.cache``): any committed change to tokens or the
    catalog (a revocation, a membership), in any process, makes the next call look again. The
    expiry is checked at every call, cached or not.
    """
    raw = (raw or "").strip()
    if not raw:
        raise Unauthenticated("no API token given")
    principal, expires_at = cached(TOKEN_CACHE, hash_token(raw), lambda: _verify_token(raw))
    _refuse_expired(expires_at)
    return principal


def known_token(raw: str) -> Principal | None:
    """The principal of a token verified earlier in this data generation; never touches the
    database, so the API can answer it on the event loop (``None``: call ``verify_token``)."""
    hit = lookup(TOKEN_CACHE, hash_token((raw or "").strip()))
    if hit is MISSING:
        return None
    principal, expires_at = hit
    _refuse_expired(expires_at)
    return principal  # type: ignore[no-any-return]


def _refuse_expired(expires_at: datetime) -> None:
    if expires_at <= utcnow():
        raise Unauthenticated(
            f"the API token expired at {expires_at:%Y-%m-%d %H:%M} UTC; create a new one "
            "(`pinconsole token create`)"
        )


def _verify_token(raw: str) -> tuple[Principal, datetime]:
    with session_scope() as session:
        row = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(raw))).first()
        if row is None or row.revoked_at is not None:
            raise Unauthenticated("the API token is unknown or revoked")
        expires_at = _aware(row.expires_at)
        _refuse_expired(expires_at)  # an expired token's last use is not moved on
        now = utcnow()
        if row.last_used_at is None or now - _aware(row.last_used_at) >= LAST_USED_RESOLUTION:
            row.last_used_at = now
            session.add(row)
        principal = resolve_principal(row.user, session=session, force_admin=row.is_admin)
        return principal, expires_at


def revoke_token(token_id: int, *, actor: str | Principal = "cli") -> None:
    """Revoke a token by id (idempotent); audited. A ``Principal`` actor must be the token's user
    or an administrator (``token.revoke``); a name is the operator at the CLI."""
    with session_scope() as session:
        row = session.get(ApiToken, token_id)
        if row is None:
            raise NotFound(f"no API token with id {token_id}")
        if isinstance(actor, Principal):
            owner = f"user:default/{row.user}".lower()
            authorize(actor, "token.revoke", Resource("token", f"token:{token_id}", {owner}))
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
    """Tokens (newest first), optionally of one user (any case)."""
    with session_scope() as session:
        query = select(ApiToken).order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
        if user:
            query = query.where(func.lower(ApiToken.user) == user.strip().lower())
        return [_info(r) for r in session.exec(query).all()]


def revoke_tokens_of(session: Session, users: Iterable[str], *, actor: str) -> int:
    """Revoke every live token of ``users`` (names, any case) in ``session``'s transaction;
    one audit row per user who had any. The org sync calls it for the people it removed: a
    token outliving its person would keep their access (an admin token, admin) until expiry."""
    names = sorted({u.strip().lower() for u in users if u.strip()})
    if not names:
        return 0
    now = utcnow()
    revoked = 0
    for chunk in (names[i : i + 500] for i in range(0, len(names), 500)):
        rows = session.exec(
            select(ApiToken).where(
                func.lower(ApiToken.user).in_(chunk),  # type: ignore[attr-defined]
                col(ApiToken.revoked_at).is_(None),
            )
        ).all()
        by_user: dict[str, list[ApiToken]] = {}
        for row in rows:
            row.revoked_at = now
            session.add(row)
            by_user.setdefault(row.user.lower(), []).append(row)
        for user, tokens in sorted(by_user.items()):
            record(
                session,
                actor=actor,
                action="token.revoke",
                target=f"user:{user}",
                before={"tokens": [t.prefix for t in tokens]},
                detail="the user left the directory",
            )
        revoked += len(rows)
    return revoked
