"""``/api/v1/health``: database, Redis, and whatever plugins contribute (e.g. the org sync).

A check is a blocking callable returning ``{"status": "ok" | "degraded" | "down", ...}``; it
may raise, which reports it as ``down``. Only a failing database makes the answer 503: the
console is still useful with a stale sync or without Redis.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

import pinconsole
from pinconsole.db import get_engine
from pinconsole.settings import get_settings

HealthCheck = Callable[[], dict[str, Any]]

_CHECKS: dict[str, HealthCheck] = {}
CRITICAL = {"database"}


def register_health_check(name: str, check: HealthCheck) -> None:
    """Add (or replace) a named contribution to the health answer."""
    _CHECKS[name] = check


def check_database() -> dict[str, Any]:
    started = time.perf_counter()
    engine = get_engine()
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {
        "status": "ok",
        "backend": engine.dialect.name,
        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
    }


def check_redis() -> dict[str, Any]:
    url = get_settings().redis_url
    if not url:
        return {"status": "ok", "configured": False}
    import redis

    started = time.perf_counter()
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return {
        "status": "ok",
        "configured": True,
        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
    }


def _run(check: HealthCheck) -> dict[str, Any]:
    try:
        result = dict(check())
    except Exception as exc:  # a check that raises is a failing dependency, not a 500
        return {"status": "down", "error": f"{type(exc).__name__}: {exc}"[:500]}
    result.setdefault("status", "ok")
    return result


def health_report() -> tuple[dict[str, Any], int]:
    """The health document and its HTTP status."""
    checks = {"database": check_database, "redis": check_redis, **_CHECKS}
    results = {name: _run(check) for name, check in checks.items()}
    statuses = {r["status"] for r in results.values()}
    critical_down = any(results[n]["status"] == "down" for n in CRITICAL if n in results)
    overall = "down" if critical_down else ("ok" if statuses <= {"ok"} else "degraded")
    body = {"status": overall, "version": pinconsole.__version__, "checks": results}
    return body, 503 if critical_down else 200


router = APIRouter(tags=["health"])


@router.get("/health", summary="Health of the console and its dependencies (no token needed)")
def health() -> JSONResponse:
    body, status = health_report()
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
