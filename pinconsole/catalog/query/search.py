"""The top bar's search: entities, teams and users matching every word typed."""

from __future__ import annotations

from typing import Any, TypedDict

from sqlalchemy import case, func, or_, select
from sqlmodel import Session

from pinconsole.catalog.query.entity import entities, entity_url
from pinconsole.catalog.query.filters import like_escape, text_conditions
from pinconsole.db import run_read
from pinconsole.models.catalog import Entity


class SearchHit(TypedDict):
    kind: str
    title: str
    subtitle: str
    url: str
    ref: str


_SEARCH_KIND_LABEL = {"group": "Team", "user": "User", "api": "API"}
MAX_QUERY = 200  # characters: the box caps what it sends, the query caps what it reads


class SearchResults(TypedDict):
    hits: list[SearchHit]
    counts: dict[str, int]  # matches per kind label, over the whole catalog
    total: int


def _terms(text: str) -> list[str]:
    return text[:MAX_QUERY].lower().split()


def _rank(text: str) -> Any:
    """Exact names and titles first, then names and titles starting with what was typed, then
    a word of the name or title starting with it (``consu`` finds ``orders-consumer``), then
    the other prefix matches, then the rest (a word found anywhere)."""
    words = _terms(text)
    phrase, first = " ".join(words), like_escape(words[0])
    prefix = like_escape(phrase)
    name, title = func.lower(Entity.name), func.lower(func.coalesce(Entity.title, ""))
    esc = {"escape": "\\"}
    word_in_name = or_(
        *(name.like(f"%{sep}{first}%", **esc) for sep in ("-", "\\_", ".")),
        title.like(f"% {first}%", **esc),
    )
    return case(
        (or_(name == phrase, title == phrase), 0),
        (or_(name.like(f"{prefix}%", **esc), title.like(f"{prefix}%", **esc)), 1),
        (word_in_name, 2),
        (Entity.search_text.like(f"{first}%", **esc), 3),  # type: ignore[attr-defined]
        (Entity.search_text.like(f"% {first}%", **esc), 4),  # type: ignore[attr-defined]
        else_=5,
    )


def _matching(text: str) -> list[Any]:
    return [*text_conditions(" ".join(_terms(text))), Entity.kind != "location"]


def search_everything(
    text: str, limit: int = 8, *, session: Session | None = None
) -> list[SearchHit]:
    """Results for the top bar's search box: entities, teams (groups) and users, best first
    (see ``_rank``; then shorter names first)."""
    if not _terms(text):
        return []
    stmt = (
        select(Entity)
        .where(*_matching(text))
        .order_by(_rank(text), func.length(Entity.name), Entity.name)
        .limit(max(1, min(limit, 50)))
    )
    return run_read(lambda s: [_hit(e) for e in entities(s, stmt)], session=session)


def search_results(text: str, limit: int = 10, *, session: Session | None = None) -> SearchResults:
    """The best ``limit`` hits and how many entities of each kind match (for the "See all N in
    the catalog" link and the groups' counts)."""
    if not _terms(text):
        return {"hits": [], "counts": {}, "total": 0}

    def read(s: Session) -> SearchResults:
        counted = s.execute(
            select(Entity.kind, func.count()).where(*_matching(text)).group_by(Entity.kind)
        ).all()
        counts: dict[str, int] = {}
        for kind, n in counted:
            counts[_label(kind)] = counts.get(_label(kind), 0) + int(n)
        hits = search_everything(text, limit, session=s)
        return {"hits": hits, "counts": counts, "total": sum(counts.values())}

    return run_read(read, session=session)


def _label(kind: str) -> str:
    """The kind as a person reads it (stored kinds are lower case)."""
    return _SEARCH_KIND_LABEL.get(kind) or kind.capitalize()


def _hit(e: Entity) -> SearchHit:
    label = _label(e.kind)
    bits = []
    if e.spec_type:
        bits.append(e.spec_type)
    if e.owner_ref:
        bits.append(e.owner_ref.split("/", 1)[-1])
    if e.kind == "user":
        email = (e.body.get("spec", {}).get("profile") or {}).get("email")
        if email:
            bits.append(email)
    return SearchHit(
        kind=label,
        title=e.title or _display_name(e) or e.name,
        subtitle=" · ".join(bits),
        url=entity_url(e.kind, e.namespace, e.name),
        ref=e.ref,
    )


def _display_name(entity: Entity) -> str | None:
    profile = (entity.body.get("spec") or {}).get("profile") or {}
    return profile.get("displayName")
