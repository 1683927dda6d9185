"""``/api/v1/tokens`` (one's own API tokens: list, revoke), ``/api/v1/users/{name}/sessions``
(administrators end a user's UI sessions) and ``/api/v1/audit/export`` (the audit log as CSV).

No route creates a token: a stolen token must not be able to mint a longer-lived one.

The export is the audit page's download link: a plain link carries the browser's session cookie
and no token, so that one route (on ``export_router``, mounted outside the token-only router)
also admits the console's signed cookie, checked as the UI checks it (signature, age,
revocation, the user still known), and only from the console's own pages (``Sec-Fetch-Site``).
Whoever it admits must be an administrator, as for ``GET /api/v1/audit``; refusals are audited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, get_type_hints

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import create_model
from starlette.concurrency import run_in_threadpool

from pinconsole.access.audit import EXPORT_MAX_ROWS, FILTER_MAX_CHARS, AuditFilter, export_audit
from pinconsole.access.policy import Resource, authorize
from pinconsole.access.principal import Principal, resolve_principal
from pinconsole.access.session_cookie import SESSION_COOKIE
from pinconsole.access.sessions import read_session_async, revoke_sessions, still_present
from pinconsole.access.tokens import TokenInfo, list_tokens, revoke_token
from pinconsole.api.deps import ANONYMOUS, admin_principal, audit_refusal, current_principal
from pinconsole.api.paging import ApiModel, Cursor, Page, offset_page, read_cursor
from pinconsole.api.params import RowId
from pinconsole.api.problems import problems
from pinconsole.errors import Forbidden, Invalid, Unauthenticated
from pinconsole.settings import get_settings

router = APIRouter(tags=["access"])
export_router = APIRouter(tags=["access"])


class SessionsRevoked(ApiModel):
    user: str
    not_before: datetime


# ``TokenInfo``'s fields, camelCase on the wire: one list of fields to keep up to date.
Token = create_model(  # type: ignore[call-overload]
    "Token",
    __base__=ApiModel,
    __doc__="An API token as listings show it; never the secret.",
    **{name: (hint, ...) for name, hint in get_type_hints(TokenInfo).items()},
)


@router.get(
    "/tokens",
    response_model=Page[Token],  # type: ignore[valid-type]
    summary="The caller's API tokens",
    responses=problems(403),
)
async def tokens(
    principal: Principal = Depends(current_principal),
    user: str | None = Query(None, max_length=255, description="Another user's (admins)"),
    limit: int = Query(100, ge=1, le=500),
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Newest first, never the secrets; expired and revoked ones too, with their state."""
    offset = read_cursor("tokens", cursor)
    whose = user.strip() if user and user.strip() else principal.name
    owner = f"user:default/{whose}".lower()
    await run_in_threadpool(authorize, principal, "token.list", Resource("user", owner, {owner}))
    found = await run_in_threadpool(list_tokens, whose)
    items = [Token.model_validate(t, from_attributes=True) for t in found[offset : offset + limit]]
    return offset_page("tokens", items, len(found), offset, limit)


@router.delete(
    "/tokens/{token_id}",
    status_code=204,
    summary="Revoke an API token",
    responses=problems(403, 404),
)
async def revoke(token_id: RowId, principal: Principal = Depends(current_principal)) -> None:
    """The token's user or an administrator; it stops working at once."""
    await run_in_threadpool(lambda: revoke_token(token_id, actor=principal))


@router.post(
    "/users/{name}/sessions/revoke",
    response_model=SessionsRevoked,
    summary="End a user's UI sessions (administrators)",
    responses=problems(403),
)
async def revoke_user_sessions(
    name: str, principal: Principal = Depends(admin_principal)
) -> SessionsRevoked:
    """Every UI session of ``name`` signed until now ends at its next request."""
    not_before = await run_in_threadpool(lambda: revoke_sessions(name, actor=principal))
    return SessionsRevoked(user=name, not_before=not_before)


async def _session_principal(request: Request, cookie: str) -> Principal:
    """Who the console's session cookie names, as the UI's session check admits them."""
    settings = get_settings()
    site = (request.headers.get("sec-fetch-site") or "").strip().lower()
    if site in ("cross-site", "same-site"):  # a link on another site: the cookie rides along
        raise Forbidden(f"a {site} page cannot export with your sign-in; use the console itself")
    if settings.auth_mode == "demo" and not settings.is_embedded:
        raise Unauthenticated("demo sign-in is allowed only on the embedded database")
    name = await read_session_async(cookie, max_age=settings.session_max_age_hours * 3600)
    if not name:
        raise Unauthenticated("the console session has ended; sign in again")
    principal = await run_in_threadpool(resolve_principal, name)
    gone = principal.is_service_account  # the catalog no longer knows the user
    if settings.auth_mode == "ldap" and not gone:
        gone = await run_in_threadpool(still_present, "ldap", principal.name) is False
    if gone:
        raise Unauthenticated(f"{name} is no longer in the directory; sign in again")
    return principal


async def _export_caller(request: Request) -> Principal:
    """An API token or the proxy's header as everywhere; else a cookie-mode session cookie."""
    cookie = request.cookies.get(SESSION_COOKIE, "")
    by_cookie = bool(cookie) and not request.headers.get("authorization")
    try:
        if by_cookie and get_settings().auth_mode != "header":
            return await _session_principal(request, cookie)
        return await current_principal(request)
    except (Unauthenticated, Invalid, Forbidden) as exc:  # refused before it was anybody
        await run_in_threadpool(audit_refusal, request, ANONYMOUS, exc.message)
        raise


async def export_admin(
    request: Request, principal: Principal = Depends(_export_caller)
) -> Principal:
    """The export's caller, who must be an administrator (``admin_principal``'s audited
    refusal)."""
    return await admin_principal(request, principal)


_CSV = {"text/csv": {"schema": {"type": "string"}}}


@export_router.get(
    "/audit/export",
    summary="The audit log as CSV (administrators)",
    response_class=Response,
    responses={
        200: {"content": _CSV, "description": f"Newest first, at most {EXPORT_MAX_ROWS:,} rows"},
        **problems(401, 403, 422, 503),
    },
)
async def export(
    principal: Principal = Depends(export_admin),
    actor: str = Query("", max_length=FILTER_MAX_CHARS),
    action: str = Query("", max_length=FILTER_MAX_CHARS),
    target: str = Query("", max_length=FILTER_MAX_CHARS),
    outcome: Literal["ok", "denied", "error"] | None = None,
    since: datetime | None = Query(None, description="From this time (inclusive)"),
    until: datetime | None = Query(None, description="Before this time (exclusive)"),
) -> Response:
    """The rows ``GET /api/v1/audit`` filters the same way, as CSV (an attachment); the
    export is itself audited (``admin.audit.export``). ``X-Total-Count`` says how many rows
    matched, ``X-Exported-Count`` how many the file holds (fewer when capped)."""
    flt = AuditFilter(
        actor=actor, action=action, target=target, outcome=outcome or "", since=since, until=until
    )
    result = await run_in_threadpool(export_audit, principal, flt)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    headers = {
        "Content-Disposition": f'attachment; filename="pinconsole-audit-{stamp}.csv"',
        "Cache-Control": "no-store",
        "X-Total-Count": str(result.total),
        "X-Exported-Count": str(result.rows),
    }
    return Response(result.text, media_type="text/csv; charset=utf-8", headers=headers)
