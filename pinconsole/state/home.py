"""Home page state: the signed-in user's services, team and the console's recent activity."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import reflex as rx

from pinconsole.state.base import AppState, principal_of
from pinconsole.state.guard import guarded

log = logging.getLogger(__name__)

EMPTY_SUMMARY: dict[str, Any] = {"my_services": [], "my_team": None, "teams": []}


def _summary(user_name: str) -> dict[str, Any]:
    """``home_summary`` from the catalog (empty modules for nobody)."""
    if not user_name:
        return EMPTY_SUMMARY
    from pinconsole.catalog.query import home_summary

    return home_summary(user_name) or EMPTY_SUMMARY


def _activity(limit: int) -> list[dict[str, Any]]:
    from pinconsole.access.activity import recent_activity

    return recent_activity(limit)


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
    load_errors: list[str] = []
    loaded: bool = False

    @rx.var
    def first_name(self) -> str:
        name = (self.display_name or self.user_name).strip()
        return name.split()[0] if name else ""

    @rx.var
    def has_team(self) -> bool:
        return bool(self.team)

    async def _read(self, what: str, fn: Any, *args: Any) -> tuple[Any, str]:
        """``fn(*args)`` through ``_run``, and an error message instead of raising: a failing
        read shows a callout on the page, never an empty module that looks like "nothing
        there"."""
        try:
            return await self._run(fn, *args), ""
        except Exception as exc:
            log.exception("home: %s failed", what)
            return None, f"{what} could not be loaded ({type(exc).__name__}: {exc})"[:300]

    @guarded
    async def load(self) -> None:
        (summary, summary_error), (activity, activity_error) = await asyncio.gather(
            self._read("Your services and team", _summary, principal_of(self).name),
            self._read("Recent activity", _activity, 6),
        )
        self.load_errors = [e for e in (summary_error, activity_error) if e]
        summary = summary or EMPTY_SUMMARY
        activity = activity or []
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
