"""FastAPI dependencies: who is calling. Routes never read tokens or headers themselves."""

from __future__ import annotations

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from pinconsole.access.principal import Principal, resolve_principal
from pinconsole.access.tokens import known_token, verify_token
from pinconsole.errors import Forbidden, Unauthenticated
from pinconsole.settings import get_settings


async def current_principal(request: Request) -> Principal:
    """The caller: a ``Bearer`` token, or (header auth mode) the trusted proxy header.

    A token seen before in this data generation is answered on the event loop; anything that
    needs the database runs in a worker thread, so lookups never block the loop that also
    carries Reflex's websocket.
    """
    authorization = request.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        raw = credentials.strip()
        known = known_token(raw)
        return known if known is not None else await run_in_threadpool(verify_token, raw)
    settings = get_settings()
    if settings.auth_mode == "header":
        user = request.headers.get(settings.auth_header, "").strip()
        if user:
            return await run_in_threadpool(resolve_principal, user)
    if authorization:
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    raise Unauthenticated("an API token is required (Authorization: Bearer <token>)")


async def admin_principal(principal: Principal = Depends(current_principal)) -> Principal:
    """The caller, who must be an administrator."""
    if not principal.is_admin:
        raise Forbidden(f"{principal.name} is not an administrator")
    return principal
