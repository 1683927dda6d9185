"""Signed session cookie values for the UI sign-in (HMAC-SHA256 with settings.session_secret).

A value is ``base64(user).issued_at.signature``; it says who signed in and when, nothing else:
groups and admin rights are resolved again from the directory at every page load.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time

from pinconsole.settings import get_settings

DEFAULT_MAX_AGE = 7 * 24 * 3600


def _sign(payload: str, secret: str) -> str:
    mac = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def sign_session(user_name: str, *, now: float | None = None, secret: str | None = None) -> str:
    """A cookie value naming ``user_name``, signed with the session secret."""
    name = base64.urlsafe_b64encode(user_name.encode()).decode().rstrip("=")
    payload = f"{name}.{int(now if now is not None else time.time())}"
    return f"{payload}.{_sign(payload, secret or get_settings().session_secret)}"


def read_session(
    value: str,
    *,
    max_age: int = DEFAULT_MAX_AGE,
    now: float | None = None,
    secret: str | None = None,
) -> str | None:
    """The user name in a valid, unexpired cookie value; ``None`` for anything else."""
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
    return name or None
