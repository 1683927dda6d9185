"""Header mode over the REST API: the user header counts only from a configured proxy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from pinconsole.api.app import create_api
from pinconsole.plugins import Registry, get_registry
from pinconsole.settings import get_settings

PROXY = ("10.0.0.7", 50000)
STRANGER = ("203.0.113.9", 50000)


@pytest.fixture
def header_mode(org: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PINCONSOLE_AUTH_MODE", "header")
    monkeypatch.setenv("PINCONSOLE_TRUSTED_PROXIES", '["10.0.0.0/24"]')
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_a_client_that_reaches_the_backend_directly_cannot_name_a_user(
    header_mode: None,
) -> None:
    """The attack: anyone who can reach the backend sends X-Forwarded-User: <an admin>."""
    stranger = TestClient(create_api(Registry()), client=STRANGER)
    forged = stranger.get("/api/v1/me", headers={"X-Forwarded-User": "margaret"})
    assert forged.status_code == 401, forged.text
    assert forged.headers["content-type"] == "application/problem+json"
    proxy = TestClient(create_api(Registry()), client=PROXY)
    assert proxy.get("/api/v1/me", headers={"X-Forwarded-User": "margaret"}).status_code == 200


def test_an_over_long_user_header_is_refused(header_mode: None) -> None:
    proxy = TestClient(create_api(Registry()), client=PROXY)
    response = proxy.get("/api/v1/me", headers={"X-Forwarded-User": "a" * 10_000})
    assert response.status_code == 422
    body = response.json()
    assert body["where"] == "X-Forwarded-User" and "at most 256" in body["detail"]


def test_a_cross_site_form_post_cannot_act_with_the_proxys_sign_in(
    header_mode: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attack: the proxy signs the browser in (HTTP Basic, an SSO cookie) on every request,
    so a page on another site posts an empty text/plain form to a body-less action route (a
    "simple" request CORS lets through) and it runs as the visiting admin."""
    monkeypatch.setenv("PINCONSOLE_PUBLIC_URL", "https://console.example.com")
    monkeypatch.setenv("PINCONSOLE_ADMIN_GROUP", "group:default/console-admins")
    get_settings.cache_clear()
    proxy = TestClient(create_api(get_registry()), client=PROXY)
    as_admin = {"X-Forwarded-User": "margaret", "Content-Type": "text/plain"}
    route = "/api/v1/users/linus/sessions/revoke"

    forged = proxy.post(route, headers={**as_admin, "Origin": "https://evil.example"})
    assert forged.status_code == 403, forged.text
    assert "https://evil.example" in forged.json()["detail"]
    for other in ({"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
        assert proxy.post(route, headers={**as_admin, **other}).status_code == 403
    # Reads carry no action; the console's own pages and non-browser clients still act.
    assert proxy.get(
        "/api/v1/me", headers={**as_admin, "Origin": "https://evil.example"}
    ).is_success
    own = proxy.post(route, headers={**as_admin, "Origin": "https://console.example.com"})
    assert own.status_code == 200, own.text
    assert proxy.post(route, headers=as_admin).status_code == 200  # curl: no Origin
