"""The REST API (FastAPI) mounted in front of Reflex's backend."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from pinconsole.plugins import Registry


def create_api(registry: Registry) -> FastAPI:
    api = FastAPI(
        title="PinConsole API",
        version="1",
        docs_url="/api/docs",
        openapi_url="/api/v1/openapi.json",
    )
    v1 = APIRouter(prefix="/api/v1")

    @v1.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    for router in registry.api_routers:
        v1.include_router(router)
    api.include_router(v1)
    return api
