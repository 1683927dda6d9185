"""Password sign-in backends by auth mode (``ldap`` registers itself here).

An authenticator takes a user name and a password and returns the ``Principal`` (raising
``Unauthenticated`` on bad credentials). The sign-in page shows a password form whenever the
configured auth mode has one registered.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

from pinconsole.access.principal import Principal
from pinconsole.errors import Invalid, Unauthenticated

Authenticator = Callable[[str, str], Principal]

DEFAULT_SECRET = "change-me"  # settings' default; refused outside the embedded database

_AUTHENTICATORS: dict[str, Authenticator] = {}

# The client (IP address) of the sign-in attempt being checked, for backends that rate-limit.
current_client: contextvars.ContextVar[str] = contextvars.ContextVar("signin_client", default="")


def register_authenticator(mode: str, authenticate: Authenticator) -> None:
    """Make ``authenticate`` the password check of auth mode ``mode`` (last one wins)."""
    _AUTHENTICATORS[mode] = authenticate


def get_authenticator(mode: str) -> Authenticator | None:
    return _AUTHENTICATORS.get(mode)


def authenticate(mode: str, username: str, password: str, *, client: str = "") -> Principal:
    """Check a password with the backend of ``mode``; ``Unauthenticated`` when none or wrong.

    Blocking (a backend may bind to LDAP): call it from a worker thread. ``client`` is readable
    by the backend as ``current_client.get()`` during the call.
    """
    backend = get_authenticator(mode)
    if backend is None:
        raise Unauthenticated(f"auth mode {mode!r} has no password sign-in")
    if not username.strip() or not password:
        raise Unauthenticated("user name and password are required")
    token = current_client.set(client)
    try:
        return backend(username.strip(), password)
    finally:
        current_client.reset(token)


def check_auth_mode(settings: Any) -> None:
    """Refuse configurations that must not run: demo sign-in outside the embedded default, a
    password mode without its backend, cookie sessions signed with a guessable secret."""
    if settings.auth_mode == "demo" and not settings.is_embedded:
        raise Invalid(
            "auth_mode 'demo' lets anyone sign in as anyone and is allowed only on the embedded "
            "SQLite database; set PINCONSOLE_AUTH_MODE=header (behind a trusted proxy) or ldap",
            where="PINCONSOLE_AUTH_MODE",
        )
    if settings.auth_mode == "ldap" and get_authenticator("ldap") is None:
        raise Invalid("auth_mode 'ldap' is set but no LDAP authenticator is installed")
    cookie_sessions = settings.auth_mode != "header"
    weak = settings.session_secret == DEFAULT_SECRET or len(settings.session_secret) < 16
    if cookie_sessions and not settings.is_embedded and weak:
        # Anyone who knows the secret can sign a session cookie for any user.
        raise Invalid(
            "PINCONSOLE_SESSION_SECRET must be set to a random value of at least 16 characters "
            "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)",
            where="PINCONSOLE_SESSION_SECRET",
        )
