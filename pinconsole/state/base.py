"""The root state: the signed-in user lives here once; every feature state inherits from it.

Pages guard themselves with ``on_load=AppState.ensure_signed_in`` (or ``ensure_admin``). Feature
event handlers get the acting ``Principal`` with ``principal_of(self)`` and pass it to the domain
service, which calls ``authorize``.

How identity gets here, by ``settings.auth_mode``:
- ``demo`` / ``ldap``: the sign-in page stores a signed cookie naming the user; every guard
  checks the signature and re-reads groups from the directory at most once a minute.
- ``header``: the trusted proxy's header on the websocket request names the user.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import quote

import reflex as rx

from pinconsole.access.principal import Principal, resolve_principal
from pinconsole.access.sessions import read_session, sign_session
from pinconsole.errors import Unauthenticated
from pinconsole.settings import get_settings

SESSION_COOKIE = "pinconsole_session"
SIGNIN_ROUTE = "/signin"
# Groups and admin rights are re-read this often, so directory changes reach open sessions.
REFRESH_SECONDS = 60.0


def safe_next(target: str | None) -> str:
    """A local path to return to after sign-in (never another site: no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if target.startswith(SIGNIN_ROUTE):
        return "/"
    return target


class AppState(rx.State):
    """Identity of the browser session."""

    user_name: str = ""
    display_name: str = ""
    is_admin: bool = False
    is_service_account: bool = False
    groups: list[str] = []
    auth_error: str = ""
    session_cookie: str = rx.Cookie(
        "", name=SESSION_COOKIE, path="/", max_age=168 * 3600, same_site="lax"
    )

    _resolved_at: float = 0.0  # wall clock: with Redis, the next event may hit another worker

    @rx.var
    def signed_in(self) -> bool:
        return bool(self.user_name)

    @rx.var
    def user_label(self) -> str:
        return self.display_name or self.user_name

    @rx.var
    def team_names(self) -> list[str]:
        """Group names (without ``group:namespace/``) for display."""
        return sorted(g.rsplit("/", 1)[-1] for g in self.groups)

    # --- helpers (underscore: not callable from the browser) ---

    def _apply(self, principal: Principal) -> None:
        self.user_name = principal.name
        self.display_name = principal.label
        self.is_admin = principal.is_admin
        self.is_service_account = principal.is_service_account
        self.groups = sorted(principal.groups)
        self.auth_error = ""
        self._resolved_at = time.time()

    def _clear(self) -> None:
        self.user_name = ""
        self.display_name = ""
        self.is_admin = False
        self.is_service_account = False
        self.groups = []
        self._resolved_at = 0.0

    def _start_session(self, principal: Principal) -> None:
        """Sign ``principal`` in for this browser (cookie modes)."""
        self._apply(principal)
        self.session_cookie = sign_session(principal.name)

    def _header_user(self) -> str:
        header = get_settings().auth_header.lower()
        return (self.router.headers.raw_headers.get(header) or "").strip()

    def _current_path(self) -> str:
        url = self.router.url
        return url.path + (f"?{url.query}" if url.query else "")

    def _to_signin(self) -> rx.event.EventSpec:
        return rx.redirect(f"{SIGNIN_ROUTE}?next={quote(self._current_path(), safe='')}")

    async def _identify(self) -> str | None:
        """Who this browser is, from the header or the cookie; ``None`` if nobody."""
        settings = get_settings()
        if settings.auth_mode == "header":
            user = self._header_user()
            if not user:
                self.auth_error = (
                    f"The proxy in front of PinConsole did not send {settings.auth_header}."
                )
            return user or None
        if settings.auth_mode == "demo" and not settings.is_embedded:
            self.auth_error = "Demo sign-in is allowed only on the embedded database."
            return None
        max_age = settings.session_max_age_hours * 3600
        return read_session(self.session_cookie, max_age=max_age)

    async def _check(self) -> bool:
        """Make the state's identity current; False when nobody is signed in."""
        name = await self._identify()
        if not name:
            self._clear()
            return False
        fresh = time.time() - self._resolved_at < REFRESH_SECONDS
        if name.lower() == self.user_name.lower() and fresh:
            return True
        principal = await asyncio.to_thread(resolve_principal, name)
        if principal.is_service_account and get_settings().auth_mode == "demo":
            # The demo user is gone from the catalog (reseeded database): sign in again.
            self._clear()
            self.session_cookie = ""
            return False
        self._apply(principal)
        return True

    # --- events ---

    @rx.event
    async def ensure_signed_in(self):  # type: ignore[no-untyped-def]
        """``on_load`` guard: resolve the user or send the browser to the sign-in page."""
        if not await self._check():
            return self._to_signin()
        return None

    @rx.event
    async def ensure_admin(self):  # type: ignore[no-untyped-def]
        """``on_load`` guard of admin pages: signed in and an administrator."""
        if not await self._check():
            return self._to_signin()
        if not self.is_admin:
            return [
                rx.redirect("/"),
                rx.toast.error("That page is for administrators.", position="bottom-right"),
            ]
        return None

    @rx.event
    def sign_out(self):  # type: ignore[no-untyped-def]
        """Forget this browser's sign-in (header mode: hand over to the proxy's sign-out)."""
        settings = get_settings()
        self._clear()
        self.session_cookie = ""
        if settings.auth_mode == "header":
            if settings.signout_url:
                return rx.redirect(settings.signout_url, is_external=True)
            return rx.toast.info(
                "Your proxy signs you in; close the browser to sign out.", position="bottom-right"
            )
        # Emptying the cookie var is enough (an empty value signs nobody in); rx.remove_cookie
        # would re-run the current page's on_load and race this redirect.
        return rx.redirect(SIGNIN_ROUTE)


def principal_of(state: AppState) -> Principal:
    """The acting principal of a (feature) state's event; ``Unauthenticated`` if nobody.

    Built from the state resolved by the page's guard (at most a minute old).
    """
    if not state.user_name:
        raise Unauthenticated("Sign in first.")
    return Principal(
        name=state.user_name,
        display_name=state.display_name,
        groups=frozenset(state.groups),
        is_admin=state.is_admin,
        is_service_account=state.is_service_account,
    )


PUBLIC_ROUTES = frozenset({SIGNIN_ROUTE})


def guarded_on_load(route: str, on_load: Any, *, admin_only: bool = False) -> list[Any]:
    """A page's ``on_load`` behind the sign-in guard (admin pages: behind ``ensure_admin``).

    The app assembly wraps every registered page with this, so no plugin can forget it.
    """
    handlers = (
        [] if on_load is None else list(on_load) if isinstance(on_load, list | tuple) else [on_load]
    )
    if route in PUBLIC_ROUTES:
        return handlers
    guard = AppState.ensure_admin if admin_only else AppState.ensure_signed_in
    return [guard, *[h for h in handlers if h is not guard]]


def refuse_unsafe_auth() -> None:
    """Stop the app at start-up when the auth mode must not run here (demo on PostgreSQL)."""
    from pinconsole.access.authenticators import check_auth_mode
    from pinconsole.errors import Invalid

    try:
        check_auth_mode(get_settings())
    except Invalid as exc:
        raise SystemExit(f"PinConsole refuses to start: {exc}") from None
