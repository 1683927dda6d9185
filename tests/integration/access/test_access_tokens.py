"""API tokens: only the hash is stored, verify, revoke, last use, expiry, audit."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import select

from pinconsole.access import AuditFilter, list_audit, tokens
from pinconsole.access.tokens import (
    MAX_EXPIRY_DAYS,
    create_token,
    known_token,
    list_tokens,
    revoke_token,
    verify_token,
)
from pinconsole.db import session_scope
from pinconsole.errors import Invalid, NotFound, Unauthenticated
from pinconsole.migrations import upgrade_database
from pinconsole.models import ApiToken
from pinconsole.models._types import utcnow
from pinconsole.settings import get_settings


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


def test_tokens_expire_after_the_default_or_their_own_lifetime(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = utcnow()
    create_token("deploy-bot")
    create_token("deploy-bot", expires_in_days=7)
    monkeypatch.setenv("PINCONSOLE_TOKEN_EXPIRY_DAYS", "30")
    get_settings.cache_clear()
    create_token("deploy-bot")
    thirty, seven, ninety = (t.expires_at - before for t in list_tokens("deploy-bot"))
    assert timedelta(days=90) <= ninety < timedelta(days=90, minutes=1)
    assert timedelta(days=7) <= seven < timedelta(days=7, minutes=1)
    assert timedelta(days=30) <= thirty < timedelta(days=30, minutes=1)
    for bad in (0, -1, MAX_EXPIRY_DAYS + 1):
        with pytest.raises(Invalid, match="expires after 1 to"):
            create_token("deploy-bot", expires_in_days=bad)
    (event, *_), _ = list_audit(AuditFilter(action="token.create"))
    assert "expires_at" in event.after


def test_an_expired_token_is_refused_with_a_clear_message(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = create_token("deploy-bot", expires_in_days=1)
    for _ in range(50):  # the first use writes last_used_at: a new data generation, whose
        verify_token(raw)  # notification (PostgreSQL) may arrive a moment later
        if known_token(raw) is not None:
            break  # cached from now on
        time.sleep(0.05)
    assert known_token(raw) is not None
    later = utcnow() + timedelta(days=1, seconds=1)
    monkeypatch.setattr(tokens, "utcnow", lambda: later)
    for check in (verify_token, known_token):
        with pytest.raises(Unauthenticated, match=r"expired at .* UTC; create a new one"):
            check(raw)
    monkeypatch.undo()
    with session_scope() as s:  # and straight from the database
        row = s.exec(select(ApiToken)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        s.add(row)
    with pytest.raises(Unauthenticated, match="expired"):
        verify_token(raw)
    (info,) = list_tokens()
    assert info.state == "expired" and info.last_used_at is not None


def test_existing_tokens_get_90_days_from_the_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade_database(url, "0013")
    engine = create_engine(url)
    created = datetime(2020, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO api_token (user, token_hash, prefix, is_admin, description, "
                "created_at) VALUES ('old-bot', 'h', 'pct_x', 0, '', :at)"
            ),
            {"at": created.replace(tzinfo=None)},
        )
    upgrade_database(url)
    with engine.connect() as conn:
        (expires,) = conn.execute(text("SELECT expires_at FROM api_token")).one()
    engine.dispose()
    expires = datetime.fromisoformat(str(expires)).replace(tzinfo=UTC)
    assert timedelta(days=89) < expires - utcnow() <= timedelta(days=90)
