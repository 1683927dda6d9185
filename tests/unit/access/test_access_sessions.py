"""Signed session cookie values: round trip, tampering, expiry, secret rotation (revocations
need the database: tests/integration/access/test_access_session_revocation.py)."""

from __future__ import annotations

from pinconsole.access.sessions import SessionClaim, parse_session, sign_session


def read_session(value: str, **kwargs: object) -> str | None:
    claim = parse_session(value, **kwargs)  # type: ignore[arg-type]
    return claim.user if claim else None


def test_round_trip_keeps_any_name() -> None:
    for name in ("ada", "Grace Hopper", "svc.deploy-bot", "名前"):
        assert read_session(sign_session(name, secret="s1"), secret="s1") == name


def test_tampered_value_is_rejected() -> None:
    value = sign_session("ada", secret="s1")
    forged = sign_session("margaret", secret="other")
    name_part = forged.split(".")[0]
    assert read_session(".".join([name_part, *value.split(".")[1:]]), secret="s1") is None
    assert read_session(value + "x", secret="s1") is None
    assert read_session("", secret="s1") is None
    assert read_session("not-a-cookie", secret="s1") is None


def test_other_secret_is_rejected() -> None:
    assert read_session(sign_session("ada", secret="s1"), secret="s2") is None


def test_expired_value_is_rejected() -> None:
    value = sign_session("ada", now=1_000_000, secret="s1")
    assert read_session(value, now=1_000_000 + 59, max_age=60, secret="s1") == "ada"
    assert read_session(value, now=1_000_000 + 61, max_age=60, secret="s1") is None


def test_the_claim_says_when_it_was_signed() -> None:
    value = sign_session("ada", now=1_000_000.7, secret="s1")
    assert parse_session(value, now=1_000_001, secret="s1") == SessionClaim("ada", 1_000_000)
