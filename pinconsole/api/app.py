"""The REST API (FastAPI). Reflex mounts its own backend under it at "" (``api_transformer``).

Everything under ``/api/v1`` needs a principal (``deps.current_principal``) except ``/health``;
``/metrics`` sits at the root for Prometheus. Domain errors become JSON problems
``{type, title, status, detail}`` with the error's status.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

import pinconsole
from pinconsole.access.audit import AuditFilter, list_audit
from pinconsole.access.principal import Principal
from pinconsole.api import health, metrics
from pinconsole.api.deps import admin_principal, current_principal
from pinconsole.errors import DomainError
from pinconsole.plugins import Registry

PROBLEM_BASE = "https://pinconsole.dev/problems/"


def problem(
    status: int, title: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """An RFC 9457 problem document."""
    slug = title.lower().replace(" ", "-")
    body = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    body.update(extra)
    return JSONResponse(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )


def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = {"WWW-Authenticate": 'Bearer realm="pinconsole"'} if exc.status == 401 else None
    extra = {"where": exc.where} if exc.where else {}
    return problem(exc.status, exc.title, exc.message, headers=headers, **extra)


def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
    return problem(exc.status_code, title, str(exc.detail), headers=exc.headers)


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {}
    where = ".".join(str(p) for p in first.get("loc", ()))
    detail = f"{where}: {first.get('msg', 'invalid request')}" if where else "invalid request"
    brief = [{"loc": e.get("loc"), "msg": e.get("msg")} for e in errors]
    return problem(422, "Invalid", detail, errors=brief)


class Me(BaseModel):
    name: str
    display_name: str
    groups: list[str]
    is_admin: bool
    is_service_account: bool


class AuditRow(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    outcome: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    detail: str


class AuditPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[AuditRow]


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

    @router.get("/audit", response_model=AuditPage, summary="Audit log (administrators)")
    def audit(
        _admin: Principal = Depends(admin_principal),
        actor: str = "",
        action: str = "",
        target: str = "",
        outcome: str = "",
        since: datetime | None = None,
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0),
    ) -> AuditPage:
        rows, total = list_audit(
            AuditFilter(actor=actor, action=action, target=target, outcome=outcome, since=since),
            limit=limit,
            offset=offset,
        )
        items = [AuditRow.model_validate(r, from_attributes=True) for r in rows]
        return AuditPage(total=total, limit=limit, offset=offset, items=items)

    return router


def create_api(registry: Registry) -> FastAPI:
    """The FastAPI app: core routes, every plugin's routers under /api/v1, /metrics."""
    api = FastAPI(
        title="PinConsole API",
        version=pinconsole.__version__,
        docs_url="/api/v1/docs",
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    api.add_exception_handler(DomainError, _domain_error)
    api.add_exception_handler(RequestValidationError, _validation_error)
    api.add_exception_handler(StarletteHTTPException, _http_error)
    api.add_middleware(metrics.MetricsMiddleware, routes=api.router.routes)

    # Public: health (load balancers) and metrics (Prometheus) need no token.
    api.include_router(health.router, prefix="/api/v1")
    api.include_router(metrics.router)

    # Everything else under /api/v1 requires a principal, whatever each route declares.
    protected = APIRouter(prefix="/api/v1", dependencies=[Depends(current_principal)])
    protected.include_router(_core_router())
    for router in registry.api_routers:
        protected.include_router(router)  # type: ignore[arg-type]
    api.include_router(protected)

    # Unknown /api/* paths answer problems; other paths fall through to Reflex's mount.
    @api.api_route(
        "/api/{rest:path}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    def api_not_found(rest: str) -> JSONResponse:
        return problem(404, "Not found", f"no API route /api/{rest}")

    return api
