"""The API tokens page: a person's own tokens, made with an expiry, shown once, revoked after
a confirmation that says which token stops working. Thin: the rules (who may, how long, what
is audited) are ``access.tokens``'."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pinconsole.access.tokens import MAX_EXPIRY_DAYS, TokenInfo, create_own_token, list_tokens
from pinconsole.access.tokens import revoke_token as revoke_domain_token
from pinconsole.errors import DomainError
from pinconsole.settings import get_settings
from pinconsole.state.base import AppState, principal_of
from pinconsole.state.guard import guarded

EXPIRY_CHOICES = ["7", "30", "90", "180", str(MAX_EXPIRY_DAYS)]


def _when(at: Any) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC" if at else ""


def token_row(t: TokenInfo) -> dict[str, str]:
    return {
        "id": str(t.id),
        "prefix": t.prefix,
        "description": t.description,
        "created": _when(t.created_at),
        "expires": _when(t.expires_at),
        "last_used": _when(t.last_used_at) or "never",
        "state": t.state,
        "state_kind": {"active": "ok", "expired": "warning", "revoked": "unknown"}[t.state],
    }


def _rows(user: str) -> list[dict[str, str]]:
    return [token_row(t) for t in list_tokens(user)]


class TokensState(AppState):
    """``/settings/tokens``: the signed-in person's API tokens."""

    rows: list[dict[str, str]] = []
    description: str = ""
    expiry_days: str = ""
    created_token: str = ""  # the secret, shown once until dismissed or the page is left
    created_expires: str = ""
    confirm: dict[str, str] = {}  # the row a revoke waits to be confirmed for
    error: str = ""
    loaded: bool = False

    @guarded
    async def load(self):  # type: ignore[no-untyped-def]
        self.created_token = self.created_expires = self.error = ""
        self.confirm = {}
        self.expiry_days = str(get_settings().token_expiry_days)
        self.rows = await self._run(_rows, principal_of(self).name)
        self.loaded = True

    @guarded
    async def set_description(self, value: str):  # type: ignore[no-untyped-def]
        self.description = value[:200]

    @guarded
    async def set_expiry_days(self, value: str):  # type: ignore[no-untyped-def]
        self.expiry_days = value if value in EXPIRY_CHOICES else self.expiry_days

    @guarded
    async def create(self):  # type: ignore[no-untyped-def]
        principal = principal_of(self)
        try:
            raw, info = await self._run(
                create_own_token,
                principal,
                self.description,
                expires_in_days=int(self.expiry_days),
            )
        except (DomainError, ValueError) as exc:
            self.error = str(exc)
            return None
        self.created_token, self.created_expires = raw, _when(info.expires_at)
        self.description, self.error = "", ""
        self.rows = await self._run(_rows, principal.name)
        return rx.toast.success("Token created", description="Copy it now: it is shown once.")

    @guarded
    async def dismiss_created(self):  # type: ignore[no-untyped-def]
        self.created_token = self.created_expires = ""

    @guarded
    async def ask_revoke(self, token_id: str):  # type: ignore[no-untyped-def]
        self.confirm = next((r for r in self.rows if r["id"] == token_id), {})

    @guarded
    async def cancel_revoke(self):  # type: ignore[no-untyped-def]
        self.confirm = {}

    @guarded
    async def revoke(self):  # type: ignore[no-untyped-def]
        row, self.confirm = self.confirm, {}
        if not row:
            return None
        principal = principal_of(self)
        try:
            await self._run(revoke_domain_token, int(row["id"]), actor=principal)
        except (DomainError, ValueError) as exc:
            self.error = str(exc)
            return None
        self.rows = await self._run(_rows, principal.name)
        return rx.toast.success(f"Token {row['prefix']}… revoked")
