"""UI sessions: signed cookie values, revocation, and the re-check that ends a removed user's.

A cookie value is ``base64(user).issued_at.signature`` (HMAC-SHA256 with
settings.session_secret); it says who signed in and when, nothing else: groups and admin rights
are resolved again from the directory while the session lasts. A session ends before its
``session_max_age_hours`` when an admin revokes the user's sessions (``revoke_sessions``: every
value signed before that moment is void, in every process at once) or when the directory no
longer has the user (``still_present``, asked at least every ``PRESENCE_RECHECK_SECONDS``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import col, select

from pinconsole.access.audit import record
from pinconsole.access.policy import Resource, authorize
from pinconsole.access.principal import Principal
from pinconsole.cache import MISSING, cached, lookup
from pinconsole.db import session_scope
from pinconsole.errors import Invalid
from pinconsole.models import SessionRevocation
from pinconsole.plugins.registry import get_registry
from pinconsole.settings import get_settings

DEFAULT_MAX_AGE = 7 * 24 * 3600
# How often an open session asks the directory whether its user still exists.
PRESENCE_RECHECK_SECONDS = 15 * 60
REVOCATION_CACHE = "access.session_revocations"


@dataclass(frozen=True)
class SessionClaim:
    """What a valid cookie value says: who signed in, and when (epoch seconds)."""

    user: str
    issued_at: int


def _sign(payload: str, secret: str) -> str:
    mac = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def sign_session(user_name: str, *, now: float | None = None, secret: str | None = None) -> str:
    """A cookie value naming ``user_name``, signed with the session secret."""
    name = base64.urlsafe_b64encode(user_name.encode()).decode().rstrip("=")
    payload = f"{name}.{int(now if now is not None else time.time())}"
    return f"{payload}.{_sign(payload, secret or get_settings().session_secret)}"


def parse_session(
    value: str,
    *,
    max_age: int = DEFAULT_MAX_AGE,
    now: float | None = None,
    secret: str | None = None,
) -> SessionClaim | None:
    """The claim of a well-signed, unexpired cookie value (revocation not checked)."""
    try:
        name_b64, issued, signature = (value or "").split(".")
        payload = f"{name_b64}.{issued}"
        expected = _sign(payload, secret or get_settings().session_secret)
        if not hmac.compare_digest(signature, expected):
            return None
        age = (now if now is not None else time.time()) - int(issued)
        if age < -60 or age > max_age:
            return None
        padded = name_b64 + "=" * (-len(name_b64) % 4)
        name = base64.urlsafe_b64decode(padded).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    return SessionClaim(name, int(issued)) if name else None


def _not_before(user: str) -> float | None:
    with session_scope() as session:
        row = session.get(SessionRevocation, user.lower())
        if row is None:
            return None
        at = row.not_before if row.not_before.tzinfo else row.not_before.replace(tzinfo=UTC)
        return at.timestamp()


def is_revoked(claim: SessionClaim) -> bool:
    """Whether an admin revoked ``claim.user``'s sessions after this one was signed.

    Cached per data generation: a revocation committed by any process is seen at the next call."""
    not_before = cached(REVOCATION_CACHE, claim.user.lower(), lambda: _not_before(claim.user))
    return not_before is not None and claim.issued_at < not_before


def read_session(
    value: str,
    *,
    max_age: int = DEFAULT_MAX_AGE,
    now: float | None = None,
    secret: str | None = None,
) -> str | None:
    """The user name in a valid, unexpired, unrevoked cookie value; ``None`` for anything else.

    Blocking on a cache miss (one primary-key read): from async code use ``read_session_async``.
    """
    claim = parse_session(value, max_age=max_age, now=now, secret=secret)
    if claim is None or is_revoked(claim):
        return None
    return claim.user


async def read_session_async(value: str, *, max_age: int = DEFAULT_MAX_AGE) -> str | None:
    """``read_session`` for the event loop: the revocation is answered from the cache when it
    can be, from the database in a worker thread when not."""
    claim = parse_session(value, max_age=max_age)
    if claim is None:
        return None
    hit = lookup(REVOCATION_CACHE, claim.user.lower())
    if hit is MISSING:
        revoked = await asyncio.to_thread(is_revoked, claim)
    else:
        revoked = hit is not None and claim.issued_at < hit
    return None if revoked else claim.user


def revoke_sessions(user: str, *, actor: str | Principal = "cli") -> datetime:
    """End every UI session of ``user`` signed until now (a new sign-in works at once after the
    current second); audited as ``admin.sessions.revoke``. A ``Principal`` actor must be an
    administrator; a name is the operator at the CLI."""
    user = user.strip()
    if not user or len(user) > 255:
        raise Invalid("a user name of 1 to 255 characters is required", where="user")
    target = f"user:default/{user}".lower()
    if isinstance(actor, Principal):
        authorize(actor, "admin.sessions.revoke", Resource("user", target))
    # Cookie times are whole seconds: every value signed in this second or before is void.
    not_before = datetime.fromtimestamp(math.floor(time.time()) + 1, UTC)
    with session_scope() as session:
        row = session.get(SessionRevocation, user.lower())
        before = {"not_before": row.not_before} if row is not None else None
        row = row or SessionRevocation(user=user.lower(), not_before=not_before)
        row.not_before = not_before
        row.revoked_by = str(getattr(actor, "name", actor))[:255]
        session.add(row)
        record(
            session,
            actor=actor,
            action="admin.sessions.revoke",
            target=target,
            before=before,
            after={"not_before": not_before},
            detail="UI sessions signed before not_before end at their next request",
        )
    return not_before


def revoked_users() -> list[SessionRevocation]:
    """Every revocation, newest first (for listings)."""
    with session_scope() as session:
        query = select(SessionRevocation).order_by(col(SessionRevocation.not_before).desc())
        return list(session.exec(query).all())


def still_present(mode: str, user: str) -> bool | None:
    """Whether the directory of ``mode`` still has ``user`` (the ``Authenticator.still_present``
    a plugin contributes): ``None`` when there is none or the directory cannot tell. Blocking
    (LDAP): call it from a worker thread."""
    backend = get_registry().authenticators.get(mode)
    check = None if backend is None else backend.still_present
    return None if check is None else check(user)
