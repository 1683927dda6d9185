"""Configurations PinConsole refuses to start with."""

from __future__ import annotations

import pytest

from pinconsole.access.authenticators import (
    _AUTHENTICATORS,
    authenticate,
    check_auth_mode,
    current_client,
    register_authenticator,
)
from pinconsole.access.principal import Principal
from pinconsole.errors import Invalid, Unauthenticated
from pinconsole.settings import Settings

PG = "postgresql+psycopg://pc@db/pc"
SECRET = "k" * 32


def _settings(**kw: object) -> Settings:
    return Settings(**kw)  # type: ignore[arg-type]


def test_demo_is_only_for_the_embedded_database() -> None:
    check_auth_mode(_settings(auth_mode="demo", database_url="sqlite:///x.db"))
    with pytest.raises(Invalid, match="embedded"):
        check_auth_mode(_settings(auth_mode="demo", database_url=PG, session_secret=SECRET))


def test_cookie_modes_need_a_real_secret_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(_AUTHENTICATORS, "ldap", lambda u, p: Principal(u))
    with pytest.raises(Invalid, match="SESSION_SECRET"):
        check_auth_mode(_settings(auth_mode="ldap", database_url=PG))
    with pytest.raises(Invalid, match="SESSION_SECRET"):
        check_auth_mode(_settings(auth_mode="ldap", database_url=PG, session_secret="short"))
    check_auth_mode(_settings(auth_mode="ldap", database_url=PG, session_secret=SECRET))
    check_auth_mode(_settings(auth_mode="header", database_url=PG))  # no cookies to forge


def test_password_modes_go_through_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def backend(user: str, password: str) -> Principal:
        seen.append(current_client.get())
        if password != "right":
            raise Unauthenticated("Wrong user name or password.")
        return Principal(user)

    monkeypatch.setitem(_AUTHENTICATORS, "test-mode", backend)
    register_authenticator("test-mode", backend)  # the public way; the setitem restores
    assert authenticate("test-mode", " ada ", "right", client="10.0.0.1").name == "ada"
    assert seen == ["10.0.0.1"] and current_client.get() == ""
    with pytest.raises(Unauthenticated):
        authenticate("test-mode", "ada", "wrong")
    with pytest.raises(Unauthenticated):
        authenticate("test-mode", "ada", "")
    with pytest.raises(Unauthenticated, match="no password sign-in"):
        authenticate("no-such-mode", "ada", "x")
