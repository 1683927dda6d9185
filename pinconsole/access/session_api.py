"""``POST /api/v1/session`` (a sign-in ticket becomes the HttpOnly session cookie) and
``POST /api/v1/session/end`` (the cookie expires). Both are top-level form posts from the
console's own pages (``session_cookie.py``); a post from another site is refused, so nobody
can sign a visitor in as someone else (login CSRF) or out."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from pinconsole.access.origins import foreign_origin
from pinconsole.access.session_cookie import (
    SESSION_COOKIE,
    SIGNIN_ROUTE,
    read_ticket,
    safe_next,
    secure_cookies,
)
from pinconsole.access.sessions import sign_session
from pinconsole.settings import get_settings

session_router = APIRouter(tags=["access"])


def _refused(why: str) -> Response:
    return Response(why, status_code=403, media_type="text/plain; charset=utf-8")


@session_router.post("/session", include_in_schema=False)
async def establish(
    request: Request,
    ticket: str = Form("", max_length=1024),
    next: str = Form("/", max_length=2048),
) -> Response:
    """Exchange a fresh sign-in ticket for the session cookie; back to the sign-in page with
    ``?expired=1`` when the ticket is stale or forged."""
    if (origin := foreign_origin(request.method, request.headers)) is not None:
        return _refused(f"A sign-in from {origin} is refused: sign in on the console itself.")
    user = read_ticket(ticket)
    if user is None:
        return RedirectResponse(f"{SIGNIN_ROUTE}?expired=1", status_code=303)
    settings = get_settings()
    answer = RedirectResponse(safe_next(next), status_code=303)
    answer.set_cookie(
        SESSION_COOKIE,
        sign_session(user),
        max_age=settings.session_max_age_hours * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(),
    )
    answer.headers["Cache-Control"] = "no-store"
    return answer


@session_router.post("/session/end", include_in_schema=False)
async def end(request: Request) -> Response:
    """Expire the session cookie and go to the sign-in page."""
    if (origin := foreign_origin(request.method, request.headers)) is not None:
        return _refused(f"A sign-out from {origin} is refused.")
    answer = RedirectResponse(SIGNIN_ROUTE, status_code=303)
    answer.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure_cookies()
    )
    answer.headers["Cache-Control"] = "no-store"
    return answer
