"""Single-statement reads on the event loop (PostgreSQL): the API's hottest path, lean.

A cold entity-by-ref answer costs the database about 0.1 ms; through a worker thread and a
SQLAlchemy session it cost about 1 ms. Here a plain ``psycopg.AsyncConnection`` runs one
prepared statement without leaving the event loop. Connections belong to the loop that opened
them (a test client runs its own loop), so each loop has its own small pool; a connection that
fails is dropped and the read is tried once more on a new one (a database restart). Callers
check ``db.is_postgres()`` first.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any, LiteralString

import psycopg
from sqlalchemy.engine import make_url

from pinconsole.settings import get_settings

__all__ = ["fetch_rows", "fetch_value"]

IDLE_PER_LOOP = 8
CONNECT_TIMEOUT_S = 5

_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, list[Any]]] = (
    weakref.WeakKeyDictionary()
)


def _dsn(url: str) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


async def _checkout(url: str) -> psycopg.AsyncConnection[Any]:
    idle = _pools.setdefault(asyncio.get_running_loop(), {}).setdefault(url, [])
    while idle:
        conn = idle.pop()
        if not conn.closed:
            return conn  # type: ignore[no-any-return]
    return await psycopg.AsyncConnection.connect(
        _dsn(url), autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
    )


def _checkin(url: str, conn: psycopg.AsyncConnection[Any]) -> None:
    idle = _pools.setdefault(asyncio.get_running_loop(), {}).setdefault(url, [])
    if len(idle) < IDLE_PER_LOOP and not conn.closed:
        idle.append(conn)
    else:
        asyncio.get_running_loop().create_task(conn.close())


async def fetch_rows(
    sql: LiteralString, params: tuple[Any, ...] | dict[str, Any], url: str | None = None
) -> list[tuple[Any, ...]]:
    """Every row of ``sql`` (a prepared statement on this loop's connection)."""
    url = url or get_settings().database_url
    for attempt in (1, 2):
        conn = await _checkout(url)
        try:
            cur = await conn.execute(sql, params, prepare=True)
            rows = await cur.fetchall()
        except psycopg.OperationalError:
            await conn.close()
            if attempt == 2:
                raise
            continue
        except BaseException:  # a bad statement, a cancelled request: never pool it again
            await conn.close()
            raise
        _checkin(url, conn)
        return rows
    raise AssertionError("unreachable")  # pragma: no cover


async def fetch_value(sql: LiteralString, params: tuple[Any, ...], url: str | None = None) -> Any:
    """The first column of the first row of ``sql`` (``None`` when there is no row)."""
    rows = await fetch_rows(sql, params, url)
    return rows[0][0] if rows else None
