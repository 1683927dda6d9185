"""Prometheus metrics of the console itself: request counts and latencies per route template.

The label is the route *template* (``/api/v1/entities/{ref}``), never the raw path, so the
series count stays bounded; unmatched paths share one label. Websockets are not counted.
With several worker processes, ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess
mode; ``pinconsole serve`` sets a fresh one per run) makes every scrape sum all workers' counts.
"""

from __future__ import annotations

import os
import time

from fastapi import APIRouter
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pinconsole.api.routes import RouteTable


def _metric(kind: type, name: str, doc: str, labels: tuple[str, ...], **kw: object) -> object:
    # Importing twice (Reflex hot reload, tests) must not register a metric twice.
    existing = REGISTRY._names_to_collectors.get(name)  # type: ignore[attr-defined]
    if existing is not None:
        return existing
    return kind(name, doc, labels, **kw)


REQUESTS: Counter = _metric(  # type: ignore[assignment]
    Counter,
    "pinconsole_http_requests",
    "HTTP requests answered, by method, route template and status",
    ("method", "route", "status"),
)
LATENCY: Histogram = _metric(  # type: ignore[assignment]
    Histogram,
    "pinconsole_http_request_duration_seconds",
    "HTTP request latency, by method and route template",
    ("method", "route"),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

UNMATCHED = "<unmatched>"


class MetricsMiddleware:
    """Pure ASGI middleware (no BaseHTTPMiddleware: it would buffer streaming responses).

    ``table`` knows the wrapped app's full route templates; routes it does not know (Reflex's
    mounted ones) report their own path.
    """

    def __init__(self, app: ASGIApp, table: RouteTable) -> None:
        self.app = app
        self._table = table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = self._table.template(scope) or UNMATCHED
            method = scope.get("method", "GET")
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(time.perf_counter() - started)


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


router = APIRouter(tags=["metrics"])


@router.get("/metrics", include_in_schema=False)
def metrics(_request: Request) -> Response:
    return Response(generate_latest(_registry()), media_type=CONTENT_TYPE_LATEST)
