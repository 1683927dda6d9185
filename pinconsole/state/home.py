"""Home page state: the signed-in user's services, team and the console's recent activity."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import reflex as rx

from pinconsole.state.base import AppState

log = logging.getLogger(__name__)

EMPTY_SUMMARY: dict[str, Any] = {"my_services": [], "my_team": None, "teams": []}


def _summary(user_name: str) -> dict[str, Any]:
    """``home_summary`` from the catalog, or empty modules when the catalog is not there."""
    if not user_name:
        return EMPTY_SUMMARY
    try:
        from pinconsole.catalog.query import home_summary
    except (ImportError, AttributeError):
        return EMPTY_SUMMARY
    try:
        return home_summary(user_name) or EMPTY_SUMMARY
    except Exception:
        log.exception("home summary failed for %s", user_name)
        return EMPTY_SUMMARY


def _activity(limit: int) -> list[dict[str, Any]]:
    try:
        from pinconsole.access.activity import recent_activity

        return recent_activity(limit)
    except Exception:  # no audit table yet (fresh install) must not break the home page
        log.exception("recent activity failed")
        return []


def _service_row(s: dict[str, Any]) -> dict[str, str]:
    score = s.get("score")
    lifecycle = str(s.get("lifecycle") or "")
    return {
        "title": str(s.get("title") or s.get("name") or ""),
        "name": str(s.get("name") or ""),
        "url": str(s.get("url") or "#"),
        "type": str(s.get("type") or "—"),
        "lifecycle": lifecycle or "—",
        "lifecycle_intent": {
            "production": "success",
            "experimental": "warning",
            "deprecated": "error",
        }.get(lifecycle, "neutral"),
        "owner": str(s.get("owner") or "").split("/")[-1],
        "score": "—" if score is None else f"{round(score)}",
        "description": str(s.get("description") or ""),
    }


class HomeState(AppState):
    services: list[dict[str, str]] = []
    team: dict[str, str] = {}
    other_teams: list[dict[str, str]] = []
    activity: list[dict[str, str]] = []
    loaded: bool = False

    @rx.var
    def first_name(self) -> str:
        name = (self.display_name or self.user_name).strip()
        return name.split()[0] if name else ""

    @rx.var
    def has_team(self) -> bool:
        return bool(self.team)

    @rx.event
    async def load(self) -> None:
        summary, activity = await asyncio.gather(
            asyncio.to_thread(_summary, self.user_name),
            asyncio.to_thread(_activity, 6),
        )
        self.services = [_service_row(s) for s in summary.get("my_services") or []]
        team = summary.get("my_team") or None
        self.team = (
            {
                "title": str(team.get("title") or team.get("name") or ""),
                "name": str(team.get("name") or ""),
                "url": str(team.get("url") or "#"),
                "email": str(team.get("email") or ""),
                "members": str(team.get("members") or 0),
                "owned_total": str(team.get("owned_total") or 0),
                "score": "—" if team.get("score") is None else f"{round(team['score'])}",
            }
            if team
            else {}
        )
        self.other_teams = [
            {"title": str(t.get("title") or t.get("name")), "url": str(t.get("url") or "#")}
            for t in (summary.get("teams") or [])[1:]
        ]
        self.activity = [
            {k: str(v if v is not None else "") for k, v in item.items()} for item in activity
        ]
        self.loaded = True
