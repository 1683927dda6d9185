"""Team (``/teams/[name]``) and teams list (``/teams``) page states, from ``team_view`` and a
keyset page of groups. Vars are prefixed ``t_``: the route owns ``name``. The rows of people and
owned entities are shaped here and shared with the user page (``state/user.py``)."""

from __future__ import annotations

from typing import Any, ClassVar

from pinconsole.catalog.query import EntityFilter, list_entities, read_scope, team_view
from pinconsole.errors import DomainError
from pinconsole.state.base import AppState
from pinconsole.state.catalog import LIFECYCLE_INTENT, ref_url, score_intent, short_ref
from pinconsole.state.guard import guarded
from pinconsole.state.paging import KeysetPaging

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


def _teams_page(text: str, cursor: str | None) -> tuple[list[dict[str, str]], int, str | None]:
    """One keyset page of groups with parent and member counts (in the UI's thread pool)."""
    flt = EntityFilter.build(kind="group", text=text)
    with read_scope() as session:
        page = list_entities(
            session, flt, sort="name", limit=TEAMS_PAGE, cursor=cursor, with_relations=True
        )
    rows = []
    for e in page.items:
        rels = page.relations.get(e.ref, [])
        parent = next((t for r, t in rels if r == "childOf"), "")
        profile = (e.body.get("spec") or {}).get("profile") or {}
        rows.append(
            {
                "name": e.name,
                "title": e.title or profile.get("displayName") or e.name,
                "description": e.description or "",
                "type": e.spec_type or "—",
                "parent": short_ref(parent),
                "parent_url": ref_url(parent),
                "members": str(sum(1 for r, _ in rels if r == "hasMember")),
                "children": str(sum(1 for r, _ in rels if r == "parentOf")),
                "url": ref_url(e.ref),
            }
        )
    return rows, page.total, page.next_cursor


class TeamsState(KeysetPaging, AppState):
    """``/teams``: every group, searchable, 50 per keyset page, with parent and member count."""

    _page_size: ClassVar[int] = TEAMS_PAGE
    _page_empty: ClassVar[str] = "No teams"

    f_text: str = ""
    rows: list[dict[str, str]] = []
    loaded: bool = False

    async def _turn(self) -> None:
        rows, total, next_cursor = await self._run(_teams_page, self.f_text, self._cursor or None)
        self.rows, self.total = rows, total
        self._next_cursor = next_cursor or ""
        self.loaded = True

    @guarded
    async def load(self):  # type: ignore[no-untyped-def]
        self.f_text = str(self.router.url.query_parameters.get("text", "") or "")
        self._first_page()
        await self._turn()

    @guarded
    async def set_text(self, value: str):  # type: ignore[no-untyped-def]
        self.f_text = value.strip()
        self._first_page()
        await self._turn()
