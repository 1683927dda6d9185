"""The image-repository annotation, registry settings and the client's header parsers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from pinconsole.delivery.registry import next_link, parse_challenge, parse_created
from pinconsole.delivery.repository import resolve_repository
from pinconsole.errors import Invalid, NotFound
from pinconsole.settings import RegistrySettings, Settings

REGISTRIES = [
    RegistrySettings(name="internal", url="https://registry.internal:5443"),
    RegistrySettings(name="ghcr", url="https://ghcr.io", token="t"),
]


@pytest.mark.parametrize(
    ("value", "registry", "repository"),
    [
        ("internal/pins/api", "internal", "pins/api"),
        ("ghcr/org/team/app", "ghcr", "org/team/app"),
        ("registry.internal:5443/pins/api", "internal", "pins/api"),
        ("ghcr.io/org/app", "ghcr", "org/app"),
        ("https://ghcr.io/org/app", "ghcr", "org/app"),
        ("  internal/a.b_c--d/e__f  ", "internal", "a.b_c--d/e__f"),
    ],
)
def test_resolves_names_and_hosts(value: str, registry: str, repository: str) -> None:
    settings, repo = resolve_repository(value, REGISTRIES)
    assert (settings.name, repo) == (registry, repository)


@pytest.mark.parametrize(
    ("value", "error", "text"),
    [
        ("internal/pins/api:v1", Invalid, "without a tag or digest"),
        ("internal/pins/api@sha256:" + "a" * 64, Invalid, "without a tag or digest"),
        ("internal", Invalid, "expected <registry-name>/<repository>"),
        ("internal/Pins/API", Invalid, "not a repository path"),
        ("internal/pins//api", Invalid, "not a repository path"),
        ("docker.io/library/nginx", NotFound, "no registry named or hosted at 'docker.io'"),
        ("registry.internal/pins/api", NotFound, "registries: ghcr, internal"),
    ],
)
def test_refuses_with_the_annotation_named(value: str, error: type, text: str) -> None:
    with pytest.raises(error, match=text) as raised:
        resolve_repository(value, REGISTRIES)
    assert str(raised.value).startswith("pinconsole.io/image-repository: ")


def test_registry_settings_are_checked_at_start() -> None:
    with pytest.raises(ValidationError, match="not an http"):
        RegistrySettings(name="x", url="ftp://host")
    with pytest.raises(ValidationError, match="username/password"):
        RegistrySettings(name="x", url="https://u:p@host")
    with pytest.raises(ValidationError, match="token or username"):
        RegistrySettings(name="x", url="https://host", token="t", username="u")
    settings = Settings(registries=[{"name": "local", "url": "http://127.0.0.1:5000"}])
    assert settings.registries[0].read_timeout_seconds == 30.0


def test_header_parsers() -> None:
    kind, params = parse_challenge(
        'Bearer realm="https://auth.example.com/token",service="reg",scope="repository:a/b:pull"'
    )
    assert kind == "bearer" and params["scope"] == "repository:a/b:pull"
    assert params["realm"] == "https://auth.example.com/token"
    assert parse_challenge('Basic realm="Registry"') == ("basic", {"realm": "Registry"})
    assert next_link('</v2/a/tags/list?last=b&n=2>; rel="next"') == "/v2/a/tags/list?last=b&n=2"
    assert next_link(None) is None and next_link('<x>; rel="prev"') is None
    assert parse_created("2026-11-30T10:20:30.123456789Z") == datetime(
        2026, 11, 30, 10, 20, 30, 123456, tzinfo=UTC
    )
    assert parse_created("2026-11-30T10:20:30+02:00") is not None
    assert parse_created("yesterday") is None and parse_created(None) is None
    assert parse_created("2026-11-30T10:20:30") is None  # no zone: not RFC 3339
