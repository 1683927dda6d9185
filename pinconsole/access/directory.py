"""The people the directory knows, as the demo sign-in page lists them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlmodel import Session, col, func, or_, select

from pinconsole import cache
from pinconsole.db import session_scope
from pinconsole.models import Entity, Relation


@dataclass(frozen=True)
class DirectoryPerson:
    name: str
    display_name: str
    email: str
    picture: str
    teams: str  # direct teams' names, comma separated

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _escape(text: str) -> str:
    return text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_people(
    search: str = "", *, limit: int = 20, offset: int = 0, session: Session | None = None
) -> tuple[list[DirectoryPerson], int]:
    """One page of active users ordered by name, matching ``search`` in name, title or email.

    Without a ``session``, answered from the read cache until the catalog changes: everyone
    who opens the sign-in page asks for the same first page."""
    if session is None:

        def read() -> tuple[list[DirectoryPerson], int]:
            with session_scope() as own:
                return list_people(search, limit=limit, offset=offset, session=own)

        return cache.cached("access.people", (search, limit, offset), read, maxsize=256)
    conditions = [col(Entity.kind) == "user", col(Entity.status) == "active"]
    for word in search.split():
        pattern = f"%{_escape(word)}%"
        conditions.append(
            or_(
                func.lower(Entity.name).like(pattern, escape="\\"),
                func.lower(func.coalesce(Entity.title, "")).like(pattern, escape="\\"),
                col(Entity.search_text).like(pattern, escape="\\"),
            )
        )
    total = session.exec(select(func.count()).select_from(Entity).where(*conditions)).one()
    users = session.exec(
        select(Entity)
        .where(*conditions)
        .order_by(func.lower(Entity.name), col(Entity.ref))
        .offset(max(0, offset))
        .limit(max(1, min(limit, 100)))
    ).all()
    teams: dict[str, list[str]] = {}
    if users:
        rows = session.exec(
            select(Relation.source_ref, Relation.target_ref)
            .where(
                col(Relation.type) == "memberOf",
                col(Relation.source_ref).in_([u.ref for u in users]),
            )
            .distinct()
        ).all()
        for source, target in rows:
            teams.setdefault(source, []).append(target.rsplit("/", 1)[-1])
    people = []
    for user in users:
        profile = (user.body.get("spec") or {}).get("profile") or {}
        people.append(
            DirectoryPerson(
                name=user.name,
                display_name=str(profile.get("displayName") or user.title or user.name),
                email=str(profile.get("email") or ""),
                picture=str(profile.get("picture") or ""),
                teams=", ".join(sorted(teams.get(user.ref, []))),
            )
        )
    return people, int(total)


def person_named(name: str, *, session: Session | None = None) -> str | None:
    """The directory's spelling of user ``name`` (matched without case), or None."""
    if session is None:
        with session_scope() as own:
            return person_named(name, session=own)
    return session.exec(
        select(Entity.name)
        .where(col(Entity.kind) == "user", func.lower(Entity.name) == name.lower())
        .limit(1)
    ).first()


def person_exists(name: str, *, session: Session | None = None) -> bool:
    """Whether the directory (the catalog's User entities) knows ``name``."""
    if session is None:
        with session_scope() as own:
            return person_exists(name, session=own)
    count = session.exec(
        select(func.count())
        .select_from(Entity)
        .where(col(Entity.kind) == "user", func.lower(Entity.name) == name.lower())
    ).one()
    return bool(count)
