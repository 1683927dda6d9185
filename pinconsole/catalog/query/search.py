"""The top bar's search: entities, teams and users matching every word typed."""

from __future__ import annotations

from typing import TypedDict

from sqlalchemy import case, func, select
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


_SEARCH_KIND_LABEL = {"group": "Team", "user": "User"}


def search_everything(
    text: str, limit: int = 8, *, session: Session | None = None
) -> list[SearchHit]:
    """Results for the top bar's search box: entities, teams (groups) and users.

    Name-prefix matches come first, then other prefix matches, then substring matches.
    """
    words = text.lower().split()
    if not words:
        return []
    first = like_escape(words[0])
    rank = case(
        (func.lower(Entity.name).like(f"{first}%", escape="\\"), 0),
        (Entity.search_text.like(f"{first}%", escape="\\"), 1),  # type: ignore[attr-defined]
        (Entity.search_text.like(f"% {first}%", escape="\\"), 2),  # type: ignore[attr-defined]
        else_=3,
    )
    stmt = (
        select(Entity)
        .where(*text_conditions(text), Entity.kind != "location")
        .order_by(rank, func.length(Entity.name), Entity.name)
        .limit(max(1, min(limit, 50)))
    )
    return run_read(lambda s: [_hit(e) for e in entities(s, stmt)], session=session)


def _hit(e: Entity) -> SearchHit:
    label = _SEARCH_KIND_LABEL.get(e.kind, e.body.get("kind", e.kind))
    bits = [label]
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
