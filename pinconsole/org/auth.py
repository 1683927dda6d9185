"""Sign-in with a directory password (auth mode ``ldap``).

Find the user's entry with the service bind (by rdn, uid or mail, inside the configured ``users``
blocks), then bind as that entry with the password. A wrong password and an unknown user give the
same message and take a bind each, so neither the text nor the timing tells which names exist.

Failed attempts are counted per *identity* the directory resolved the name to (its DN), not per
name as typed: ``bob``, ``BOB``, ``bob@example.org`` and ``bob`` in full-width letters all reach
one entry and share one counter. Three counters hold an attempt back: the identity from this
client (5), the identity from any client (20: many addresses guessing one password) and this
client for any name (20: one address trying many names). The client is the address behind the
configured proxies (``access.proxies``). Counters live in Redis when configured (shared by every
worker), else in this process. Failed attempts and lockouts are audited (``auth.sign_in``
denied, ``auth.lockout``), never with the password, and an unknown name only as a hash: it may
be a password typed into the wrong field.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import threading
import time
import unicodedata
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ldap3
from ldap3.core import exceptions as lx

from pinconsole.access.authenticators import current_client
from pinconsole.errors import Invalid, Unauthenticated, Unavailable
from pinconsole.org.config import LdapProviderConfig, load_config
from pinconsole.org.reader import (
    LDAP_NAME_ANNOTATION,
    BindRejected,
    OrgReadError,
    entity_name,
    escape_filter,
    normalize_dn,
    open_connection,
    search,
)
from pinconsole.settings import get_settings

log = logging.getLogger(__name__)

WRONG_CREDENTIALS = "Wrong user name or password."
MAX_FAILURES = 5  # one identity from one client, within WINDOW_SECONDS
MAX_IDENTITY_FAILURES = 20  # one identity from any client
MAX_CLIENT_FAILURES = 20  # one client, any names
WINDOW_SECONDS = 15 * 60


@contextlib.contextmanager
def signin_client(client: str) -> Iterator[None]:
    """Attribute the password checks inside the block to ``client`` (for rate limiting).

    The access core's ``authenticate(..., client=)`` sets the same variable for its backends."""
    token = current_client.set(client or "")
    try:
        yield
    finally:
        current_client.reset(token)


class TooManyAttempts(Unauthenticated):
    status = 429
    title = "Too many attempts"


# --- rate limiting -------------------------------------------------------------------------------


class FailureLimiter:
    """Failed sign-ins per key in a sliding window; Redis when configured, else this process.

    ``namespace`` prefixes the Redis keys (tests use their own); keys are hashed there, so no
    typed name (perhaps a password in the wrong field) is stored in Redis."""

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        window: float = WINDOW_SECONDS,
        namespace: str = "pinconsole:signin-fail",
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self.namespace = namespace
        self._local: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _redis(self):  # type: ignore[no-untyped-def]
        url = get_settings().redis_url
        if not url:
            return None
        return _redis_client(url)

    def _rkey(self, key: str) -> str:
        return f"{self.namespace}:{hashlib.sha256(key.encode()).hexdigest()[:32]}"

    def retry_after(self, key: str, limit: int | None = None) -> float:
        """Seconds until ``key`` may try again (0 when it may try now); ``limit`` failures in
        the window lock it (default ``max_failures``)."""
        limit = self.max_failures if limit is None else limit
        now = time.time()
        r = self._redis()
        if r is not None:
            try:
                rkey = self._rkey(key)
                r.zremrangebyscore(rkey, 0, now - self.window)
                if r.zcard(rkey) < limit:
                    return 0.0
                nth = r.zrange(rkey, -limit, -limit, withscores=True)
                return max(0.0, nth[0][1] + self.window - now) if nth else 0.0
            except Exception:  # Redis down: fall back to this process's memory
                log.warning("redis unavailable for sign-in rate limiting", exc_info=True)
        with self._lock:
            q = self._local.get(key)
            if not q:
                return 0.0
            while q and q[0] <= now - self.window:
                q.popleft()
            return max(0.0, q[-limit] + self.window - now) if len(q) >= limit else 0.0

    def failed(self, key: str) -> int:
        """Count a failure of ``key``; the number of failures in the window, this one included."""
        now = time.time()
        r = self._redis()
        if r is not None:
            try:
                rkey = self._rkey(key)
                pipe = r.pipeline()
                pipe.zadd(rkey, {f"{now}:{uuid.uuid4().hex[:8]}": now})
                pipe.zremrangebyscore(rkey, 0, now - self.window)
                pipe.zcard(rkey)
                pipe.expire(rkey, int(self.window) + 1)
                return int(pipe.execute()[2])
            except Exception:
                log.warning("redis unavailable for sign-in rate limiting", exc_info=True)
        with self._lock:
            q = self._local.setdefault(key, deque())
            q.append(now)
            while q and q[0] <= now - self.window:
                q.popleft()
            return len(q)

    def succeeded(self, key: str) -> None:
        r = self._redis()
        if r is not None:
            with contextlib.suppress(Exception):
                r.delete(self._rkey(key))
        with self._lock:
            self._local.pop(key, None)


@lru_cache(maxsize=4)
def _redis_client(url: str):  # type: ignore[no-untyped-def]
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


limiter = FailureLimiter()


# --- directory lookups ---------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _providers_cached(path: str, mtime: float) -> tuple[LdapProviderConfig, ...]:
    return tuple(load_config(path))


def configured_providers() -> tuple[LdapProviderConfig, ...]:
    path = get_settings().org_config
    if not path:
        raise Invalid("auth mode ldap needs an org config: set PINCONSOLE_ORG_CONFIG")
    try:
        mtime = Path(path).stat().st_mtime
    except OSError as exc:
        raise Invalid(f"cannot read org config: {exc.strerror}", where=path) from exc
    return _providers_cached(path, mtime)


@dataclass(frozen=True)
class DirectoryUser:
    """What sign-in learned about a user: the entity name sync gives them, and groups."""

    name: str
    dn: str
    display_name: str
    groups: frozenset[str]  # lowercase group refs, ancestors included
    provider: str


def _find_user(
    conn: ldap3.Connection, provider: LdapProviderConfig, login: str
) -> tuple[str, dict[str, list[str]], int] | None:
    """(dn, attributes, users-block index) of the one entry whose rdn, uid or mail is ``login``."""
    value = escape_filter(login)
    for i, block in enumerate(provider.users):
        m = block.map
        keys = dict.fromkeys([m.rdn, "uid", m.email or "mail"])
        match = "".join(f"({k}={value})" for k in keys if k)
        flt = f"(&{block.options.filter}(|{match}))"
        attrs = [a for a in {m.name, m.rdn, m.display_name, m.member_of, "uid"} if a]
        found = list(search(conn, block.dn, block.options, filter_override=flt, attributes=attrs))
        if len(found) > 1:
            log.warning("sign-in name %r matches %d directory entries; refused", login, len(found))
            return None
        if found:
            entry = found[0]
            return entry.dn, {k: entry.values(k) for k in entry.attrs}, i
    return None


def _group_refs(
    conn: ldap3.Connection, provider: LdapProviderConfig, user_dn: str, uid: str | None
) -> frozenset[str]:
    """The user's groups and their ancestors, straight from the directory (cycle-safe)."""
    refs: set[str] = set()
    frontier = {user_dn}
    seen_dns: set[str] = set()
    first = True
    while frontier and len(seen_dns) < 10_000:
        nxt: set[str] = set()
        for block in provider.groups:
            ors = []
            for member_dn in frontier:
                for attr in block.map.members:
                    if attr.lower() == "memberuid":
                        if first and uid:
                            ors.append(f"(memberUid={escape_filter(uid)})")
                    else:
                        ors.append(f"({attr}={escape_filter(member_dn)})")
            if not ors:
                continue
            flt = f"(&{block.options.filter}(|{''.join(ors)}))"
            attrs = [block.map.name]
            for g in search(conn, block.dn, block.options, filter_override=flt, attributes=attrs):
                norm = normalize_dn(g.dn)
                if norm in seen_dns:
                    continue
                seen_dns.add(norm)
                raw = g.first(block.map.name)
                if raw:
                    ns = str((block.set or {}).get("metadata.namespace") or "default")
                    refs.add(f"group:{ns}/{entity_name(raw)}".lower())
                nxt.add(g.dn)
        frontier = nxt
        first = False
    return frozenset(refs)


@dataclass(frozen=True)
class SignInIdentity:
    """Whom a sign-in attempt is for: the lockout's key, and the audit's actor.

    ``key`` is the entry's normalised DN when the directory resolved the name, else the name as
    typed in Unicode NFKC, case-folded and with runs of spaces collapsed (an unknown name has a
    counter too, so a lockout does not tell which names exist)."""

    key: str
    name: str | None = None  # the entity name the sync gives the entry; None: unknown name
    login: str = ""  # as typed

    @classmethod
    def unknown(cls, login: str) -> SignInIdentity:
        return cls(f"name:{fold_login(login)}", None, login)


def fold_login(login: str) -> str:
    """One form for the ways a name can be typed: NFKC (full-width letters, ligatures),
    case-folded, spaces collapsed as directories compare them."""
    return " ".join(unicodedata.normalize("NFKC", login).casefold().split())


def _identity(provider: LdapProviderConfig, dn: str, name: str, login: str) -> SignInIdentity:
    folded = unicodedata.normalize("NFKC", normalize_dn(dn)).casefold()
    return SignInIdentity(f"dn:{provider.id}:{folded}", name, login)


Gate = Callable[[SignInIdentity], None]


def check_password(username: str, password: str, gate: Gate | None = None) -> DirectoryUser:
    """Verify a directory password; ``Unauthenticated`` (one message for every bad case).

    ``gate`` is called with the attempt's identity once the directory resolved the name (before
    the password is tried): the lockout raises there."""
    gate = gate or (lambda _identity: None)
    if not username or not password:  # an empty password would be an anonymous bind
        gate(SignInIdentity.unknown(username))
        raise Unauthenticated(WRONG_CREDENTIALS)
    for provider in configured_providers():
        try:
            conn = open_connection(provider)
        except OrgReadError as exc:
            raise Unavailable(f"the directory is unavailable: {exc.message}") from exc
        try:
            hit = _find_user(conn, provider, username)
            if hit is None:
                continue
            dn, attrs, block_index = hit
            block = provider.users[block_index]

            def first(a: str | None, attrs: dict[str, list[str]] = attrs) -> str | None:
                return (attrs.get(a.lower()) or [None])[0] if a else None

            raw_name = first(block.map.name) or username
            gate(_identity(provider, dn, entity_name(raw_name), username))
            try:
                user_conn = open_connection(provider, dn, password)
                user_conn.unbind()
            except BindRejected as exc:
                raise Unauthenticated(WRONG_CREDENTIALS) from exc
            groups = _group_refs(conn, provider, dn, first("uid") or first(block.map.rdn))
            return DirectoryUser(
                name=entity_name(raw_name),
                dn=dn,
                display_name=first(block.map.display_name) or raw_name,
                groups=groups,
                provider=provider.id,
            )
        except (lx.LDAPException, OrgReadError) as exc:
            raise Unavailable(f"the directory is unavailable: {exc}") from exc
        finally:
            with contextlib.suppress(Exception):
                conn.unbind()
    gate(SignInIdentity.unknown(username))
    # Unknown user: spend a bind like a real attempt would, then give the same answer.
    providers = configured_providers()
    if providers:
        fake = f"uid={uuid.uuid4().hex},{providers[0].users[0].dn if providers[0].users else ''}"
        with contextlib.suppress(Exception):
            open_connection(providers[0], fake.rstrip(","), password).unbind()
    raise Unauthenticated(WRONG_CREDENTIALS)


def _too_many(wait: float) -> TooManyAttempts:
    minutes = max(1, math.ceil(wait / 60))
    return TooManyAttempts(
        f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes > 1 else ''}."
    )


class _Attempt:
    """One sign-in attempt's counters and audit rows."""

    def __init__(self, login: str, client: str) -> None:
        self.login = login
        self.client = client
        self.identity = SignInIdentity.unknown(login)

    def counters(self) -> list[tuple[str, int, str]]:
        """(key, limit, what) of every counter this attempt counts against."""
        who = self.identity.key
        return [
            (f"user:{who}|client:{self.client}", MAX_FAILURES, "this user from this client"),
            (f"user:{who}", MAX_IDENTITY_FAILURES, "this user from any client"),
            (f"client:{self.client}", MAX_CLIENT_FAILURES, "this client for any user"),
        ]

    def refuse_if_locked(self, identity: SignInIdentity | None = None) -> None:
        if identity is not None:
            self.identity = identity
        counters = self.counters() if identity is not None else self.counters()[2:]
        wait = max(limiter.retry_after(key, limit) for key, limit, _ in counters)
        if wait > 0:
            raise _too_many(wait)

    def failed(self, reason: str) -> None:
        locked = [what for key, limit, what in self.counters() if limiter.failed(key) == limit]
        self.audit("denied", reason)
        if locked:
            self.audit(
                "denied",
                f"locked out for {WINDOW_SECONDS // 60} minutes: {' and '.join(locked)}",
                action="auth.lockout",
            )

    def succeeded(self) -> None:
        for key, _limit, _what in self.counters()[:2]:  # never the client's: one's own password
            limiter.succeeded(key)  # must not wipe the count of names it tried before

    def audit(self, outcome: str, reason: str, *, action: str = "auth.sign_in") -> None:
        """An audit row in its own transaction; a database failure must not change the answer."""
        from pinconsole.access.audit import record

        name = self.identity.name
        after = {"client": self.client or None, "login": self.login if name else None}
        if name is None:  # maybe a password typed into the name field: keep only a hash
            after["login_sha256"] = hashlib.sha256(fold_login(self.login).encode()).hexdigest()[:16]
        try:
            record(
                None,
                actor=name or "anonymous",
                action=action,
                target=f"user:default/{name}".lower() if name else "user:unknown",
                outcome=outcome,
                after=after,
                detail=f"{reason} (client {self.client or 'unknown'})",
            )
        except Exception:
            log.warning("could not audit a sign-in attempt", exc_info=True)


def authenticate(username: str, password: str, client: str | None = None) -> DirectoryUser:
    """``check_password`` behind the failed-attempt limits (see the module docstring)."""
    client = current_client.get() if client is None else client
    attempt = _Attempt(username.strip(), client)
    attempt.refuse_if_locked()  # a locked client costs the directory nothing
    try:
        user = check_password(username.strip(), password, gate=attempt.refuse_if_locked)
    except TooManyAttempts:
        raise
    except Unavailable as exc:
        attempt.audit("error", exc.message)
        raise
    except Unauthenticated:
        known = attempt.identity.name is not None
        attempt.failed("wrong password" if known else "unknown user name")
        raise
    attempt.succeeded()
    return user


def ldap_authenticator(username: str, password: str):  # type: ignore[no-untyped-def]
    """The ``ldap`` auth mode for the access registry: a Principal for a directory password.

    Groups come from the catalog (kept by the sync) merged with the directory's answer now, so a
    person added since the last sync gets their roles at once."""
    from pinconsole.access.principal import Principal, group_ref, resolve_principal

    user = authenticate(username, password)
    principal = resolve_principal(user.name)
    groups = frozenset(principal.groups | user.groups)
    settings = get_settings()
    is_admin = principal.is_admin or (
        settings.admin_group is not None and group_ref(settings.admin_group) in groups
    )
    return Principal(
        name=principal.name if not principal.is_service_account else user.name,
        display_name=principal.display_name
        if not principal.is_service_account
        else user.display_name,
        groups=groups,
        is_admin=is_admin,
        is_service_account=False,
    )


def user_in_directory(name: str) -> bool | None:
    """Whether the directory still has the user the sync names ``name``; ``None`` when the
    directory cannot tell (unreachable, no config): sessions are re-checked with this.

    Looked up by the name attribute (and rdn) of every ``users`` block, with the raw name the
    catalog kept when the sync had to make it a valid entity name."""
    from sqlmodel import col, func, select

    from pinconsole.db import session_scope
    from pinconsole.models import Entity

    raws = {name}
    with contextlib.suppress(Exception), session_scope() as session:
        for entity in session.exec(
            select(Entity).where(
                col(Entity.kind) == "user", func.lower(Entity.name) == name.lower()
            )
        ).all():
            raw = ((entity.body.get("metadata") or {}).get("annotations") or {}).get(
                LDAP_NAME_ANNOTATION
            )
            if raw:
                raws.add(str(raw))
    try:
        providers = configured_providers()
    except Invalid:
        return None
    for provider in providers:
        try:
            conn = open_connection(provider)
        except OrgReadError:
            return None
        try:
            for block in provider.users:
                keys = dict.fromkeys(a for a in (block.map.name, block.map.rdn) if a)
                match = "".join(f"({k}={escape_filter(r)})" for k in keys for r in sorted(raws))
                flt = f"(&{block.options.filter}(|{match}))"
                for entry in search(
                    conn, block.dn, block.options, filter_override=flt, attributes=[block.map.name]
                ):
                    raw = entry.first(block.map.name)
                    if raw and entity_name(raw).lower() == name.lower():
                        return True
        except (lx.LDAPException, OrgReadError):
            return None
        finally:
            with contextlib.suppress(Exception):
                conn.unbind()
    return False


__all__ = [
    "WRONG_CREDENTIALS",
    "DirectoryUser",
    "SignInIdentity",
    "TooManyAttempts",
    "authenticate",
    "check_password",
    "ldap_authenticator",
    "signin_client",
    "user_in_directory",
]
