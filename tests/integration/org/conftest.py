"""A directory with the shapes met in the wild, on a real slapd, and its Backstage config."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fixtures.ldap import Slapd, running_slapd
from fixtures.ldap import slapd as slapd
from fixtures.ldap_org_data import CONFIG, DIRECTORY, READER_PW

from pinconsole.org import auth
from pinconsole.org.auth import FailureLimiter
from pinconsole.settings import get_settings


@pytest.fixture
def directory(tmp_path: Path) -> Iterator[Slapd]:
    """slapd loaded with DIRECTORY through ldapadd (so the memberof overlay runs)."""
    with running_slapd(tmp_path / "slapd", ldif=DIRECTORY, size_limit=3) as server:
        yield server


@pytest.fixture
def write_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Write an app-config for a server; LDAP_URL and LDAP_SECRET come from the environment."""

    def write(server: Slapd, text: str = CONFIG, secret: str = READER_PW) -> Path:
        monkeypatch.setenv("LDAP_URL", server.url)
        monkeypatch.setenv("LDAP_SECRET", secret)
        path = tmp_path / "app-config.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def ldap_settings(
    directory: Slapd,
    write_config: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Slapd]:
    """Auth mode ldap against ``directory``, a fresh in-process lockout; no database chosen."""
    path = write_config(directory)
    monkeypatch.setenv("PINCONSOLE_ORG_CONFIG", str(path))
    monkeypatch.setenv("PINCONSOLE_AUTH_MODE", "ldap")
    monkeypatch.setenv("PINCONSOLE_ADMIN_GROUP", "admins")
    monkeypatch.delenv("PINCONSOLE_REDIS_URL", raising=False)
    get_settings.cache_clear()
    monkeypatch.setattr(auth, "limiter", FailureLimiter())
    yield directory
    get_settings.cache_clear()


@pytest.fixture
def ldap_mode(ldap_settings: Slapd, sqlite_db: str) -> Slapd:
    """``ldap_settings`` on SQLite (failed sign-ins are audited there)."""
    return ldap_settings
