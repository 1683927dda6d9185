"""Settings: defaults, PINCONSOLE_* environment, pinconsole.toml, and their precedence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pinconsole.settings import Settings, get_settings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    import os

    for key in list(os.environ):
        if key.startswith("PINCONSOLE_"):
            monkeypatch.delenv(key)
    toml = tmp_path / "pinconsole.toml"
    monkeypatch.setenv("PINCONSOLE_CONFIG", str(toml))
    get_settings.cache_clear()
    yield toml
    get_settings.cache_clear()


def test_defaults_are_the_embedded_demo(clean_env: Path) -> None:
    s = Settings()
    assert s.database_url.startswith("sqlite:///") and s.is_embedded
    assert s.auth_mode == "demo" and s.auth_header == "X-Forwarded-User"
    assert s.admins == [] and s.admin_group is None and s.redis_url is None
    assert s.session_max_age_hours == 168


def test_environment(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINCONSOLE_DATABASE_URL", "postgresql+psycopg://pc@db/pc")
    monkeypatch.setenv("PINCONSOLE_AUTH_MODE", "header")
    monkeypatch.setenv("PINCONSOLE_ADMINS", '["ada", "grace"]')
    monkeypatch.setenv("PINCONSOLE_NAMESPACE_OWNERS", '{"payments": "group:default/platform"}')
    monkeypatch.setenv("PINCONSOLE_CLUSTERS", '[{"name": "prod", "in_cluster": true}]')
    s = get_settings()
    assert not s.is_embedded and s.auth_mode == "header"
    assert s.admins == ["ada", "grace"]
    assert s.namespace_owners == {"payments": "group:default/platform"}
    assert s.clusters[0].name == "prod" and s.clusters[0].in_cluster


def test_toml_file_and_environment_wins(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_env.write_text(
        'auth_mode = "header"\n'
        'auth_header = "X-Remote-User"\n'
        'admins = ["margaret"]\n'
        'admin_group = "console-admins"\n'
        "org_sync_minutes = 15\n"
        "[[clusters]]\n"
        'name = "prod-eu"\n'
        'context = "eu"\n'
    )
    s = Settings()
    assert s.auth_mode == "header" and s.auth_header == "X-Remote-User"
    assert s.admins == ["margaret"] and s.admin_group == "console-admins"
    assert s.org_sync_minutes == 15
    assert [(c.name, c.context) for c in s.clusters] == [("prod-eu", "eu")]
    monkeypatch.setenv("PINCONSOLE_ORG_SYNC_MINUTES", "5")
    assert Settings().org_sync_minutes == 5


def test_invalid_values_name_the_key(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    monkeypatch.setenv("PINCONSOLE_AUTH_MODE", "kerberos")
    with pytest.raises(ValidationError, match="auth_mode"):
        Settings()
