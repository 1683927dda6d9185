"""What the API answers while PostgreSQL or Redis is gone: 503 problems, and a health report that
tells load balancers the truth without telling strangers the error texts."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis
from fastapi import APIRouter
from fastapi.testclient import TestClient

from pinconsole.access.tokens import create_token
from pinconsole.api.app import create_api
from pinconsole.db import dispose_engines
from pinconsole.migrations import upgrade_database
from pinconsole.plugins import HealthCheck, Plugin, Registry, get_registry
from pinconsole.settings import get_settings

PG_ADMIN_URL = os.environ.get("PINCONSOLE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
CLOSED_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture
def doomed_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated PostgreSQL database of its own, for a test to drop under the API."""
    name = f"pc_outage_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    url = f"{base}/{name}"
    upgrade_database(url)
    monkeypatch.setenv("PINCONSOLE_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        yield name
    finally:
        dispose_engines()
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        get_settings.cache_clear()


def _assert_unavailable(response: object, what: str) -> None:
    assert response.status_code == 503, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["title"] == "Unavailable" and what in body["detail"]
    assert response.headers["retry-after"]  # type: ignore[attr-defined]
    for leak in ("127.0.0.1", "5432", "pc_outage", "psycopg", "Traceback"):
        assert leak not in response.text, leak  # type: ignore[attr-defined]


@pytest.mark.postgres
def test_the_api_answers_503_problems_while_the_database_is_gone(doomed_database: str) -> None:
    """The finding: during an outage the API answered text/plain 500s."""
    client = TestClient(create_api(get_registry()), raise_server_exceptions=False)
    admin = {"Authorization": f"Bearer {create_token('root', admin=True)}"}
    for path in ("/api/v1/audit", "/api/v1/entities"):
        assert client.get(path, headers=admin).status_code == 200, path
    _pg_admin(f'DROP DATABASE "{doomed_database}" WITH (FORCE)')
    for path in ("/api/v1/audit", "/api/v1/entities", "/api/v1/entity-facets"):
        _assert_unavailable(client.get(path, headers=admin), "The database")
    # A token the process never saw must be checked against the database: 503, not 401 or 500.
    stranger = {"Authorization": "Bearer pc_" + "x" * 40}
    _assert_unavailable(client.get("/api/v1/me", headers=stranger), "The database")
    down = client.get("/api/v1/health")
    assert down.status_code == 503 and down.json()["checks"]["database"] == {"status": "down"}


def test_a_redis_outage_is_a_503_problem(sqlite_db: str) -> None:
    router = APIRouter()

    @router.get("/uses-redis")
    def uses_redis() -> dict[str, bool]:
        return {"pong": bool(redis.Redis.from_url(CLOSED_REDIS, socket_connect_timeout=1).ping())}

    registry = Registry()
    registry.register(Plugin(name="redis-user", api_routers=[router]))
    client = TestClient(create_api(registry), raise_server_exceptions=False)
    token = {"Authorization": f"Bearer {create_token('ada')}"}
    _assert_unavailable(client.get("/api/v1/uses-redis", headers=token), "Redis")


def test_health_is_unhealthy_without_the_ui_state_store_and_shows_no_error_texts(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The finding: with Redis down the UI cannot connect, yet health said 200 and showed
    'ConnectionError: Error 111 connecting to 127.0.0.1:1' to anyone."""
    registry = Registry()
    sync = HealthCheck("test_sync", lambda: {"status": "ok", "lastRun": "now"})
    registry.register(Plugin(name="test-sync", health_checks=[sync]))
    client = TestClient(create_api(registry))
    public = client.get("/api/v1/health").json()  # no token needed
    assert public["status"] == "ok" and public["version"]
    assert {"database", "redis", "test_sync"} <= set(public["checks"])
    assert all(set(check) == {"status"} for check in public["checks"].values())
    assert public["checks"]["test_sync"] == public["checks"]["redis"] == {"status": "ok"}

    monkeypatch.setenv("PINCONSOLE_REDIS_URL", "redis://127.0.0.1:6379/0")
    get_settings.cache_clear()
    assert client.get("/api/v1/health").status_code == 200

    monkeypatch.setenv("PINCONSOLE_REDIS_URL", CLOSED_REDIS)
    get_settings.cache_clear()
    down = client.get("/api/v1/health")
    assert down.status_code == 503 and down.json()["status"] == "down"
    assert down.json()["checks"]["redis"] == {"status": "down"}
    assert "127.0.0.1" not in down.text and "Error" not in down.text

    # Administrators get what each check said.
    user = {"Authorization": f"Bearer {create_token('ada')}"}
    assert "error" not in client.get("/api/v1/health", headers=user).json()["checks"]["redis"]
    admin = {"Authorization": f"Bearer {create_token('root', admin=True)}"}
    detailed = client.get("/api/v1/health", headers=admin).json()["checks"]
    assert "127.0.0.1:1" in detailed["redis"]["error"] and detailed["test_sync"]["lastRun"]
    assert detailed["database"]["backend"] == "sqlite"
    wrong = {"Authorization": "Bearer not-a-token"}
    assert client.get("/api/v1/health", headers=wrong).json()["checks"]["redis"] == {
        "status": "down"
    }
