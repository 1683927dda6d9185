"""Configurations PinConsole refuses to start with."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pinconsole.access.authenticators import (
    DEFAULT_SECRET,
    authenticate,
    check_auth_mode,
    current_client,
    get_authenticator,
)
from pinconsole.access.principal import Principal
from pinconsole.access.sessions import parse_session, sign_session
from pinconsole.errors import Invalid, Unauthenticated
from pinconsole.plugins import Authenticator, Plugin
from pinconsole.settings import Settings

PG = "postgresql+psycopg://pc@db/pc"
SECRET = "k" * 32


def _settings(**kw: object) -> Settings:
    return Settings(**kw)  # type: ignore[arg-type]


def test_demo_is_only_for_the_embedded_database() -> None:
    check_auth_mode(_settings(auth_mode="demo", database_url="sqlite:///x.db"))
    with pytest.raises(Invalid, match="embedded"):
        check_auth_mode(_settings(auth_mode="demo", database_url=PG, session_secret=SECRET))


@pytest.mark.parametrize("database_url", ["sqlite:///x.db", PG])
@pytest.mark.parametrize("mode", ["ldap", "header"])
def test_every_mode_but_the_demo_needs_a_real_secret(mode: str, database_url: str) -> None:
    """The attack: the default secret is public, so a cookie naming anyone verifies."""
    assert get_authenticator("ldap") is not None  # the org plugin's
    proxies = ["127.0.0.1"]
    weak = _settings(auth_mode=mode, database_url=database_url, trusted_proxies=proxies)
    forged = sign_session("admin", secret=DEFAULT_SECRET)
    claim = parse_session(forged, secret=weak.session_secret)  # the signature check alone
    assert claim is not None and claim.user == "admin"
    with pytest.raises(Invalid, match="SESSION_SECRET") as refused:
        check_auth_mode(weak)
    assert refused.value.where == "PINCONSOLE_SESSION_SECRET"
    with pytest.raises(Invalid, match="at least 16"):
        check_auth_mode(
            _settings(
                auth_mode=mode,
                database_url=database_url,
                session_secret="short",
                trusted_proxies=proxies,
            )
        )
    check_auth_mode(
        _settings(
            auth_mode=mode,
            database_url=database_url,
            session_secret=SECRET,
            trusted_proxies=proxies,
        )
    )


def test_header_mode_needs_its_trusted_proxies() -> None:
    with pytest.raises(Invalid, match="TRUSTED_PROXIES"):
        check_auth_mode(_settings(auth_mode="header", database_url=PG, session_secret=SECRET))
    with pytest.raises(Invalid, match="not an IP address"):
        check_auth_mode(
            _settings(
                auth_mode="header",
                database_url=PG,
                session_secret=SECRET,
                trusted_proxies=["proxy.internal"],
            )
        )


def test_serve_refuses_a_forgeable_configuration_before_starting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`pinconsole serve` in header mode on SQLite with the default secret stops at once."""
    env = {
        **os.environ,
        "PINCONSOLE_DATABASE_URL": f"sqlite:///{tmp_path / 'pc.db'}",
        "PINCONSOLE_AUTH_MODE": "header",
        "PINCONSOLE_TRUSTED_PROXIES": '["127.0.0.1"]',
        "PINCONSOLE_CONFIG": str(tmp_path / "none.toml"),
    }
    env.pop("PINCONSOLE_SESSION_SECRET", None)
    cli = [sys.executable, "-m", "pinconsole.cli", "serve", "--backend-only", "--port", "1"]
    process = subprocess.Popen(
        cli, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        out, err = process.communicate(timeout=60)
    finally:  # a server that did start is stopped with everything it started
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 2, out + err
    assert b"PINCONSOLE_SESSION_SECRET" in err and b"starting" not in out
    assert not (tmp_path / "pc.db").exists()  # refused before anything was touched


def test_password_modes_go_through_the_registry(with_plugin: Callable[[Plugin], Plugin]) -> None:
    seen: list[str] = []

    def backend(user: str, password: str) -> Principal:
        seen.append(current_client.get())
        if password != "right":
            raise Unauthenticated("Wrong user name or password.")
        return Principal(user)

    assert get_authenticator("test-mode") is None
    with_plugin(Plugin(name="test-auth", authenticators=[Authenticator("test-mode", backend)]))
    assert get_authenticator("test-mode") is backend
    assert authenticate("test-mode", " ada ", "right", client="10.0.0.1").name == "ada"
    assert seen == ["10.0.0.1"] and current_client.get() == ""
    with pytest.raises(Unauthenticated):
        authenticate("test-mode", "ada", "wrong")
    with pytest.raises(Unauthenticated):
        authenticate("test-mode", "ada", "")
    with pytest.raises(Unauthenticated, match="no password sign-in"):
        authenticate("no-such-mode", "ada", "x")
