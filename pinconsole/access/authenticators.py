"""Password sign-in by auth mode, through the backends plugins contribute (``Plugin.
authenticators``: the org plugin's ``ldap``).

A backend takes a user name and a password and returns the ``Principal`` (raising
``Unauthenticated`` on bad credentials). The sign-in page shows a password form whenever the
configured auth mode has one.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

from pinconsole.access.principal import Principal
from pinconsole.access.proxies import parse_networks
from pinconsole.errors import Invalid, Unauthenticated
from pinconsole.plugins.registry import get_registry

PasswordCheck = Callable[[str, str], Principal]

DEFAULT_SECRET = "change-me"  # settings' default; refused in every mode but the demo
MIN_SECRET = 16

# The client (IP address) of the sign-in attempt being checked, for backends that rate-limit.
current_client: contextvars.ContextVar[str] = contextvars.ContextVar("signin_client", default="")


def get_authenticator(mode: str) -> PasswordCheck | None:
    """The password check a plugin contributes for ``mode``, if any."""
    backend = get_registry().authenticators.get(mode)
    return None if backend is None else backend.authenticate


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
    password mode without its backend, a guessable session secret outside the demo (whatever
    the database: an SQLite file serves a network as well as PostgreSQL does), header mode
    without the proxies it may believe."""
    if settings.auth_mode == "demo":
        if not settings.is_embedded:
            raise Invalid(
                "auth_mode 'demo' lets anyone sign in as anyone and is allowed only on the "
                "embedded SQLite database; set PINCONSOLE_AUTH_MODE=header (behind a trusted "
                "proxy) or ldap",
                where="PINCONSOLE_AUTH_MODE",
            )
        return
    if settings.session_secret == DEFAULT_SECRET or len(settings.session_secret) < MIN_SECRET:
        # Anyone who knows the secret can sign a session cookie for any user (header mode
        # signs with it too: it is one secret of the deployment, never a default).
        raise Invalid(
            f"auth_mode {settings.auth_mode!r} needs PINCONSOLE_SESSION_SECRET set to a random "
            f"value of at least {MIN_SECRET} characters "
            "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)",
            where="PINCONSOLE_SESSION_SECRET",
        )
    if settings.auth_mode == "ldap" and get_authenticator("ldap") is None:
        raise Invalid("auth_mode 'ldap' is set but no LDAP authenticator is installed")
    if settings.auth_mode == "header":
        if not settings.trusted_proxies:
            raise Invalid(
                f"auth_mode 'header' believes {settings.auth_header} only from the proxy that "
                "sets it: list its addresses in PINCONSOLE_TRUSTED_PROXIES "
                "(e.g. '[\"127.0.0.1\"]')",
                where="PINCONSOLE_TRUSTED_PROXIES",
            )
        parse_networks(tuple(settings.trusted_proxies))
