"""Who is acting: a user from the catalog's directory, or a service account nobody else knows.

Groups are resolved from the catalog tables (``memberOf`` and ``childOf`` relations) and include
every ancestor group, so membership of a child team counts as membership of its parents: a
member of ``group:default/payments-api`` owns what ``group:default/payments`` owns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, func, select

from pinconsole.db import session_scope
from pinconsole.models import Entity, Relation
from pinconsole.settings import get_settings

MEMBER_OF = "memberOf"
CHILD_OF = "childOf"


@dataclass(frozen=True)
class Principal:
    """An authenticated actor. ``groups`` holds lowercase group refs, ancestors included."""

    name: str
    display_name: str = ""
    groups: frozenset[str] = field(default_factory=frozenset)
    is_admin: bool = False
    is_service_account: bool = False

    @property
    def ref(self) -> str:
        """The user's entity ref (``user:default/<name>``); owners may name users directly."""
        return f"user:default/{self.name}".lower()

    @property
    def label(self) -> str:
        return self.display_name or self.name


def group_ref(value: str) -> str:
    """Normalise ``team``, ``group:team`` or ``group:ns/team`` to ``group:ns/team`` lowercase."""
    value = value.strip()
    kind, sep, rest = value.partition(":")
    if not sep:
        kind, rest = "group", value
    if "/" not in rest:
        rest = f"default/{rest}"
    return f"{kind}:{rest}".lower()


def ancestor_groups(session: Session, direct: set[str]) -> set[str]:
    """``direct`` plus every group reachable over ``childOf`` (one query per level, cycle-safe)."""
    seen = {g.lower() for g in direct}
    frontier = set(seen)
    while frontier:
        rows = session.exec(
            select(Relation.target_ref)
            .where(col(Relation.type) == CHILD_OF, col(Relation.source_ref).in_(sorted(frontier)))
            .distinct()
        ).all()
        frontier = {r.lower() for r in rows} - seen
        seen |= frontier
    return seen


def _find_user(session: Session, name: str) -> Entity | None:
    lowered = name.lower()
    rows = session.exec(
        select(Entity)
        .where(col(Entity.kind) == "user", func.lower(Entity.name) == lowered)
        .order_by(col(Entity.namespace) != "default", col(Entity.ref))
        .limit(1)
    ).all()
    return rows[0] if rows else None


def _display_name(user: Entity) -> str:
    profile = (user.body.get("spec") or {}).get("profile") or {}
    return str(profile.get("displayName") or user.title or user.name)


def resolve_principal(
    name: str, *, session: Session | None = None, force_admin: bool = False
) -> Principal:
    """The principal for ``name`` as the directory knows it now.

    A name no directory knows is a service account (valid for API tokens): no groups, admin only
    by configuration or ``force_admin`` (an admin token).
    """
    if session is None:
        with session_scope() as own:
            return resolve_principal(name, session=own, force_admin=force_admin)
    settings = get_settings()
    user = _find_user(session, name)
    if user is None:
        groups: frozenset[str] = frozenset()
        display = name
        canonical = name
    else:
        direct = set(
            session.exec(
                select(Relation.target_ref)
                .where(col(Relation.type) == MEMBER_OF, col(Relation.source_ref) == user.ref)
                .distinct()
            ).all()
        )
        groups = frozenset(ancestor_groups(session, direct))
        display = _display_name(user)
        canonical = user.name
    admins = {a.lower() for a in settings.admins}
    is_admin = (
        force_admin
        or canonical.lower() in admins
        or (settings.admin_group is not None and group_ref(settings.admin_group) in groups)
    )
    return Principal(
        name=canonical,
        display_name=display,
        groups=groups,
        is_admin=is_admin,
        is_service_account=user is None,
    )


# The actor of work no person started (scheduled jobs, start-up); allowed everything.
SYSTEM = Principal(name="system", display_name="PinConsole", is_admin=True, is_service_account=True)
