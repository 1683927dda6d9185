"""The browser origins allowed to open the state websocket.

A browser sends cookies with any websocket it opens, so a page on another site could drive a
signed-in user's session (cross-site websocket hijacking) unless the backend refuses foreign
``Origin`` headers. The console's own origin is that of its public URL; on a loopback host the
other loopback spellings (localhost, 127.0.0.1, [::1]) are the same machine and allowed too.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from pinconsole.errors import Invalid

_DEFAULT_PORTS = {"http": 80, "https": 443}
_LOOPBACK = ("localhost", "127.0.0.1", "[::1]")


def _parts(url: str) -> tuple[str, str, str]:
    """Scheme, host (IPv6 in brackets) and ``:port`` (empty for the default) of ``url``."""
    parts = urlsplit(url.strip())
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise Invalid(f"{url!r} is not an http(s) URL", where="public_url")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    port = parts.port
    suffix = f":{port}" if port and port != _DEFAULT_PORTS[parts.scheme] else ""
    return parts.scheme, host, suffix


def allowed_origins(public_url: str) -> list[str]:
    """The origins a websocket may come from: the public URL's (and its loopback aliases)."""
    scheme, host, suffix = _parts(public_url)
    hosts = _LOOPBACK if host in _LOOPBACK else (host,)
    return [f"{scheme}://{h}{suffix}" for h in hosts]


def console_origins() -> list[str]:
    """The console's own origins, from ``public_url`` (default ``PINCONSOLE_API_URL``), as
    ``rxconfig.py`` gives them to the websocket."""
    import os

    from pinconsole.settings import get_settings

    public = get_settings().public_url or os.environ.get(
        "PINCONSOLE_API_URL", "http://localhost:8000"
    )
    return allowed_origins(public)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def foreign_origin(method: str, headers: Mapping[str, str]) -> str | None:
    """The other site behind a state-changing request, or ``None``.

    In header mode the proxy's sign-in (HTTP Basic, an SSO cookie) rides along on any request
    the browser sends, a cross-site form post included: CORS does not stop a "simple" POST from
    reaching the route. Browsers name the sender in ``Origin`` (and ``Sec-Fetch-Site``), so a
    request from another site is refused by what it says; one without either header is no
    browser's cross-site request (curl, scripts) and is let through.
    """
    if method.upper() in SAFE_METHODS:
        return None
    origin = (headers.get("origin") or "").strip().lower()
    if origin and origin != "null":
        return None if origin in console_origins() else origin
    if origin == "null":  # sandboxed frames, data: URLs, some redirects
        return "null"
    site = (headers.get("sec-fetch-site") or "").strip().lower()
    if site in ("cross-site", "same-site"):
        return f"a {site} page"
    return None
