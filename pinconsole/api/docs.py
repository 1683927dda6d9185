"""``/api/v1/docs``: Swagger UI from the installed package, never from a CDN.

FastAPI's default page loads Swagger UI from jsdelivr, which a console on an internal network
(or a laptop on a train) cannot reach. The assets come from the ``fastapi-swagger`` package
(kept current with Swagger UI 5, which reads the OpenAPI 3.1 FastAPI writes) and are served
here with long-lived caching; the page and the OpenAPI document need no token, the routes
they describe do (the document declares bearer authentication).
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, HTTPException
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response

DOCS_URL = "/api/v1/docs"
OPENAPI_URL = "/api/v1/openapi.json"
ASSETS = {  # what the page loads, and nothing else of the package
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}


def docs_router(title: str) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get(DOCS_URL)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_URL,
            title=f"{title} - Swagger UI",
            swagger_js_url=f"{DOCS_URL}/assets/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_URL}/assets/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_URL}/assets/favicon-32x32.png",
            swagger_ui_parameters={"persistAuthorization": True, "filter": True},
        )

    @router.get(DOCS_URL + "/assets/{name}")
    def asset(name: str) -> Response:
        media_type = ASSETS.get(name)
        if media_type is None:
            raise HTTPException(404, f"no documentation asset {name}")
        body = resources.files("fastapi_swagger.resources").joinpath(name).read_bytes()
        return Response(
            body,
            media_type=media_type,
            headers={"Cache-Control": "public, max-age=86400"},
        )

    return router
