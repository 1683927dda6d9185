"""The root state: the signed-in user lives here once; feature states inherit from it."""

from __future__ import annotations

import reflex as rx


class AppState(rx.State):
    """Identity of the browser session (filled by the access core's sign-in)."""

    user_name: str = ""
    display_name: str = ""
    is_admin: bool = False
    groups: list[str] = []

    @rx.var
    def signed_in(self) -> bool:
        return bool(self.user_name)
