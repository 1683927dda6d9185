"""API tokens: only the hash is stored, verify, revoke, last use, audit."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlmodel import select

from pinconsole.access import AuditFilter, list_audit
from pinconsole.access.tokens import create_token, list_tokens, revoke_token, verify_token
from pinconsole.db import session_scope
from pinconsole.errors import Invalid, NotFound, Unauthenticated
from pinconsole.models import ApiToken


def _rows() -> list[ApiToken]:
    with session_scope() as s:
        return list(s.exec(select(ApiToken)).all())


def test_only_the_hash_is_stored(db: str) -> None:
    raw = create_token("deploy-bot", description="CI deploys")
    (row,) = _rows()
    assert row.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.startswith(row.prefix) and len(row.prefix) < len(raw) // 2
    stored = " ".join(str(v) for v in row.model_dump().values())
    assert raw not in stored
    (event,), _ = list_audit(AuditFilter(action="token.create"))
    assert raw not in str(event.after) and event.after["user"] == "deploy-bot"


def test_verify_gives_the_principal(org: str) -> None:
    ada = verify_token(create_token("ada"))
    assert ada.name == "ada" and "group:default/engineering" in ada.groups and not ada.is_admin
    bot = verify_token(create_token("deploy-bot", admin=True))
    assert bot.is_service_account and bot.is_admin


def test_unknown_and_revoked_tokens_fail(db: str) -> None:
    raw = create_token("deploy-bot")
    for bad in ("", "pct_nope", raw + "x"):
        with pytest.raises(Unauthenticated):
            verify_token(bad)
    (info,) = list_tokens()
    revoke_token(info.id, actor="margaret")
    revoke_token(info.id, actor="margaret")  # idempotent
    with pytest.raises(Unauthenticated):
        verify_token(raw)
    assert list_audit(AuditFilter(action="token.revoke"))[1] == 1
    with pytest.raises(NotFound):
        revoke_token(999_999)


def test_last_used_is_written_at_most_once_a_minute(db: str) -> None:
    raw = create_token("deploy-bot")
    verify_token(raw)
    first = _rows()[0].last_used_at
    assert first is not None
    verify_token(raw)
    assert _rows()[0].last_used_at == first
    with session_scope() as s:
        row = s.exec(select(ApiToken)).one()
        row.last_used_at = first - timedelta(minutes=2)
        s.add(row)
    verify_token(raw)
    assert _rows()[0].last_used_at > first - timedelta(minutes=1)


def test_bad_user_names_are_refused(db: str) -> None:
    for bad in ("", "   ", "two words", "x" * 300):
        with pytest.raises(Invalid):
            create_token(bad)
    assert _rows() == []
