"""Sign-in with a directory password (auth mode ``ldap``).

Find the user's entry with the service bind (by rdn, uid or mail, inside the configured ``users``
blocks), then bind as that entry with the password. A wrong password and an unknown user give the
same message and take a bind each, so neither the text nor the timing tells which names exist.
Failed attempts are limited per user and client (in process, or in Redis when configured, so the
limit holds across workers).
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ldap3
from ldap3.core import exceptions as lx

from pinconsole.access.authenticators import current_client
from pinconsole.errors import Invalid, Unauthenticated, Unavailable
from pinconsole.org.config import LdapProviderConfig, load_config
from pinconsole.org.reader import (
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
MAX_FAILURES = 5  # per user and client within WINDOW_SECONDS
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
    """Failed sign-ins per key in a sliding window; Redis when configured, else this process."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = WINDOW_SECONDS) -> None:
        self.max_failures = max_failures
        self.window = window
        self._local: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _redis(self):  # type: ignore[no-untyped-def]
        url = get_settings().redis_url
        if not url:
            return None
        return _redis_client(url)

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again (0 when it may try now)."""
        now = time.time()
        r = self._redis()
        if r is not None:
            try:
                rkey = f"pinconsole:signin-fail:{key}"
                r.zremrangebyscore(rkey, 0, now - self.window)
                if r.zcard(rkey) < self.max_failures:
                    return 0.0
                oldest = r.zrange(rkey, 0, 0, withscores=True)
                return max(0.0, oldest[0][1] + self.window - now) if oldest else 0.0
            except Exception:  # Redis down: fall back to this process's memory
                log.warning("redis unavailable for sign-in rate limiting", exc_info=True)
        with self._lock:
            q = self._local.get(key)
            if not q:
                return 0.0
            while q and q[0] <= now - self.window:
                q.popleft()
            return max(0.0, q[0] + self.window - now) if len(q) >= self.max_failures else 0.0

    def failed(self, key: str) -> None:
        now = time.time()
        r = self._redis()
        if r is not None:
            try:
                rkey = f"pinconsole:signin-fail:{key}"
                r.zadd(rkey, {f"{now}:{uuid.uuid4().hex[:8]}": now})
                r.expire(rkey, int(self.window) + 1)
                return
            except Exception:
                log.warning("redis unavailable for sign-in rate limiting", exc_info=True)
        with self._lock:
            self._local.setdefault(key, deque()).append(now)

    def succeeded(self, key: str) -> None:
        r = self._redis()
        if r is not None:
            with contextlib.suppress(Exception):
                r.delete(f"pinconsole:signin-fail:{key}")
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


def check_password(username: str, password: str) -> DirectoryUser:
    """Verify a directory password; ``Unauthenticated`` (one message for every bad case)."""
    if not username or not password:  # an empty password would be an anonymous bind
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
            try:
                user_conn = open_connection(provider, dn, password)
                user_conn.unbind()
            except BindRejected as exc:
                raise Unauthenticated(WRONG_CREDENTIALS) from exc
            block = provider.users[block_index]

            def first(a: str | None, attrs: dict[str, list[str]] = attrs) -> str | None:
                return (attrs.get(a.lower()) or [None])[0] if a else None

            raw_name = first(block.map.name) or username
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
    # Unknown user: spend a bind like a real attempt would, then give the same answer.
    providers = configured_providers()
    if providers:
        fake = f"uid={uuid.uuid4().hex},{providers[0].users[0].dn if providers[0].users else ''}"
        with contextlib.suppress(Exception):
            open_connection(providers[0], fake.rstrip(","), password).unbind()
    raise Unauthenticated(WRONG_CREDENTIALS)


def authenticate(username: str, password: str, client: str | None = None) -> DirectoryUser:
    """``check_password`` behind the failed-attempt limit of this user and client."""
    client = current_client.get() if client is None else client
    key = f"{username.strip().lower()}|{client}"
    wait = limiter.retry_after(key)
    if wait > 0:
        minutes = max(1, math.ceil(wait / 60))
        raise TooManyAttempts(
            f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes > 1 else ''}."
        )
    try:
        user = check_password(username.strip(), password)
    except Unauthenticated:
        limiter.failed(key)
        raise
    limiter.succeeded(key)
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


def register() -> None:
    """Install the ``ldap`` auth mode in the access core's authenticator registry."""
    from pinconsole.access.authenticators import register_authenticator

    register_authenticator("ldap", ldap_authenticator)


__all__ = [
    "WRONG_CREDENTIALS",
    "DirectoryUser",
    "TooManyAttempts",
    "authenticate",
    "check_password",
    "ldap_authenticator",
    "register",
    "signin_client",
]
