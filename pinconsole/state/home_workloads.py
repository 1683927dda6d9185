"""The compute plugin's home module: the health of the signed-in user's services' PinApps,
refreshed while the home page is open (``state/live.py``); the team's PinApps' actions join
the home page's recent changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pinconsole.compute.home import services_health, team_pinapp_refs
from pinconsole.errors import DomainError
from pinconsole.state.base import AppState, principal_of
from pinconsole.state.guard import guarded
from pinconsole.state.home import HomeState, read_summary
from pinconsole.state.live import LiveRefresh

LABEL = {"down": "Down", "degraded": "Degraded", "healthy": "Healthy", "paused": "Paused"}


@dataclass
class AppHealth:
    name: str = ""
    label: str = ""  # what the badge says: "Crash-looping", "Down", ...
    kind: str = ""  # the badge's status kind (display.HEALTH_KIND)
    replicas: str = ""  # ready/desired
    restarts: str = ""
    url: str = ""


@dataclass
class ServiceHealth:
    name: str = ""
    title: str = ""
    url: str = ""
    health: str = ""
    label: str = ""
    kind: str = ""
    apps: list[AppHealth] = field(default_factory=list)


def _view(user_name: str) -> dict[str, Any]:
    """My services' workload health, and the refs of my teams' PinApps (theirs and those in
    namespaces the teams own)."""
    summary = read_summary(user_name)
    services = list(summary.get("my_services") or [])
    health = services_health(services)
    team = team_pinapp_refs(list(summary.get("owner_refs") or []))
    return {**health, "inputs": services, "refs": sorted(set(health["refs"]) | set(team))}


def _app(a: dict[str, Any]) -> AppHealth:
    label = "Crash-looping" if a["crash_looping"] and a["health"] == "down" else LABEL[a["health"]]
    kind = {"down": "critical", "degraded": "warning", "healthy": "ok"}.get(a["health"], "unknown")
    return AppHealth(
        name=a["name"],
        label=label,
        kind=kind,
        replicas=f"{a['ready']}/{a['desired']} ready",
        restarts=str(a["restarts"]),
        url=a["url"],
    )


def _service(s: dict[str, Any]) -> ServiceHealth:
    apps = [_app(a) for a in s["apps"]]
    looping = any(a.label == "Crash-looping" for a in apps)
    label = "Crash-looping" if looping else LABEL.get(s["health"], "No workloads")
    return ServiceHealth(
        name=s["name"],
        title=s["title"],
        url=s["url"],
        health=s["health"],
        label=label,
        kind=s["kind"],
        apps=apps,
    )


class HomeWorkloadsState(LiveRefresh, AppState):
    services: list[ServiceHealth] = []
    error: str = ""
    loaded: bool = False
    _inputs: list[dict[str, Any]] = []  # the summary's service rows (annotations find PinApps)

    def _show(self, view: dict[str, Any] | DomainError) -> None:
        if isinstance(view, DomainError):
            self._publish({"error": str(view), "loaded": True})
            return
        shown = [_service(s) for s in view["services"]]
        self._publish({"services": shown, "error": "", "loaded": True})
        self._version = view["version"]

    # the live loop's hook (LiveRefresh): the caches only, no catalog read
    def _live_query(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return services_health, (self._inputs,)

    @guarded
    async def load(self):  # type: ignore[no-untyped-def]
        try:
            view = await self._run(_view, principal_of(self).name)
        except DomainError as exc:
            self._show(exc)
            return None
        self._inputs = view["inputs"]
        self._show(view)
        home = await self.get_state(HomeState)
        await home._add_targets(view["refs"])
        return HomeWorkloadsState.live
