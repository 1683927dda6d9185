"""The one way states reach domains (``state/guard.py``): what it refuses to declare, how an
outage is told apart from a bug, and where the banner shows."""

from __future__ import annotations

import asyncio
import threading

import psycopg
import pytest
import redis.exceptions
from sqlalchemy.exc import OperationalError

from pinconsole import components as c
from pinconsole.errors import NotFound
from pinconsole.outages import outage_of
from pinconsole.pages import layout
from pinconsole.plugins import PageSpec
from pinconsole.state.guard import POOL_THREADS, Outage, backend_error, guarded, run_blocking


def test_a_guarded_handler_is_async_and_an_admin_one_names_an_admin_action() -> None:
    def sync_handler(self: object) -> None: ...

    with pytest.raises(TypeError, match="is async"):
        guarded(sync_handler)
    for action in ("audit.view", "admin.audit.read"):  # not admin-only / open to everyone
        with pytest.raises(ValueError, match="admin"):
            guarded(admin=action)


def test_outages_are_told_apart_from_bugs_through_their_causes() -> None:
    driver = psycopg.OperationalError("connection to 127.0.0.1:5432 refused")
    wrapped = OperationalError("SELECT 1", {}, driver)
    assert outage_of(wrapped) == outage_of(driver) == "The database"
    assert outage_of(redis.exceptions.ConnectionError("Error 111")) == "Redis"
    try:
        try:
            raise wrapped
        except OperationalError as exc:
            raise NotFound("x") from exc
    except NotFound as exc:
        assert outage_of(exc) == "The database"
    assert outage_of(ValueError("bug")) is None
    assert outage_of(KeyError("x")) is None


async def test_run_blocking_runs_off_the_event_loop_and_says_outages_without_driver_text() -> None:
    loop_thread = threading.get_ident()
    assert await run_blocking(threading.get_ident) != loop_thread

    def down() -> None:
        raise OperationalError("SELECT 1", {}, psycopg.OperationalError("127.0.0.1:5432 refused"))

    with pytest.raises(Outage) as caught:
        await run_blocking(down)
    assert caught.value.what == "The database" and caught.value.status == 503
    for text in (str(caught.value), caught.value.banner):
        assert "unavailable" in text and "127.0.0.1" not in text and "5432" not in text
    with pytest.raises(ValueError):  # a bug stays a bug
        await run_blocking(int, "x")


async def test_the_pool_is_bounded() -> None:
    started, release = threading.Semaphore(0), threading.Event()

    def hold() -> None:
        started.release()
        release.wait(5)

    calls = [asyncio.ensure_future(run_blocking(hold)) for _ in range(POOL_THREADS + 4)]
    for _ in range(POOL_THREADS):
        assert await asyncio.to_thread(started.acquire, True, 5)
    assert not await asyncio.to_thread(started.acquire, True, 0.3)  # the rest wait their turn
    release.set()
    await asyncio.gather(*calls)


def test_an_uncaught_outage_is_said_as_such() -> None:
    toast = str(backend_error(redis.exceptions.ConnectionError("Error 111 at 127.0.0.1:1")))
    assert "Redis is unavailable right now" in toast and "127.0.0.1" not in toast
    assert "An error occurred" in str(backend_error(ValueError("bug")))


def test_every_page_shows_the_outage_banner() -> None:
    page = PageSpec(route="/x", title="X", component=lambda: c.text("body"))
    code = str(layout.shell(page)())
    assert "outage_rx_state_" in code and "PinConsole cannot reach its data" in code
