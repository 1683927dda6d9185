"""The REST API core: 401 without a token, 200 with one, problem JSON, health, /metrics."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from pinconsole.access.tokens import create_token
from pinconsole.api.app import create_api
from pinconsole.api.paging import offset_page
from pinconsole.errors import Conflict
from pinconsole.plugins import Plugin, Registry
from pinconsole.settings import get_settings

PROBLEM_KEYS = {"type", "title", "status", "detail"}


def _plugin_router() -> APIRouter:
    router = APIRouter()

    @router.get("/things/{name}")
    def thing(name: str) -> dict[str, str]:
        if name == "taken":
            raise Conflict("the name is taken", where="name")
        return {"name": name}

    return router


@pytest.fixture
def client(db: str) -> Iterator[TestClient]:
    registry = Registry()
    registry.register(Plugin(name="things", api_routers=[_plugin_router()]))
    with TestClient(create_api(registry)) as c:
        yield c


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_401_without_a_token_and_200_with_one(client: TestClient) -> None:
    for path in ("/api/v1/me", "/api/v1/things/x", "/api/v1/audit"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json().keys() >= PROBLEM_KEYS
    token = create_token("deploy-bot")
    me = client.get("/api/v1/me", headers=_bearer(token))
    assert me.status_code == 200
    assert me.json() == {
        "name": "deploy-bot",
        "displayName": "deploy-bot",
        "groups": [],
        "isAdmin": False,
        "isServiceAccount": True,
    }
    assert client.get("/api/v1/things/x", headers=_bearer(token)).json() == {"name": "x"}


def test_bad_tokens_and_schemes_are_401(client: TestClient) -> None:
    for header in ("Bearer nope", "Basic YWxhZGRpbjpvcGVuc2VzYW1l", "Bearer", "token"):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header


def test_domain_errors_are_problems_with_their_status(client: TestClient) -> None:
    response = client.get("/api/v1/things/taken", headers=_bearer(create_token("a")))
    assert response.status_code == 409
    body = response.json()
    assert body["title"] == "Conflict" and body["status"] == 409
    assert body["detail"] == "the name is taken" and body["where"] == "name"
    assert body["type"].endswith("/conflict")
    missing = client.get("/api/v1/nothing-here", headers=_bearer(create_token("a")))
    assert missing.status_code == 404 and missing.json().keys() >= PROBLEM_KEYS


def test_audit_is_for_admins(client: TestClient) -> None:
    user = client.get("/api/v1/audit", headers=_bearer(create_token("someone")))
    assert user.status_code == 403 and user.json()["title"] == "Forbidden"
    admin = _bearer(create_token("root", admin=True))
    page = client.get(
        "/api/v1/audit", params={"action": "token.create", "limit": 1}, headers=admin
    ).json()
    assert page["totalItems"] == 2 and len(page["items"]) == 1
    assert page["items"][0]["after"]["user"] == "root"  # newest first
    assert set(page["pageInfo"]) == {"nextCursor"}  # the first page: no way back
    older = client.get(
        "/api/v1/audit",
        params={"action": "token.create", "limit": 1, "cursor": page["pageInfo"]["nextCursor"]},
        headers=admin,
    ).json()
    assert [r["after"]["user"] for r in older["items"]] == ["someone"]
    assert set(older["pageInfo"]) == {"prevCursor"}  # the last page
    back = client.get(
        "/api/v1/audit",
        params={"action": "token.create", "limit": 1, "cursor": older["pageInfo"]["prevCursor"]},
        headers=admin,
    ).json()
    assert back["items"] == page["items"]
    of_tokens = offset_page("tokens", [], 2, 1, 1)["pageInfo"]["prevCursor"]
    other_list = client.get("/api/v1/audit", params={"cursor": of_tokens}, headers=admin)
    assert other_list.status_code == 422 and "another list" in other_list.json()["detail"]
    refused = client.get(
        "/api/v1/audit", params={"action": "admin.api_route"}, headers=admin
    ).json()["items"]
    assert [(r["actor"], r["target"], r["outcome"]) for r in refused] == [
        ("someone", "GET /api/v1/audit", "denied")
    ]
    # two tokens created and someone's refusal
    for since, expected in (("2000-01-01T00:00:00", 3), ("2999-01-01T00:00:00Z", 0)):
        dated = client.get("/api/v1/audit", params={"since": since}, headers=admin)
        assert dated.status_code == 200 and dated.json()["totalItems"] == expected, since
    invalid = client.get("/api/v1/audit", params={"limit": 0}, headers=admin)
    assert invalid.status_code == 422 and "limit" in invalid.json()["detail"]


def test_header_mode_accepts_the_proxy_header(org: str, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_api(Registry())
    client = TestClient(app, client=("10.0.0.7", 50000))  # the proxy's address
    assert client.get("/api/v1/me", headers={"X-Forwarded-User": "ada"}).status_code == 401
    monkeypatch.setenv("PINCONSOLE_AUTH_MODE", "header")
    monkeypatch.setenv("PINCONSOLE_TRUSTED_PROXIES", '["10.0.0.0/24"]')
    get_settings.cache_clear()
    me = client.get("/api/v1/me", headers={"X-Forwarded-User": "ada"})
    assert me.status_code == 200 and "group:default/platform" in me.json()["groups"]


def _count(text: str, route: str, status: str) -> float:
    for line in text.splitlines():
        if line.startswith("pinconsole_http_requests_total{") and (
            f'route="{route}"' in line and f'status="{status}"' in line
        ):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_by_route_template(client: TestClient) -> None:
    before = client.get("/metrics").text
    token = _bearer(create_token("a"))
    for name in ("one", "two", "three"):
        client.get(f"/api/v1/things/{name}", headers=token)
    client.get("/api/v1/me")
    after = client.get("/metrics")
    assert after.status_code == 200 and after.headers["content-type"].startswith("text/plain")
    delta = _count(after.text, "/api/v1/things/{name}", "200") - _count(
        before, "/api/v1/things/{name}", "200"
    )
    assert delta == 3
    assert _count(after.text, "/api/v1/me", "401") >= 1
    assert "pinconsole_http_request_duration_seconds_bucket" in after.text
    assert 'route="/api/v1/things/one"' not in after.text  # templates, not raw paths


def test_reflex_routes_still_reach_the_mounted_app(db: str) -> None:
    """Reflex mounts its backend under the API at "" (api_transformer): unmatched paths fall
    through to it, and the metrics middleware labels them by the inner route."""
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    inner = Starlette(routes=[Route("/ping", lambda r: PlainTextResponse("pong"))])
    api: FastAPI = create_api(Registry())
    api.mount("", inner)  # what reflex.App does with a Starlette api_transformer
    client = TestClient(api)
    assert client.get("/ping").text == "pong"
    assert client.get("/api/v1/health").status_code == 200
    assert client.get("/api/v1/me").status_code == 401
    assert _count(client.get("/metrics").text, "/ping", "200") >= 1
