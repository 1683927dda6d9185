"""Home page state: the signed-in user's services (with their failing scorecard checks), team
and the team's recent changes."""

from __future__ import annotations

import logging
from typing import Any

import reflex as rx

from pinconsole.state.base import AppState, principal_of
from pinconsole.state.guard import guarded

log = logging.getLogger(__name__)

EMPTY_SUMMARY: dict[str, Any] = {
    "my_services": [],
    "my_team": None,
    "teams": [],
    "owner_refs": [],
    "change_targets": [],
}
CHANGES_SHOWN = 8


def read_summary(user_name: str) -> dict[str, Any]:
    """``home_summary`` from the catalog (empty modules for nobody)."""
    if not user_name:
        return EMPTY_SUMMARY
    from pinconsole.catalog.query import home_summary

    return home_summary(user_name) or EMPTY_SUMMARY


def _changes(targets: list[str], more: list[str]) -> list[dict[str, Any]]:
    """The team's recent changes (``team_activity``)."""
    from pinconsole.access.activity import team_activity

    return team_activity([*targets, *more], limit=CHANGES_SHOWN)


def _failing(s: dict[str, Any]) -> str:
    return ", ".join(str(c.get("label") or c.get("id")) for c in s.get("failing_checks") or [])


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
        "failing": _failing(s),
        "failing_count": str(len(s.get("failing_checks") or [])),
        # The scorecard is a card of the entity's overview.
        "scorecard_url": f"{s.get('url') or ''}#entity-scorecard",
    }


class HomeState(AppState):
    services: list[dict[str, str]] = []
    team: dict[str, str] = {}
    other_teams: list[dict[str, str]] = []
    activity: list[dict[str, str]] = []
    load_errors: list[str] = []
    loaded: bool = False
    # What "recent changes" shows changes to: what the summary says the teams own, and audit
    # targets a plugin's home module adds (the compute plugin: the teams' PinApps).
    _change_targets: list[str] = []
    _activity_targets: list[str] = []

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

    async def _add_targets(self, targets: list[str]) -> None:
        """For a plugin's home module: show the changes to ``targets`` too (its own handler is
        guarded; this is no event handler, so no browser can call it)."""
        self._activity_targets = sorted(set(targets))
        if self.loaded:  # else ``load`` reads them when it runs
            await self._read_changes()

    async def _read_changes(self) -> str:
        activity, error = await self._read(
            "Recent changes", _changes, self._change_targets, self._activity_targets
        )
        self.activity = [
            {k: str(v if v is not None else "") for k, v in item.items()} for item in activity or []
        ]
        return error

    @guarded
    async def load(self) -> None:
        summary, summary_error = await self._read(
            "Your services and team", read_summary, principal_of(self).name
        )
        summary = summary or EMPTY_SUMMARY
        self._change_targets = list(summary.get("change_targets") or [])
        # After the summary: the team's changes are those of what the summary says it owns.
        activity_error = await self._read_changes()
        self.load_errors = [e for e in (summary_error, activity_error) if e]
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
        self.loaded = True
