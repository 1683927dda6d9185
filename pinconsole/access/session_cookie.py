"""The session cookie as the server sets it: HttpOnly, so no script on the page can read it.

Reflex's ``rx.Cookie`` is written by the page's JavaScript, which makes it readable by any
script that runs there (one XSS and the session is gone). So the websocket never holds the
cookie: a successful sign-in hands the browser a *ticket* (signed like a session value with a
key of its own, valid for ``TICKET_MAX_AGE`` seconds), and the page posts it as a top-level
form to ``POST /api/v1/session``, whose answer sets the cookie with ``HttpOnly`` and redirects
to where the user was going. The websocket that the next page opens carries the cookie in its
handshake, where the state reads it (``cookie_value``). Signing out posts to
``/api/v1/session/end``, which expires it.
"""

from __future__ import annotations

import json

from pinconsole.access.sessions import parse_session, sign_session
from pinconsole.settings import get_settings

SESSION_COOKIE = "pinconsole_session"
SIGNIN_ROUTE = "/signin"
SESSION_ROUTE = "/api/v1/session"
SIGNOUT_ROUTE = "/api/v1/session/end"
TICKET_MAX_AGE = 60  # seconds from the sign-in to the form post that follows it at once
MAX_COOKIE_HEADER = 8192  # browsers send at most ~4 KB per cookie; ignore anything bigger


def _ticket_secret() -> str:
    # A ticket must never pass for a session value (nor one for the other): a key of its own.
    return get_settings().session_secret + "\x00sign-in-ticket"


def sign_ticket(user_name: str, *, now: float | None = None) -> str:
    """A short-lived proof that ``user_name`` just signed in on this browser."""
    return sign_session(user_name, now=now, secret=_ticket_secret())


def read_ticket(value: str, *, now: float | None = None) -> str | None:
    """The user a valid, fresh ticket names; ``None`` for anything else."""
    claim = parse_session(value, max_age=TICKET_MAX_AGE, now=now, secret=_ticket_secret())
    return claim.user if claim else None


def safe_next(target: str | None) -> str:
    """A local path to return to after sign-in (never another site: no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if target.startswith(SIGNIN_ROUTE) or target.startswith("/api/"):
        return "/"
    return target


def cookie_value(header: str) -> str:
    """The session cookie's value in a ``Cookie`` request header ('' when there is none).

    Split by hand: ``SimpleCookie`` stops silently at the first cookie it cannot parse, so
    another application's malformed cookie on the same host would sign the user out."""
    if not header or len(header) > MAX_COOKIE_HEADER:
        return ""
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == SESSION_COOKIE:
            return value.strip().strip('"')
    return ""


def secure_cookies() -> bool:
    """Whether the cookie gets ``Secure``: when the console's public URL is https."""
    return (get_settings().public_url or "").lower().startswith("https://")


def _post_form(action: str, fields: dict[str, str]) -> str:
    """A script that submits a hidden POST form (a top-level navigation, as a sign-in form
    is: the answer's Set-Cookie applies, no CORS involved)."""
    return (
        "(() => {const f = document.createElement('form'); f.method = 'POST'; "
        f"f.action = {json.dumps(action)}; "
        f"for (const [k, v] of Object.entries({json.dumps(fields)})) "
        "{const i = document.createElement('input'); i.type = 'hidden'; i.name = k; "
        "i.value = v; f.appendChild(i);} document.body.appendChild(f); f.submit();})()"
    )


def establish_script(user_name: str, next_path: str) -> str:
    """What the page runs after a successful sign-in."""
    return _post_form(
        SESSION_ROUTE, {"ticket": sign_ticket(user_name), "next": safe_next(next_path)}
    )


def end_script() -> str:
    """What the page runs to sign out."""
    return _post_form(SIGNOUT_ROUTE, {})
