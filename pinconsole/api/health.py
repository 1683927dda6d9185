"""``/api/v1/health``: database, Redis, and the ``Plugin.health_checks`` (e.g. the org sync).

A check is a blocking callable returning ``{"status": "ok" | "degraded" | "down", ...}``; it
may raise, which reports it as ``down``. The database and, when configured, Redis (the UI's
state store: without it no browser gets a working page) make the answer 503; a stale sync only
degrades it. The endpoint is public, so everyone gets each component's status only; what a
check adds (error texts naming hosts and ports, latencies, last runs) is for administrators
(``Authorization: Bearer <admin token>``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

import pinconsole
from pinconsole.api.deps import current_principal
from pinconsole.db import get_engine
from pinconsole.settings import get_settings

Check = Callable[[], Mapping[str, Any]]

CRITICAL = {"database", "redis"}


def check_database() -> dict[str, Any]:
    started = time.perf_counter()
    engine = get_engine()
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {
        "status": "ok",
        "backend": engine.dialect.name,
        "latencyMs": round((time.perf_counter() - started) * 1000, 1),
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
        "latencyMs": round((time.perf_counter() - started) * 1000, 1),
    }


def _run(check: Check) -> dict[str, Any]:
    try:
        result = dict(check())
    except Exception as exc:  # a check that raises is a failing dependency, not a 500
        return {"status": "down", "error": f"{type(exc).__name__}: {exc}"[:500]}
    result.setdefault("status", "ok")
    return result


def health_report(
    extra: Mapping[str, Check] | None = None, *, details: bool = False
) -> tuple[dict[str, Any], int]:
    """The health document and its HTTP status with the ``extra`` checks plugins contribute;
    ``details`` keeps what each check said."""
    checks: dict[str, Check] = {"database": check_database, "redis": check_redis, **(extra or {})}
    results = {name: _run(check) for name, check in checks.items()}
    statuses = {r["status"] for r in results.values()}
    critical_down = any(results[n]["status"] == "down" for n in CRITICAL if n in results)
    overall = "down" if critical_down else ("ok" if statuses <= {"ok"} else "degraded")
    shown = results if details else {n: {"status": r["status"]} for n, r in results.items()}
    body = {"status": overall, "version": pinconsole.__version__, "checks": shown}
    return body, 503 if critical_down else 200


async def _asked_by_admin(request: Request) -> bool:
    """The caller shows an administrator's credentials; anything else (none, wrong, or the
    database too down to check) gets the public answer."""
    if not request.headers.get("authorization") and get_settings().auth_mode != "header":
        return False
    try:
        return (await current_principal(request)).is_admin
    except Exception:  # a health probe never fails on its caller's credentials
        return False


class HealthReport(BaseModel):
    """The health answer: each component's status (and, for an administrator, its details)."""

    status: Literal["ok", "degraded", "down"]
    version: str
    checks: dict[str, dict[str, Any]]


def create_router(extra: Mapping[str, Check]) -> APIRouter:
    """The public health route, reporting ``extra`` beside the database and Redis."""
    router = APIRouter(tags=["health"])

    @router.get(
        "/health",
        response_model=HealthReport,
        summary="Health of the console and its dependencies (no token needed)",
        responses={503: {"model": HealthReport, "description": "The database or Redis is down"}},
    )
    async def health(request: Request) -> JSONResponse:
        details = await _asked_by_admin(request)
        body, status = await run_in_threadpool(health_report, extra, details=details)
        return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})

    return router
