"""Sign-in page state: demo user picker (search, pages), password form, header hand-off."""

from __future__ import annotations

from typing import Any, ClassVar

import reflex as rx

from pinconsole.access.audit import record
from pinconsole.access.authenticators import authenticate, get_authenticator
from pinconsole.access.directory import list_people
from pinconsole.access.principal import resolve_principal
from pinconsole.access.session_cookie import safe_next
from pinconsole.errors import DomainError
from pinconsole.settings import get_settings
from pinconsole.state.base import AppState
from pinconsole.state.guard import run_blocking
from pinconsole.state.paging import Paging

PAGE_SIZE = 12


def _record_sign_in(principal_name: str, mode: str, client: str = "") -> None:
    record(
        None,
        actor=principal_name,
        action="auth.sign_in",
        target=f"user:default/{principal_name}".lower(),
        after={"client": client or None},
        detail=f"mode {mode} (client {client or 'unknown'})",
    )


class SignInState(Paging, AppState):
    """One page of demo users at a time; never the whole directory.

    The one public state under ``AppState``: its handlers run for nobody by design (they sign
    in); they show no more than the sign-in page shows anyone (the demo's users, in demo mode).
    """

    _page_size: ClassVar[int] = PAGE_SIZE
    _page_format: ClassVar[str] = "{first}-{last} of {total:,}"

    mode: str = ""
    has_password: bool = False
    header_name: str = ""
    search: str = ""
    people: list[dict[str, str]] = []
    loading: bool = False
    username: str = ""
    password_error: str = ""
    busy: bool = False
    notice: str = ""  # why the browser is back here (a sign-in that came too late)

    def _next_path(self) -> str:
        return safe_next(self.router.url.query_parameters.get("next"))

    async def _turn(self) -> None:
        self.loading = True
        people, total = await run_blocking(
            list_people, self.search, limit=PAGE_SIZE, offset=self.page * PAGE_SIZE
        )
        self.people = [p.as_dict() for p in people]
        self.total = total
        self.loading = False

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        """Already signed in: go on. Header mode: sign in from the header. Else show choices."""
        settings = get_settings()
        self.mode = settings.auth_mode
        self.header_name = settings.auth_header
        self.has_password = get_authenticator(settings.auth_mode) is not None
        self.password_error = ""
        expired = self.router.url.query_parameters.get("expired") == "1"
        self.notice = (
            "That sign-in took too long to complete; please sign in again." if expired else ""
        )
        if await self._check():
            return rx.redirect(self._next_path(), replace=True)
        if self.mode == "demo" and settings.is_embedded:
            self.page = 0
            await self._turn()
        return None

    @rx.event
    async def set_search(self, value: str):  # type: ignore[no-untyped-def]
        self.search = value
        self.page = 0
        await self._turn()

    @rx.event
    async def choose(self, name: str):  # type: ignore[no-untyped-def]
        """Demo mode: become ``name`` (a User of the catalog)."""
        settings = get_settings()
        if settings.auth_mode != "demo" or not settings.is_embedded:
            return rx.toast.error("Demo sign-in is not enabled.", position="bottom-right")
        principal = await run_blocking(resolve_principal, name)
        if principal.is_service_account:
            return rx.toast.error(f"{name} is not in the directory.", position="bottom-right")
        await run_blocking(_record_sign_in, principal.name, "demo", self._client())
        return self._start_session(principal, self._next_path())

    @rx.event
    async def submit_password(self, form_data: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Password modes (ldap): check the password in a worker thread."""
        settings = get_settings()
        username = str(form_data.get("username") or "").strip()
        password = str(form_data.get("password") or "")
        self.username = username
        self.password_error = ""
        self.busy = True
        yield
        try:
            client = self._client()
            principal = await run_blocking(
                authenticate, settings.auth_mode, username, password, client=client
            )
        except DomainError as exc:
            self.busy = False
            self.password_error = exc.message
            return
        await run_blocking(_record_sign_in, principal.name, settings.auth_mode, client)
        self.busy = False
        yield self._start_session(principal, self._next_path())
