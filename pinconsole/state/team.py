"""Team (``/teams/[name]``) and teams list (``/teams``) page states, from ``team_view`` and a
keyset page of groups. Vars are prefixed ``t_``: the route owns ``name``. The rows of people and
owned entities are shaped here and shared with the user page (``state/user.py``)."""

from __future__ import annotations

import json
from typing import Any, ClassVar
from urllib.parse import urlencode

import reflex as rx

from pinconsole.catalog.query import (
    EntityFilter,
    entities_by_refs,
    list_entities,
    read_scope,
    team_view,
)
from pinconsole.errors import DomainError
from pinconsole.state.base import AppState
from pinconsole.state.catalog import LIFECYCLE_INTENT, ref_url, score_intent, short_ref
from pinconsole.state.guard import guarded
from pinconsole.state.paging import KeysetPaging
from pinconsole.wording import counted

TEAMS_PAGE = 50


def person_row(p: dict[str, Any] | None) -> dict[str, str]:
    if not p:
        return {}
    return {
        "name": str(p.get("name") or ""),
        "title": str(p.get("title") or p.get("name") or ""),
        "email": str(p.get("email") or ""),
        "picture": str(p.get("picture") or ""),
        "url": str(p.get("url") or ""),
        "exists": "yes" if p.get("exists", True) else "no",
    }


def owned_row(s: dict[str, Any]) -> dict[str, str]:
    score = s.get("score")
    lifecycle = str(s.get("lifecycle") or "")
    return {
        "title": str(s.get("title") or s.get("name") or ""),
        "name": str(s.get("name") or ""),
        "kind": str(s.get("kind") or ""),
        "type": str(s.get("type") or "—"),
        "lifecycle": lifecycle or "—",
        "lifecycle_intent": LIFECYCLE_INTENT.get(lifecycle, "neutral"),
        "owner": short_ref(s.get("owner")),
        "owner_url": ref_url(s.get("owner")),
        "system": short_ref(s.get("system")),
        "system_url": ref_url(s.get("system")),
        "score": "—" if score is None else str(score),
        "score_intent": score_intent(score),
        "description": str(s.get("description") or ""),
        "status": str(s.get("status") or ""),
        "url": str(s.get("url") or ""),
    }


class TeamState(AppState):
    found: bool = False
    loaded: bool = False
    error: str = ""
    t_name: str = ""
    t_title: str = ""
    t_description: str = ""
    t_type: str = ""
    t_email: str = ""
    t_status: str = ""
    t_ref: str = ""
    parent: dict[str, str] = {}
    children: list[dict[str, str]] = []
    members: list[dict[str, str]] = []
    owned: list[dict[str, str]] = []
    owned_total: int = 0
    score: str = "—"
    score_intent: str = "neutral"
    scored_entities: int = 0
    checks: list[dict[str, str]] = []
    members_label: str = ""
    owned_label: str = ""
    # A department's page sums its sub-teams: say so wherever figures are rolled up.
    rolled_up: bool = False
    rollup_note: str = ""
    chat_name: str = ""
    chat_url: str = ""
    links: list[dict[str, str]] = []

    @guarded
    async def load(self):  # type: ignore[no-untyped-def]
        name = str(self.router.page.params.get("name", ""))
        self.loaded = False
        try:
            view = await self._run(team_view, name, owned_limit=200)
        except DomainError as exc:
            self.found, self.loaded, self.error, self.t_name = False, True, str(exc), name
            return
        self.error = ""
        self.t_name, self.t_title = view["name"], view["title"]
        self.t_description = view["description"]
        self.t_type = str(view["type"] or "")
        self.t_email = str(view["email"] or "")
        self.t_status = view["status"]
        self.t_ref = view["ref"]
        self.parent = person_row(view["parent"])
        self.children = [person_row(p) for p in view["children"]]
        self.members = [person_row(p) for p in view["members"]]
        self.owned = [owned_row(s) for s in view["owned"]]
        self.owned_total = int(view["owned_total"])
        self.members_label = counted(len(self.members), "direct member")
        shown = len(self.owned)
        self.owned_label = (
            f"First {shown} of {self.owned_total}"
            if self.owned_total > shown
            else counted(self.owned_total, "entity", "entities")
        )
        below = len(view["descendants"])
        self.rolled_up = below > 0
        self.rollup_note = (
            f"Includes {counted(below, 'team')} below {view['title']}" if below else ""
        )
        chat = view["chat"] or {}
        self.chat_name, self.chat_url = str(chat.get("name") or ""), str(chat.get("url") or "")
        self.links = [{"url": lk["url"], "title": lk["title"]} for lk in view["links"]]
        card = view["scorecard"] or {}
        score = card.get("score")
        self.score = "—" if score is None else str(round(score))
        self.score_intent = score_intent(None if score is None else round(score))
        self.scored_entities = int(card.get("entities") or 0)
        self.checks = [
            {
                "id": str(c["id"]),
                "label": str(c["label"]),
                "passed": str(c["passed"]),
                "total": str(c["total"]),
                "percent": str(round(100 * c["passed"] / c["total"])) if c["total"] else "0",
            }
            for c in card.get("checks") or []
        ]
        self.found, self.loaded = True, True


# The Teams list's sortable columns (list_entities' sort keys).
TEAM_SORTS = ("name", "type")


def _teams_page(
    text: str, sort: str, cursor: str | None
) -> tuple[list[dict[str, str]], int, str | None]:
    """One keyset page of groups with parent (by its display name) and member counts (in the
    UI's thread pool)."""
    flt = EntityFilter.build(kind="group", text=text)
    with read_scope() as session:
        page = list_entities(
            session, flt, sort=sort, limit=TEAMS_PAGE, cursor=cursor, with_relations=True
        )
        parents = {
            e.ref: next((t for r, t in page.relations.get(e.ref, []) if r == "childOf"), "")
            for e in page.items
        }
        titles = {
            p.ref: p.title or _display_name(p.body) or p.name
            for p in entities_by_refs(session, sorted({p for p in parents.values() if p}))
        }
    rows = []
    for e in page.items:
        rels = page.relations.get(e.ref, [])
        parent = parents[e.ref]
        rows.append(
            {
                "name": e.name,
                "title": e.title or _display_name(e.body) or e.name,
                "description": e.description or "",
                "type": e.spec_type or "—",
                "parent": titles.get(parent) or short_ref(parent),
                "parent_url": ref_url(parent),
                "members": str(sum(1 for r, _ in rels if r == "hasMember")),
                "children": str(sum(1 for r, _ in rels if r == "parentOf")),
                "url": ref_url(e.ref),
            }
        )
    return rows, page.total, page.next_cursor


def _display_name(body: dict[str, Any]) -> str:
    return str(((body.get("spec") or {}).get("profile") or {}).get("displayName") or "")


class TeamsState(KeysetPaging, AppState):
    """``/teams``: every group, searchable and sortable (both in the URL), 50 per keyset page,
    with parent and member count."""

    _page_size: ClassVar[int] = TEAMS_PAGE
    _page_empty: ClassVar[str] = "No teams"

    f_text: str = ""
    sort: str = "name"
    sort_desc: bool = False
    rows: list[dict[str, str]] = []
    loaded: bool = False

    def _sort_key(self) -> str:
        return f"-{self.sort}" if self.sort_desc else self.sort

    async def _turn(self) -> None:
        rows, total, next_cursor = await self._run(
            _teams_page, self.f_text, self._sort_key(), self._cursor or None
        )
        self.rows, self.total = rows, total
        self._next_cursor = next_cursor or ""
        self.loaded = True

    def _replace_url(self) -> Any:
        """The search and sort in the address bar (shareable, reloadable), no history entry."""
        params = {"text": self.f_text} if self.f_text else {}
        if self._sort_key() != "name":
            params["sort"] = self._sort_key()
        url = json.dumps("/teams" + (f"?{urlencode(params)}" if params else ""))
        return rx.call_script(f"window.history.replaceState(window.history.state, '', {url})")

    @guarded
    async def load(self):  # type: ignore[no-untyped-def]
        query = self.router.url.query_parameters
        self.f_text = str(query.get("text", "") or "")[:200]
        sort = str(query.get("sort", "") or "name")
        if sort.lstrip("-") not in TEAM_SORTS:
            sort = "name"
        self.sort, self.sort_desc = sort.lstrip("-"), sort.startswith("-")
        self._first_page()
        await self._turn()

    @guarded
    async def set_text(self, value: str):  # type: ignore[no-untyped-def]
        self.f_text = str(value).strip()[:200]
        self._first_page()
        await self._turn()
        return self._replace_url()

    @guarded
    async def sort_by(self, key: str):  # type: ignore[no-untyped-def]
        """A header click: the same column flips direction, another sorts ascending."""
        if key not in TEAM_SORTS:
            return None
        self.sort_desc = not self.sort_desc if key == self.sort else False
        self.sort = key
        self._first_page()
        await self._turn()
        return self._replace_url()
