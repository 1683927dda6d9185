"""entity.search_text of users and groups includes profile.displayName and email

Imports now write them (people are searched by name and email, not only by id); this fills
them in for the users and groups already stored, which an unchanged re-import never rewrites.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 02:30:00
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _search_text(name: str, title: Any, description: Any, body: Any, with_profile: bool) -> str:
    if isinstance(body, str):
        body = json.loads(body)
    meta = body.get("metadata") or {}
    tags = list(dict.fromkeys(str(t).lower() for t in (meta.get("tags") or [])))
    words = [name, title or "", description or "", " ".join(tags)]
    if with_profile:
        spec = body.get("spec") or {}
        profile = spec.get("profile") if isinstance(spec.get("profile"), dict) else {}
        words += [str(profile.get(k) or "") for k in ("displayName", "email")]
    return " ".join(s for s in words if s).lower()


def _rewrite(with_profile: bool) -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT uid, name, title, description, body, search_text FROM entity "
            "WHERE kind IN ('user', 'group')"
        )
    ).all()
    updates = []
    for uid, name, title, description, body, old in rows:
        new = _search_text(name, title, description, body, with_profile)
        if new != old:
            updates.append({"uid": uid, "text": new})
    if updates:
        conn.execute(sa.text("UPDATE entity SET search_text = :text WHERE uid = :uid"), updates)


def upgrade() -> None:
    _rewrite(with_profile=True)


def downgrade() -> None:
    _rewrite(with_profile=False)
