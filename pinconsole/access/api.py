"""``/api/v1/tokens`` (one's own API tokens: list, revoke) and ``/api/v1/users/{name}/sessions``
(administrators end a user's UI sessions).

No route creates a token: a stolen token must not be able to mint a longer-lived one.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from pinconsole.access.policy import Resource, authorize
from pinconsole.access.principal import Principal
from pinconsole.access.sessions import revoke_sessions
from pinconsole.access.tokens import TokenInfo, list_tokens, revoke_token
from pinconsole.api.deps import admin_principal, current_principal
from pinconsole.api.params import RowId
from pinconsole.api.problems import problems

router = APIRouter(tags=["access"])


class SessionsRevoked(BaseModel):
    user: str
    not_before: datetime


@router.get(
    "/tokens",
    response_model=list[TokenInfo],
    summary="The caller's API tokens",
    responses=problems(403),
)
async def tokens(
    principal: Principal = Depends(current_principal),
    user: str | None = Query(None, max_length=255, description="Another user's (admins)"),
) -> list[TokenInfo]:
    """Newest first, never the secrets; expired and revoked ones too, with their state."""
    whose = user.strip() if user and user.strip() else principal.name
    owner = f"user:default/{whose}".lower()
    await run_in_threadpool(authorize, principal, "token.list", Resource("user", owner, {owner}))
    return await run_in_threadpool(list_tokens, whose)


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
