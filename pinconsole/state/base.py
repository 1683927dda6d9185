"""The root state: the signed-in user lives here once; every feature state inherits from it.

Pages guard themselves with ``on_load=AppState.ensure_signed_in`` (or ``ensure_admin``), but a
guard only redirects (or, on an admin page, leaves the shell to say "administrators only"): any
websocket client can call any handler by name. So every event handler of a feature state is
``@guarded`` (``state/guard.py``): ``_principal`` re-identifies the browser for that event and
refuses nobody (and non-administrators on admin handlers), ``_run`` calls the domain in the
UI's thread pool, and ``_answer`` shows what a typed domain error means. Handlers pass the
acting ``principal_of(self)`` to the domain service, which calls ``authorize``.

How identity gets here, by ``settings.auth_mode``:
- ``demo`` / ``ldap``: the sign-in page stores a signed cookie naming the user; every check
  verifies the signature and the revocations, re-reads groups from the catalog at most once a
  minute and (ldap) asks the directory every 15 minutes whether the user still exists.
- ``header``: the trusted proxy's header on the websocket request names the user.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

import reflex as rx

from pinconsole.access.audit import record_refusal
from pinconsole.access.principal import Principal, resolve_principal
from pinconsole.access.proxies import client_address, proxy_user
from pinconsole.access.session_cookie import (
    SIGNIN_ROUTE,
    cookie_value,
    end_script,
    establish_script,
)
from pinconsole.access.sessions import PRESENCE_RECHECK_SECONDS, read_session_async, still_present
from pinconsole.components.callout import toast
from pinconsole.errors import DomainError, Forbidden, Invalid, Unauthenticated
from pinconsole.settings import get_settings
from pinconsole.state.guard import Outage, run_blocking, shielded

log = logging.getLogger(__name__)
T = TypeVar("T")

# Groups and admin rights are re-read this often, so directory changes reach open sessions.
REFRESH_SECONDS = 60.0
# A page's guard and its loaders each refuse a signed-out browser: one redirect is enough.
SIGNIN_REPEAT_SECONDS = 5.0


class AdminOnly(Forbidden):
    """A non-administrator refused by an admin handler (audited). The page itself says so:
    the shell shows "administrators only" wherever ``is_admin`` is false, so no toast."""


def admin_group_link() -> tuple[str, str]:
    """The configured admin group's ref and its page, for telling people whom to ask."""
    from pinconsole.catalog.query import entity_url  # a path from a ref: no I/O

    group = (get_settings().admin_group or "").strip()
    if not group:
        return "", ""
    ref = group if ":" in group else f"group:{group}"
    namespace, _, name = ref.split(":", 1)[1].rpartition("/")
    return ref.lower(), entity_url("group", namespace or "default", name)


class AppState(rx.State):
    """Identity of the browser session."""

    user_name: str = ""
    display_name: str = ""
    is_admin: bool = False
    is_service_account: bool = False
    groups: list[str] = []
    auth_error: str = ""
    outage: str = ""  # the layout's banner: the database or Redis was unavailable just now
    admin_group: str = ""  # whose members administer the console (told to non-admins)
    admin_group_url: str = ""

    _resolved_at: float = 0.0  # wall clock: with Redis, the next event may hit another worker
    _present_at: float = 0.0  # when the directory last said the user exists
    _signin_sent: float = 0.0  # when this browser was last sent to the sign-in page

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
        self._present_at = 0.0

    def _start_session(self, principal: Principal, next_path: str) -> rx.event.EventSpec:
        """Sign ``principal`` in for this browser (cookie modes): the page posts the ticket
        this returns, and the answer sets the cookie and goes on to ``next_path``.

        The tab is not signed in until that answer: the next page's check reads the cookie.
        Showing the user before would let a click (or a test) leave the page while the post is
        in flight, abort it, and land signed out."""
        self._present_at = time.time()  # the sign-in itself asked the directory
        return rx.call_script(establish_script(principal.name, next_path))

    def _session_value(self) -> str:
        """The session cookie this tab's websocket brought in its handshake (HttpOnly: the
        page's scripts never see it; access/session_cookie.py)."""
        return cookie_value(self.router.headers.cookie)

    def _header_user(self) -> str:
        """The user header, believed only on a websocket from a trusted proxy (and if short)."""
        try:
            return proxy_user(self.router.session.client_ip, self.router.headers.raw_headers)
        except Invalid:
            return ""

    def _client(self) -> str:
        """The browser's address behind the configured proxies (lockouts and refusals count
        per client)."""
        forwarded = self.router.headers.raw_headers.get("x-forwarded-for", "")
        return client_address(self.router.session.client_ip, forwarded)

    def _current_path(self) -> str:
        url = self.router.url
        return url.path + (f"?{url.query}" if url.query else "")

    def _to_signin(self) -> rx.event.EventSpec:
        self._signin_sent = time.time()
        return rx.redirect(f"{SIGNIN_ROUTE}?next={quote(self._current_path(), safe='')}")

    async def _identify(self) -> str | None:
        """Who this browser is, from the header or the cookie; ``None`` if nobody."""
        settings = get_settings()
        if settings.auth_mode == "header":
            user = self._header_user()
            if not user:
                self.auth_error = (
                    f"No trusted proxy in front of PinConsole sent a valid {settings.auth_header}."
                )
            return user or None
        if settings.auth_mode == "demo" and not settings.is_embedded:
            self.auth_error = "Demo sign-in is allowed only on the embedded database."
            return None
        max_age = settings.session_max_age_hours * 3600
        return await read_session_async(self._session_value(), max_age=max_age)  # not revoked

    async def _check(self) -> bool:
        """Make the state's identity current; False when nobody is signed in."""
        name = await self._identify()
        if not name:
            self._clear()
            return False
        fresh = time.time() - self._resolved_at < REFRESH_SECONDS
        if name.lower() == self.user_name.lower() and fresh:
            return True
        principal = await run_blocking(resolve_principal, name)
        if not await self._still_present(principal):
            # Gone from the catalog (demo: reseeded) or the directory (ldap): sign in again.
            self._clear()
            return False
        self._apply(principal)
        return True

    async def _still_present(self, principal: Principal) -> bool:
        """Demo: the catalog has the user. Ldap: the directory has them, asked when the catalog
        does not know them and every 15 minutes (the org sync may lag an hour). Header: the
        proxy vouches. A directory that cannot answer keeps only users the catalog knows."""
        mode = get_settings().auth_mode
        if mode != "ldap":
            return mode == "header" or not principal.is_service_account
        if not principal.is_service_account and (
            time.time() - self._present_at < PRESENCE_RECHECK_SECONDS
        ):
            return True
        present = await run_blocking(still_present, mode, principal.name)
        if present is None:
            return not principal.is_service_account
        self._present_at = time.time()
        return present

    async def _checked(self) -> bool:
        """``_check``, with an outage of the database or Redis raised as ``Outage``."""
        return await shielded(self._check(), "the session check")

    # --- what every guarded handler goes through (state/guard.py) ---

    async def _principal(self, *, admin: str | None = None, target: str = "") -> Principal:
        """The acting principal of this event, re-identified from the cookie or header.

        Nobody signed in: this state's data is reset and ``Unauthenticated`` raised. ``admin``
        (an ``admin.*`` action): a non-administrator is refused with ``AdminOnly``, the refusal
        audited (``record_refusal``). An outage raises ``Outage``.
        """
        if not await self._checked():
            self._forget()
            raise Unauthenticated("Sign in first.")
        principal = principal_of(self)
        if admin is not None and not principal.is_admin:
            self._forget()
            why, client = f"{admin} needs an administrator", self._client()
            # Audited as the API's refused admin routes are: a bounded number of rows a minute.
            await run_blocking(
                record_refusal,
                actor=principal.name,
                action=admin,
                target=target or admin,
                client=client,
                why=why,
                after={"client": client or None},
            )
            raise AdminOnly(f"{principal.name} may not do this: {why}")
        return principal

    def _publish(self, values: dict[str, Any]) -> None:
        """Assign the vars whose value changed, only those: an assignment marks a var dirty
        even when equal, so it is sent again (and the state written back to its store); a
        page refreshed every few seconds would re-send everything it shows each time."""
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    def _forget(self) -> None:
        """Back to the defaults: a refused browser keeps nothing it was shown as someone else."""
        if type(self) is not AppState:
            self.reset()

    async def _run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` off the event loop (``run_blocking``); an outage raises the
        banner, the next call that works lowers it. Foreground handlers only: a background
        event calls ``run_blocking`` and publishes under ``async with self``."""
        try:
            result = await run_blocking(fn, *args, **kwargs)
        except Outage as exc:
            self.outage = exc.banner
            raise
        if self.outage:
            self.outage = ""
        return result

    def _answer(self, exc: DomainError) -> Any:
        """What a typed domain error means on the page: the banner for an outage, the sign-in
        page for nobody, nothing for an admin handler's refusal (the page says so), a toast for
        the rest."""
        if isinstance(exc, Outage):
            self.outage = exc.banner
            return None
        if isinstance(exc, AdminOnly):
            log.info("refused: %s", exc)
            return None
        if isinstance(exc, Unauthenticated):
            if time.time() - self._signin_sent < SIGNIN_REPEAT_SECONDS:
                return None
            return self._to_signin()
        log.info("%s: %s", type(exc).__name__, exc)
        return toast(exc.title, "error", description=str(exc))

    # --- events ---

    @rx.event
    async def ensure_signed_in(self):  # type: ignore[no-untyped-def]
        """``on_load`` guard: resolve the user or send the browser to the sign-in page."""
        try:
            if not await self._checked():
                return self._to_signin()
        except Outage as exc:
            return self._answer(exc)
        return None

    @rx.event
    async def ensure_admin(self):  # type: ignore[no-untyped-def]
        """``on_load`` guard of admin pages: signed in, or the sign-in page. A signed-in
        non-administrator stays: the shell shows them "administrators only" (which page, why,
        whom to ask) in place of the page, whose own loaders refuse them, audited."""
        try:
            if not await self._checked():
                return self._to_signin()
        except Outage as exc:
            return self._answer(exc)
        if not self.is_admin:
            self.admin_group, self.admin_group_url = admin_group_link()
        return None

    @rx.event
    def sign_out(self):  # type: ignore[no-untyped-def]
        """Forget this browser's sign-in (header mode: hand over to the proxy's sign-out)."""
        settings = get_settings()
        self._clear()
        if settings.auth_mode == "header":
            if settings.signout_url:
                return rx.redirect(settings.signout_url, is_external=True)
            return rx.toast.info(
                "Your proxy signs you in; close the browser to sign out.", position="bottom-right"
            )
        # The cookie is HttpOnly: only the server's answer to a form post can expire it.
        return rx.call_script(end_script())


def principal_of(state: AppState) -> Principal:
    """The acting principal of a (feature) state's event; ``Unauthenticated`` if nobody.

    Built from the identity ``_principal`` re-checked for this event (groups at most a minute
    old).
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
