"""A person's profile on their entity page (``/catalog/user/[namespace]/[name]``), from
``user_view``; and ``/users/[name]``, the older address, which opens that page. Vars are
prefixed ``u_``: the route owns ``name``."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import reflex as rx

from pinconsole.catalog.query import user_view
from pinconsole.errors import DomainError
from pinconsole.state.base import AppState
from pinconsole.state.guard import guarded
from pinconsole.state.team import owned_row, person_row

NAME_MAX = 253


class UserState(AppState):
    found: bool = False
    loaded: bool = False
    error: str = ""
    u_name: str = ""
    u_title: str = ""
    u_email: str = ""
    u_picture: str = ""
    u_status: str = ""
    u_ref: str = ""
    teams: list[dict[str, str]] = []
    owned: list[dict[str, str]] = []

    @guarded
    async def load(self):  # type: ignore[no-untyped-def]
        """The profile of the user the entity page shows (its ``on_load`` chains this)."""
        params = self.router.page.params
        if str(params.get("kind", "")).lower() != "user":
            return
        namespace = str(params.get("namespace", "default"))[:NAME_MAX]
        name = str(params.get("name", ""))[:NAME_MAX]
        self.loaded = False
        try:
            view = await self._run(user_view, f"user:{namespace}/{name}", owned_limit=200)
        except DomainError as exc:
            self.found, self.loaded, self.error, self.u_name = False, True, str(exc), name
            return
        self.error = ""
        self._publish(
            {
                "u_name": view["name"],
                "u_title": view["title"],
                "u_email": str(view["email"] or ""),
                "u_picture": str(view["picture"] or ""),
                "u_status": view["status"],
                "u_ref": view["ref"],
                "teams": [person_row(p) for p in view["teams"]],
                "owned": [owned_row(s) for s in view["owned"]],
            }
        )
        self.found, self.loaded = True, True

    @guarded
    async def open_entity_page(self):  # type: ignore[no-untyped-def]
        """``/users/<name>`` (old links, bookmarks) opens the person's entity page; replacing
        the history entry keeps Back from landing on this address again."""
        name = str(self.router.page.params.get("name", ""))[:NAME_MAX]
        query = {
            k: v
            for k, v in self.router.url.query_parameters.items()
            if k == "tab" and isinstance(v, str)
        }
        path = f"/catalog/user/default/{quote(name, safe='')}"
        return rx.redirect(path + (f"?{urlencode(query)}" if query else ""), replace=True)
