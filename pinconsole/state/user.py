"""User page (``/users/[name]``) state, from ``user_view``. Vars are prefixed ``u_``: the route
owns ``name``."""

from __future__ import annotations

from pinconsole.catalog.query import user_view
from pinconsole.errors import DomainError
from pinconsole.state.base import AppState
from pinconsole.state.guard import guarded
from pinconsole.state.team import owned_row, person_row


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
        name = str(self.router.page.params.get("name", ""))
        self.loaded = False
        try:
            view = await self._run(user_view, name, owned_limit=200)
        except DomainError as exc:
            self.found, self.loaded, self.error, self.u_name = False, True, str(exc), name
            return
        self.error = ""
        self.u_name, self.u_title = view["name"], view["title"]
        self.u_email = str(view["email"] or "")
        self.u_picture = str(view["picture"] or "")
        self.u_status = view["status"]
        self.u_ref = view["ref"]
        self.teams = [person_row(p) for p in view["teams"]]
        self.owned = [owned_row(s) for s in view["owned"]]
        self.found, self.loaded = True, True
