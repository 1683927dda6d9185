"""A person's own tokens from the settings page: made for themselves only, with their rights
and never an administrator's flag, an expiry in range, audited as theirs; a service account's
tokens stay the operator's to make."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pinconsole.access.principal import Principal
from pinconsole.access.tokens import create_own_token, list_tokens, revoke_token, verify_token
from pinconsole.db import session_scope
from pinconsole.errors import Forbidden, Invalid
from pinconsole.models import ApiToken, AuditEvent

ADA = Principal(name="ada", groups=frozenset({"group:default/payments"}))


def test_a_person_makes_a_token_that_acts_as_them_and_expires(db: str) -> None:
    raw, info = create_own_token(ADA, "  laptop script ", expires_in_days=7)
    assert info.user == "ada" and info.description == "laptop script" and not info.is_admin
    assert (info.expires_at - info.created_at).days == 7
    assert verify_token(raw).name == "ada"
    with session_scope() as s:
        (row,) = s.exec(select(ApiToken)).all()
        assert raw not in (row.token_hash, row.prefix)  # the secret is not kept
        audit = s.exec(select(AuditEvent).where(AuditEvent.action == "token.create")).one()
    assert audit.actor == "ada" and audit.after and audit.after["user"] == "ada"


def test_an_administrator_gets_no_admin_flag_from_the_page(db: str) -> None:
    root = Principal(name="root", is_admin=True)
    _raw, info = create_own_token(root)
    assert not info.is_admin  # admin rights follow the admin group, not the token


def test_what_the_page_cannot_make(db: str) -> None:
    bot = Principal(name="ci-bot", is_service_account=True)
    with pytest.raises(Forbidden, match="operator"):
        create_own_token(bot)
    with pytest.raises(Invalid, match="200 characters"):
        create_own_token(ADA, "x" * 201)
    with pytest.raises(Invalid, match="1 to 366"):
        create_own_token(ADA, expires_in_days=367)
    assert list_tokens("ada") == [] and list_tokens("ci-bot") == []


def test_one_revokes_ones_own_tokens_not_anothers(db: str) -> None:
    _raw, mine = create_own_token(ADA)
    _raw, theirs = create_own_token(Principal(name="bob"))
    revoke_token(mine.id, actor=ADA)
    with pytest.raises(Forbidden):
        revoke_token(theirs.id, actor=ADA)
    states = {t.user: t.state for t in list_tokens()}
    assert states == {"ada": "revoked", "bob": "active"}
