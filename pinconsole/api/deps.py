"""FastAPI dependencies: who is calling. Routes never read tokens or headers themselves.

A refused administrator route (``admin_principal``: a caller who is no administrator, or who
has no valid credentials at all) leaves an audit row as ``authorize``'s denials do, naming the
caller, the route and the client address behind the trusted proxies. Anyone can send refused
requests, so the rows one caller can cause from one address are bounded
(``access.audit.record_refusal``: 20 a minute in each worker process, the last one says so; the
rest go to the log, as the sign-in lockout leaves attempts refused while locked unaudited).
"""

from __future__ import annotations

import logging

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from pinconsole.access.audit import record_refusal
from pinconsole.access.origins import foreign_origin
from pinconsole.access.principal import Principal, resolve_principal
from pinconsole.access.proxies import client_address, proxy_user
from pinconsole.access.tokens import known_token, verify_token
from pinconsole.errors import Forbidden, Invalid, Unauthenticated
from pinconsole.settings import get_settings

log = logging.getLogger(__name__)

ADMIN_ROUTE = "admin.api_route"  # the audit action of a refused administrator route
ANONYMOUS = "anonymous"

# Documents the scheme in the OpenAPI document; ``current_principal`` reads the header itself
# (it also answers other schemes, and header mode needs no token).
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="An API token (`pinconsole token create`)",
)


async def _principal(request: Request) -> Principal:
    authorization = request.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        raw = credentials.strip()
        known = known_token(raw)
        return known if known is not None else await run_in_threadpool(verify_token, raw)
    settings = get_settings()
    if settings.auth_mode == "header":
        peer = request.client.host if request.client else ""
        user = proxy_user(peer, request.headers)
        if user:
            other = foreign_origin(request.method, request.headers)
            if other is not None:
                raise Forbidden(
                    f"a request from {other} cannot act with your sign-in; "
                    "use the console itself or an API token"
                )
            return await run_in_threadpool(resolve_principal, user)
    if authorization:
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    raise Unauthenticated("an API token is required (Authorization: Bearer <token>)")


async def current_principal(
    request: Request,
    _token: HTTPAuthorizationCredentials | None = Security(bearer),
) -> Principal:
    """The caller: a ``Bearer`` token, or (header auth mode) the header of a trusted proxy
    (from any other peer the header is ignored, as a client's own).

    A token seen before in this data generation is answered on the event loop; anything that
    needs the database runs in a worker thread, so lookups never block the loop that also
    carries Reflex's websocket. Refused on an administrator route, the refusal is audited.
    """
    try:
        return await _principal(request)
    except (Unauthenticated, Invalid, Forbidden) as exc:
        if _admin_only(request):
            await run_in_threadpool(audit_refusal, request, ANONYMOUS, exc.message)
        raise


async def admin_principal(
    request: Request, principal: Principal = Depends(current_principal)
) -> Principal:
    """The caller, who must be an administrator; a refusal is audited."""
    if not principal.is_admin:
        why = f"{principal.name} is not an administrator"
        await run_in_threadpool(audit_refusal, request, principal.name, why)
        raise Forbidden(why)
    return principal


def _admin_only(request: Request) -> bool:
    """Whether the route that took the request asks for ``admin_principal`` (learned once per
    route from its dependencies, and kept on the route)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return False
    known = getattr(route, "_pinconsole_admin_only", None)
    if known is None:
        stack, known = [dependant], False
        while stack and not known:
            current = stack.pop()
            known = current.call is admin_principal
            stack.extend(current.dependencies)
        route._pinconsole_admin_only = known  # type: ignore[union-attr]
    return bool(known)


def _route_label(request: Request) -> str:
    """``GET /api/v1/audit``: the route's template, never the raw path (which a caller chose)."""
    table = getattr(request.app.state, "routes", None)
    template = table.template(request.scope) if table is not None else None
    return f"{request.method} {template or request.url.path[:200]}"


def audit_refusal(request: Request, actor: str, why: str) -> None:
    """``record_refusal`` of this route for ``actor`` from the client behind the proxies."""
    peer = request.client.host if request.client else ""
    client = client_address(peer, request.headers.get("x-forwarded-for", ""))
    after = {"client": client or None, "path": request.url.path[:500]}
    record_refusal(
        actor=actor, action=ADMIN_ROUTE, target=_route_label(request), client=client, why=why,
        after=after,
    )  # fmt: skip
