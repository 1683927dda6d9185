"""The REST API (FastAPI). Reflex mounts its own backend under it at "" (``api_transformer``).

Everything under ``/api/v1`` needs a principal (``deps.current_principal``) except ``/health``
and the plugins' ``public_api_routers``; ``/metrics`` sits at the root for Prometheus. Domain
errors become JSON problems ``{type, title, status, detail}`` with the error's status; a
database or Redis outage is a 503 problem (``Unavailable``), never a text/plain 500.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

import pinconsole
from pinconsole.access.audit import AuditFilter, list_audit
from pinconsole.access.principal import Principal
from pinconsole.api import health, metrics
from pinconsole.api.deps import admin_principal, current_principal
from pinconsole.api.docs import OPENAPI_URL, docs_router
from pinconsole.api.paging import ApiModel, Cursor, Page, offset_page, read_cursor
from pinconsole.api.problems import RETRY_AFTER_SECONDS, add_problem_schema, problem, problems
from pinconsole.api.routes import RouteTable
from pinconsole.errors import DomainError
from pinconsole.outages import DATABASE_OUTAGES, REDIS_OUTAGES, outage_of
from pinconsole.plugins import Registry

log = logging.getLogger(__name__)


def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = None
    if exc.status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="pinconsole"'}
    elif exc.status == 503:
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    extra = {"where": exc.where} if exc.where else {}
    return problem(exc.status, exc.title, exc.message, headers=headers, **extra)


def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
    return problem(exc.status_code, title, str(exc.detail), headers=exc.headers)


def _outage(request: Request, exc: Exception) -> JSONResponse:
    """503 with ``Retry-After``; the driver's text (hosts, ports, database names) goes to the
    log only."""
    what = outage_of(exc) or "The database"
    log.warning("%s %s: %s unavailable: %s", request.method, request.url.path, what, exc)
    return problem(
        503,
        "Unavailable",
        f"{what} is unavailable right now; try again shortly",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {}
    where = ".".join(str(p) for p in first.get("loc", ()))
    detail = f"{where}: {first.get('msg', 'invalid request')}" if where else "invalid request"
    brief = [{"loc": e.get("loc"), "msg": e.get("msg")} for e in errors]
    return problem(422, "Invalid", detail, errors=brief)


class Me(ApiModel):
    name: str
    display_name: str
    groups: list[str]
    is_admin: bool
    is_service_account: bool


class AuditRow(ApiModel):
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    outcome: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    detail: str


def _core_router() -> APIRouter:
    router = APIRouter()

    @router.get("/me", response_model=Me, summary="The caller")
    def me(principal: Principal = Depends(current_principal)) -> Me:
        return Me(
            name=principal.name,
            display_name=principal.label,
            groups=sorted(principal.groups),
            is_admin=principal.is_admin,
            is_service_account=principal.is_service_account,
        )

    @router.get(
        "/audit",
        response_model=Page[AuditRow],
        summary="Audit log, newest first (administrators)",
        responses=problems(403),
    )
    def audit(
        _admin: Principal = Depends(admin_principal),
        actor: str = "",
        action: str = "",
        target: str = "",
        outcome: Literal["ok", "denied", "error"] | None = None,
        since: datetime | None = Query(None, description="From this time (inclusive)"),
        until: datetime | None = Query(None, description="Before this time (exclusive)"),
        limit: int = Query(50, ge=1, le=500),
        cursor: Cursor = None,
    ) -> dict[str, Any]:
        offset = read_cursor("audit", cursor)
        rows, total = list_audit(
            AuditFilter(
                actor=actor,
                action=action,
                target=target,
                outcome=outcome or "",
                since=since,
                until=until,
            ),
            limit=limit,
            offset=offset,
        )
        items = [AuditRow.model_validate(r, from_attributes=True) for r in rows]
        return offset_page("audit", items, total, offset, limit)

    return router


def create_api(registry: Registry) -> FastAPI:
    """The FastAPI app: core routes, every plugin's routers under /api/v1, /metrics."""
    api = FastAPI(
        title="PinConsole API",
        version=pinconsole.__version__,
        docs_url=None,  # served from the package's own assets (api/docs.py)
        redoc_url=None,
        openapi_url=OPENAPI_URL,
    )
    api.include_router(docs_router(api.title))
    api.add_exception_handler(DomainError, _domain_error)
    api.add_exception_handler(RequestValidationError, _validation_error)
    api.add_exception_handler(StarletteHTTPException, _http_error)
    for outage in (*DATABASE_OUTAGES, *REDIS_OUTAGES):
        api.add_exception_handler(outage, _outage)
    api.state.routes = RouteTable(api.router.routes)
    api.add_middleware(metrics.MetricsMiddleware, table=api.state.routes)

    # Public: health (load balancers) and metrics (Prometheus) need no token.
    checks = {name: c.check for name, c in registry.health_checks.items()}
    api.include_router(health.create_router(checks), prefix="/api/v1")
    api.include_router(metrics.router)

    # Everything else under /api/v1 requires a principal, whatever each route declares; every
    # route under it may answer 401, 422 (a parameter, or a proxy's header) and 503 (outages).
    protected = APIRouter(
        prefix="/api/v1",
        dependencies=[Depends(current_principal)],
        responses=problems(401, 422, 503),
    )
    protected.include_router(_core_router())
    for router in registry.api_routers:
        protected.include_router(router)  # type: ignore[arg-type]
    api.include_router(protected)
    # What plugins declare public, after the rest: it can never shadow a protected route.
    for router in registry.public_api_routers:
        api.include_router(router, prefix="/api/v1")  # type: ignore[arg-type]

    # Unknown /api/* paths, and known ones with a method they do not take, answer problems
    # whatever the method; other paths fall through to Reflex's mount.
    register_url_convertor("path", _AnyPath())
    api.router.routes.append(
        Route("/api/{rest:path}", _UnmatchedApi(api.state.routes), include_in_schema=False)
    )
    _document_problems(api)
    return api


class _AnyPath(Convertor[str]):
    """Starlette's ``path`` convertor, newlines included.

    Its ``.*`` stops at a newline, so a path with an encoded one (``/api/v1/x%0Ay``) matched
    no mount: Reflex's outer app, which mounts this one at "" (``Mount`` compiles
    ``/{path:path}``), answered it a text/plain 404 of its own. Registered before Reflex builds
    that mount (``create_api`` runs first), so every path reaches the API.
    """

    regex = r"[\s\S]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class _UnmatchedApi:
    """ASGI endpoint for /api/* requests no route took (every method): a path some route has
    answers 405 with ``Allow`` (OPTIONS: 204 with ``Allow``), any other path 404."""

    def __init__(self, table: RouteTable) -> None:
        self._table = table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, method = scope["path"], scope["method"]
        allowed = self._table.allowed_methods(path)
        if allowed and method not in allowed:
            allow = ", ".join(sorted(allowed | {"OPTIONS"}))
            if method == "OPTIONS":
                response: Response = Response(status_code=204, headers={"Allow": allow})
            else:
                response = problem(
                    405,
                    "Method not allowed",
                    f"{path} does not take {method[:20]}; it takes {allow}",
                    headers={"Allow": allow},
                )
        else:
            response = problem(404, "Not found", f"no API route {path[:500]}")
        await response(scope, receive, send)


def _document_problems(api: FastAPI) -> None:
    """The OpenAPI document with the ``Problem`` schema the routes' error answers refer to."""
    build = api.openapi

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            api.openapi_schema = add_problem_schema(build())
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]
