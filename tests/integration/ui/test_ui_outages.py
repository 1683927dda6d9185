"""What the UI shows while the database or Redis is gone, against a real backend: the outage
banner (a state var the layout shows) raised by the event that met the outage and lowered by
the next that worked, and a toast saying Redis is gone when no state can be kept at all.

The finding: during an outage the API answered text/plain 500s and the UI said nothing but
Reflex's "An error occurred. Contact the website administrator."
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fixtures.outage import database_down
from fixtures.reflex_ws import APP_STATE, Backend, connect, demo_env, free_port, route, serving

from pinconsole.access.sessions import sign_session

pytestmark = pytest.mark.xdist_group("ui-backend")

PG_ADMIN_URL = os.environ.get("PINCONSOLE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
CATALOG = f"{APP_STATE}.pinconsole___state___catalog____catalog_state"
LEAKS = ("127.0.0.1", "5432", "pc_ui_outage", "psycopg", "OperationalError")


@pytest.fixture
def postgres_backend() -> Iterator[Backend]:
    """A backend on a PostgreSQL database of its own (header mode: demo sign-in is for the
    embedded database only), trusting this machine's proxy header."""
    name = f"pc_ui_outage_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    work = Path(tempfile.mkdtemp(prefix="pc-ui-outage-"))
    env = demo_env(
        work,
        PINCONSOLE_DATABASE_URL=f"{base}/{name}",
        PINCONSOLE_AUTH_MODE="header",
        PINCONSOLE_TRUSTED_PROXIES='["127.0.0.1"]',
        PINCONSOLE_JOBS_ENABLED="false",
    )
    try:
        with serving(env, seed=False) as backend:
            yield backend
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_a_database_outage_raises_the_banner_and_the_next_answer_lowers_it(
    postgres_backend: Backend,
) -> None:
    tab = connect(postgres_backend, headers={"X-Forwarded-User": "ada"})
    page = route("/catalog")
    try:
        tab.run(f"{CATALOG}.load", {}, page)
        assert tab.var(CATALOG, "loaded") is True and not tab.var(APP_STATE, "outage")

        with database_down(postgres_backend.env["PINCONSOLE_DATABASE_URL"]):
            tab.run(f"{CATALOG}.set_text", {"value": "payments"}, page)
            banner = tab.var(APP_STATE, "outage")
            assert banner.startswith("The database is unavailable right now"), tab.deltas[-3:]
            assert not any(leak in banner for leak in LEAKS), banner
            assert tab.var(CATALOG, "error")  # and the table says why it is empty

        tab.run(f"{CATALOG}.set_text", {"value": ""}, page)
        assert tab.var(APP_STATE, "outage") == "" and tab.var(CATALOG, "error") == ""
    finally:
        tab.close()


def test_a_redis_outage_is_said_as_such(tmp_path: Path) -> None:
    """With the state store gone no state var can carry a banner: the app's exception handler
    says what is missing instead of "An error occurred"."""
    port = free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        env = demo_env(
            Path(tempfile.mkdtemp(prefix="pc-ui-redis-")),
            PINCONSOLE_REDIS_URL=f"redis://127.0.0.1:{port}/0",
            PINCONSOLE_JOBS_ENABLED="false",
            PINCONSOLE_SANDBOX_CLUSTER="false",
        )
        with serving(env) as backend:
            secret = env["PINCONSOLE_SESSION_SECRET"]
            tab = connect(backend, cookie=sign_session("abigail.davis", secret=secret))
            page = route("/catalog")
            try:
                tab.run(f"{CATALOG}.load", {}, page)
                assert tab.var(CATALOG, "total")
                redis.kill()
                redis.wait()
                tab.emit(f"{CATALOG}.set_text", {"value": "payments"}, page)
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline and not _toasts(tab.events):
                    if not tab.client.connected:  # the backend dropped the socket instead:
                        break  # a browser shows Reflex's connection toast then (e2e)
                    time.sleep(0.2)
                toasts = _toasts(tab.events)  # one per failed step (the same toast, by id)
                why = f"connected={tab.client.connected} events={tab.events[-3:]}"
                assert toasts or not tab.client.connected, why
                assert all("Redis is unavailable right now" in t for t in toasts), why
                assert not any(f"127.0.0.1:{port}" in t or "Error 111" in t for t in toasts)
            finally:
                tab.close()
    finally:
        redis.kill()
        redis.wait()


def _toasts(events: list[dict[str, object]]) -> list[str]:
    """The scripts of the toasts among the frontend events received."""
    scripts = [str((e.get("payload") or {}).get("function", "")) for e in events]  # type: ignore[union-attr]
    return [s for s in scripts if "__toast" in s]
