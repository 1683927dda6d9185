"""The session cookie is set by the server, HttpOnly: a sign-in ticket posted by the page
becomes the cookie (``POST /api/v1/session``), sign-out expires it, other sites can do neither,
and the websocket state reads it from the handshake's Cookie header."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from fixtures.browser_state import tab_with_cookie

from pinconsole.access.session_cookie import (
    SESSION_COOKIE,
    TICKET_MAX_AGE,
    cookie_value,
    establish_script,
    read_ticket,
    safe_next,
    sign_ticket,
)
from pinconsole.access.sessions import read_session, sign_session
from pinconsole.settings import get_settings

ORIGIN = {"Origin": "http://localhost:8000"}


@pytest.fixture
def client(org: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    from pinconsole.access.plugin import plugin
    from pinconsole.api.app import create_api
    from pinconsole.plugins import Registry

    monkeypatch.setenv("PINCONSOLE_AUTH_MODE", "ldap")
    monkeypatch.setenv("PINCONSOLE_PUBLIC_URL", "http://localhost:8000")
    get_settings.cache_clear()
    registry = Registry()
    registry.register(plugin())
    with TestClient(create_api(registry), follow_redirects=False) as c:
        yield c
    get_settings.cache_clear()


def test_a_ticket_becomes_an_httponly_cookie_and_the_redirect_stays_local(
    client: TestClient,
) -> None:
    answer = client.post(
        "/api/v1/session",
        data={"ticket": sign_ticket("ada"), "next": "/catalog?kind=api"},
        headers=ORIGIN,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/catalog?kind=api"
    set_cookie = answer.headers["set-cookie"]
    assert set_cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie and "Path=/" in set_cookie
    assert "Secure" not in set_cookie  # the public URL is http here
    assert read_session(answer.cookies[SESSION_COOKIE]) == "ada"
    for elsewhere in ("https://evil.example/", "//evil.example", "/\\evil", "/signin", "/api/x"):
        answer = client.post(
            "/api/v1/session",
            data={"ticket": sign_ticket("ada"), "next": elsewhere},
            headers=ORIGIN,
        )
        assert answer.headers["location"] == "/", elsewhere


def test_stale_forged_or_session_valued_tickets_sign_nobody_in(client: TestClient) -> None:
    stale = sign_ticket("ada", now=time.time() - TICKET_MAX_AGE - 5)
    # A session value is no ticket (and a ticket no session value): the keys differ.
    for ticket in (stale, "ada.1.forged", sign_session("ada"), ""):
        answer = client.post("/api/v1/session", data={"ticket": ticket}, headers=ORIGIN)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/signin?expired=1"
        assert SESSION_COOKIE not in answer.cookies
    assert read_session(sign_ticket("ada")) is None
    assert read_ticket(sign_session("ada")) is None


def test_another_site_can_neither_sign_a_visitor_in_nor_out(client: TestClient) -> None:
    cross = {"Origin": "https://evil.example"}
    answer = client.post("/api/v1/session", data={"ticket": sign_ticket("eve")}, headers=cross)
    assert answer.status_code == 403 and "set-cookie" not in answer.headers
    site = {"Sec-Fetch-Site": "cross-site"}
    assert client.post("/api/v1/session/end", headers=site).status_code == 403


def test_sign_out_expires_the_cookie(client: TestClient) -> None:
    answer = client.post("/api/v1/session/end", headers=ORIGIN)
    assert answer.status_code == 303 and answer.headers["location"] == "/signin"
    set_cookie = answer.headers["set-cookie"]
    assert set_cookie.startswith(f'{SESSION_COOKIE}=""') and "Max-Age=0" in set_cookie
    assert "HttpOnly" in set_cookie


def test_secure_when_the_console_is_served_over_https(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PINCONSOLE_PUBLIC_URL", "https://console.example.com")
    get_settings.cache_clear()
    answer = client.post(
        "/api/v1/session",
        data={"ticket": sign_ticket("ada")},
        headers={"Origin": "https://console.example.com"},
    )
    assert "Secure" in answer.headers["set-cookie"]


def test_the_state_reads_the_cookie_from_the_handshake(
    org: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PINCONSOLE_AUTH_MODE", "ldap")
    get_settings.cache_clear()
    assert asyncio.run(tab_with_cookie(sign_session("ada"))._identify()) == "ada"
    assert asyncio.run(tab_with_cookie("")._identify()) is None
    get_settings.cache_clear()


def test_cookie_headers_are_read_defensively() -> None:
    value = sign_session("ada")
    assert cookie_value(f"a=1; {SESSION_COOKIE}={value}; b=2") == value
    assert cookie_value(f'broken="; {SESSION_COOKIE}={value}') == value  # another app's bad one
    assert cookie_value("a=1") == "" and cookie_value("") == ""
    assert cookie_value(f"{SESSION_COOKIE}={value}; " + "x" * 9000) == ""  # not ours to parse
    assert safe_next("/workloads?team=x") == "/workloads?team=x"
    script = establish_script("ada", "https://evil.example")
    assert '"next": "/"' in script and "HttpOnly" not in script
