"""Every event handler of every state, called over the real websocket as any client can call it:
without a cookie, and with a signed-in non-administrator's cookie. Nothing protected comes back.

The finding: page guards only redirected; with no cookie, ``CatalogState.load`` returned the
catalog, the org admin page its sync history, and the PinApp page the logs of any pod (the REST
API checks the pod belongs to the PinApp; the UI did not).

"Protected" is read off the deltas: a var of a feature state that leaves its default is data the
caller was shown. Allowed are the states of public pages (sign-in, the design page, Reflex's
own), and a signed-in caller's own identity; for a non-administrator every var of an admin
page's state must stay at its default, and no log line of another workload's pod may arrive.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import reflex as rx
from fixtures.reflex_ws import (
    APP_STATE,
    FIELD,
    ROOT,
    Backend,
    Session,
    connect,
    demo_backend,
    route,
)
from reflex_base.utils import format

from pinconsole.access.audit import AUDITED_REFUSALS_PER_MINUTE
from pinconsole.access.sessions import sign_session

pytestmark = pytest.mark.xdist_group("ui-backend")

# Background handlers (live loops) act after a pause of up to LIVE_SECONDS (3 s): wait longer.
BACKGROUND_GRACE = 4.5


# ---------------------------------------------------------------- the app's states, as served


def _app_states() -> list[type[rx.State]]:
    """Every state of the app the backend serves (the same module builds it here)."""
    import pinconsole.pinconsole  # noqa: F401  (the app: its pages import every state)

    found: list[type[rx.State]] = []

    def walk(state: type[rx.State]) -> None:
        found.append(state)
        for sub in sorted(state.get_substates(), key=lambda s: s.get_full_name()):
            walk(sub)

    walk(rx.State)
    return found


def _defaults() -> dict[str, dict[str, Any]]:
    """Each state's vars (computed ones too) as a fresh browser's state has them, serialised
    as a delta carries them."""
    return json.loads(format.json_dumps(rx.State(_reflex_internal_init=True).dict()))


def _handler_states(on_load: Any) -> set[str]:
    handlers = on_load if isinstance(on_load, list | tuple) else [on_load]
    return {h.state_full_name for h in handlers if getattr(h, "state_full_name", None)}


@dataclass(frozen=True)
class Pages:
    """Which page each state belongs to, read off the plugin registry."""

    route_of: dict[str, str]  # state -> the route template of the page that loads it
    admin: set[str]  # states of admin-only pages
    public: set[str]  # states of pages anyone may open

    @classmethod
    def read(cls) -> Pages:
        from pinconsole.plugins import get_registry
        from pinconsole.state.base import PUBLIC_ROUTES

        registry = get_registry()
        route_of: dict[str, str] = {}
        admin: set[str] = set()
        public: set[str] = set()
        for page in registry.pages:
            states = _handler_states(page.on_load) if page.on_load else set()
            for state in states:
                route_of.setdefault(state, page.route)
            if page.admin_only:
                admin |= states
            if page.route in PUBLIC_ROUTES:
                public |= states
        entity_route = next(p.route for p in registry.pages if "[kind]" in p.route)
        for tab in registry.entity_tabs:
            for state in _handler_states(tab.on_load) if tab.on_load else set():
                route_of.setdefault(state, entity_route)
        return cls(route_of, admin, public)

    @property
    def routes(self) -> list[str]:
        from pinconsole.plugins import get_registry

        return [p.route for p in get_registry().pages]


# ---------------------------------------------------------------- the demo data to aim at


@dataclass(frozen=True)
class Targets:
    """Real names from the running backend, so loaders find something to leak."""

    cluster: str
    namespace: str
    pinapp: str
    own_pod: str  # a pod of that PinApp
    foreign_pod: str  # a pod of another PinApp in the same namespace
    component: str  # a component whose entity page has the Workloads tab
    team: str
    member: str  # a demo user who is no administrator
    admin: str

    def concrete(self, template: str) -> tuple[str, dict[str, str]]:
        """A page's path and route args for a route template."""
        args: dict[str, str] = {}
        if "[cluster]" in template:
            args = {"cluster": self.cluster, "namespace": self.namespace, "name": self.pinapp}
        elif "[kind]" in template:
            args = {"kind": "component", "namespace": "default", "name": self.component}
        elif template.startswith("/teams/"):
            args = {"name": self.team}
        elif template.startswith("/users/"):
            args = {"name": self.member}
        path = template
        for key, value in args.items():
            path = path.replace(f"[{key}]", value)
        return path, args


def _token(backend: Backend, user: str, *flags: str) -> str:
    return backend.cli("token", "create", "--user", user, *flags).strip().splitlines()[-1]


def _targets(backend: Backend) -> Targets:
    api = httpx.Client(
        base_url=f"{backend.url}/api/v1",
        headers={
            "Authorization": f"Bearer {_token(backend, 'probe', '--service-account', '--admin')}"
        },
        timeout=30,
    )
    deadline = time.monotonic() + 120
    pair: list[dict[str, Any]] = []
    while not pair and time.monotonic() < deadline:  # the sandbox starts with the backend's jobs
        by_namespace: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for row in api.get("/workloads", params={"limit": 100}).json().get("items", []):
            detail = api.get(f"/workloads/{row['cluster']}/{row['namespace']}/{row['name']}")
            row["pod_names"] = [p["name"] for p in detail.json().get("pods", [])]
            if row["pod_names"] and row.get("service"):
                by_namespace.setdefault((row["cluster"], row["namespace"]), []).append(row)
        pair = next((apps[:2] for apps in by_namespace.values() if len(apps) > 1), [])
        if not pair:
            time.sleep(1)
    assert pair, f"no two PinApps with pods in one namespace: {backend.log_tail()}"
    one, other = pair
    users = api.get("/entities", params={"filter": "kind=user", "limit": 200}).json()["items"]
    teams = api.get("/entities", params={"filter": "kind=group", "limit": 1}).json()["items"]
    in_platform = [u for u in users if "platform" in (u["spec"].get("memberOf") or [])]
    outside = [u for u in users if not set(u["spec"].get("memberOf") or []) & {"platform"}]
    admin = in_platform[0]["metadata"]["name"]
    assert _is_admin(backend, admin)
    member = next(
        u["metadata"]["name"] for u in outside[:5] if not _is_admin(backend, u["metadata"]["name"])
    )
    return Targets(
        cluster=one["cluster"],
        namespace=one["namespace"],
        pinapp=one["name"],
        own_pod=one["pod_names"][0],
        foreign_pod=other["pod_names"][0],
        component=one["service"].rsplit("/", 1)[-1],
        team=teams[0]["metadata"]["name"],
        member=member,
        admin=admin,
    )


def _is_admin(backend: Backend, user: str) -> bool:
    token = _token(backend, user)
    me = httpx.get(
        f"{backend.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    return bool(me.json()["isAdmin"])


# ---------------------------------------------------------------- calls


# Values that make a handler do its work (a facet that exists, a sort key that is valid);
# by parameter name, then by handler and parameter, then by type.
_BY_PARAM: dict[str, Any] = {
    "field": "kind",
    "url": "/catalog",
    "row": {"id": "1", "actor": "x"},
    "kind": "info",
    "vars": {},
    "info": "Error: probe",
    "component_stack": "",
}
_BY_HANDLER: dict[tuple[str, str], Any] = {
    ("set_facet", "value"): "component",
    ("toggle_facet", "value"): "component",
    ("set_tab", "value"): "relations",
    ("set_health", "value"): "healthy",
    ("set_outcome", "value"): "denied",
    ("sort_by", "key"): "score",
    ("sort", "key"): "name",
    ("key_down", "key"): "ArrowDown",
    ("set_log_tail", "value"): "50",
    ("set_replicas_input", "value"): "3",
}
_BY_TYPE: dict[Any, Any] = {bool: True, int: 1, float: 1.0, dict: {}, list: []}


def _payload(handler: Any, name: str, targets: Targets) -> dict[str, Any]:
    fn = handler.fn
    params = list(inspect.signature(fn).parameters.values())[1:]
    hints = handler._type_hints or {}
    out: dict[str, Any] = {}
    for p in params:
        if p.name == "pod":
            out[p.name] = targets.foreign_pod  # the attack: another workload's pod
        elif p.name == "key" and name == "show_chart":
            out[p.name] = f"{targets.cluster}/{targets.namespace}/{targets.pinapp}"
        elif p.name == "name":
            out[p.name] = targets.member
        elif p.name == "form_data":
            out[p.name] = {"username": targets.member, "password": "not-the-password"}
        elif (name, p.name) in _BY_HANDLER:
            out[p.name] = _BY_HANDLER[(name, p.name)]
        elif p.name in _BY_PARAM:
            out[p.name] = _BY_PARAM[p.name]
        else:
            hint = hints.get(p.name)
            origin = getattr(hint, "__origin__", hint)
            out[p.name] = _BY_TYPE.get(origin, "a")
    return out


@dataclass(frozen=True)
class Call:
    state: str
    handler: str
    payload: dict[str, Any]
    router: dict[str, Any]
    background: bool

    @property
    def name(self) -> str:
        return f"{self.state}.{self.handler}"

    def __str__(self) -> str:
        where = self.router["pathname"]
        return f"{self.state.rsplit('.', 1)[-1]}.{self.handler}({self.payload}) on {where}"


def _calls(targets: Targets, pages: Pages) -> list[Call]:
    """Every handler of every state, with a plausible payload, on its page; handlers of
    Reflex's own states (hydrate, on_load_internal, ...) on every page."""
    calls: list[Call] = []
    for state in _app_states():
        full = state.get_full_name()
        own = full.startswith(APP_STATE) or not state.__module__.startswith("reflex")
        templates = [pages.route_of.get(full, "/")] if own else pages.routes
        for template in templates:
            path, args = targets.concrete(template)
            router = route(path, args)
            for name, handler in sorted(state.event_handlers.items()):
                payloads = [_payload(handler, name, targets)]
                if name == "setvar":  # it calls a set_<var> handler by the var's name
                    setters = [h[4:] for h in state.event_handlers if h.startswith("set_")]
                    payloads = [{"var_name": var, "value": "a"} for var in setters]
                for payload in payloads:
                    calls.append(Call(full, name, payload, router, handler.is_background))
    return calls


BATCH = 40  # tabs open at once


def _run_all(
    backend: Backend,
    calls: list[Call],
    cookie: str | None,
    until: Callable[[Session], bool] | None = None,
) -> list[Session]:
    """Each call in a tab of its own, a batch at a time, each answered; background calls (one
    batch of their own) are given the time a live loop waits before its first refresh.

    ``until``: what a tab waits for besides the marker, for up to a minute. A page's loaders
    run as events of their own that on_load_internal chains, and may answer after the marker
    on a busy machine."""
    order = sorted(range(len(calls)), key=lambda i: calls[i].background)
    sessions: dict[int, Session] = {}
    batches = [order[i : i + BATCH] for i in range(0, len(order), BATCH)]
    for batch in batches:
        opened: list[tuple[int, Session, str]] = []
        try:
            for i in batch:
                call = calls[i]
                session = connect(backend, cookie=cookie)
                opened.append((i, session, ""))
                session.emit(call.name, call.payload, call.router)
                opened[-1] = (i, session, session.mark(call.router))
            for _i, session, marker in opened:
                session.wait_marked(marker, timeout=60)
                if until is not None:
                    session.wait_for(until, timeout=60)
            if any(calls[i].background for i in batch):
                time.sleep(BACKGROUND_GRACE)
        finally:
            for i, session, _marker in opened:
                session.close()
                sessions[i] = session
    return [sessions[i] for i in range(len(calls))]


def _leaks(
    session: Session, defaults: dict[str, dict[str, Any]], guarded: set[str], own_identity: bool
) -> list[str]:
    """Vars of the ``guarded`` states that a delta moved off their defaults."""
    found = []
    for delta in session.deltas:
        for state, values in delta.items():
            if state not in guarded or (own_identity and state == APP_STATE):
                continue
            for var, value in values.items():
                if var.endswith(FIELD) and value != defaults.get(state, {}).get(var, value):
                    found.append(f"{state.rsplit('.', 1)[-1]}.{var.removesuffix(FIELD)}")
    return sorted(set(found))


# ---------------------------------------------------------------- tests


# A run of the org sync an administrator sees on /admin/org (the demo has no directory).
SYNC_RUN = """
from datetime import UTC, datetime
from pinconsole.db import session_scope
from pinconsole.models.org import OrgSyncRun
with session_scope() as s:
    s.add(OrgSyncRun(provider="ldap", status="failed", finished_at=datetime.now(UTC),
                     error="bind to ldap://10.20.0.7:389 as cn=sync refused",
                     triggered_by="schedule"))
"""


@pytest.fixture(scope="module")
def backend() -> Iterator[Backend]:
    with demo_backend() as running:
        subprocess.run(
            [sys.executable, "-c", SYNC_RUN], cwd=ROOT, env=running.env, check=True, timeout=60
        )
        yield running


@pytest.fixture(scope="module")
def targets(backend: Backend) -> Targets:
    return _targets(backend)


def _feature_states(pages: Pages) -> set[str]:
    """States whose data needs a session: AppState and everything under it but public pages."""
    return {
        s.get_full_name()
        for s in _app_states()
        if s.get_full_name().startswith(APP_STATE) and s.get_full_name() not in pages.public
    }


def test_no_handler_answers_a_browser_without_a_session(backend: Backend, targets: Targets) -> None:
    pages = Pages.read()
    calls = _calls(targets, pages)
    assert len(calls) > 100  # every handler of every state, Reflex's own on every page
    sessions = _run_all(backend, calls, cookie=None)
    defaults, guarded = _defaults(), _feature_states(pages)
    leaked = {}
    for call, session in zip(calls, sessions, strict=True):
        # A public page's handler may sign the tab in (the demo's user picker does): then it
        # is a member's tab, and only what members may not see is protected.
        signs_in = call.state in pages.public
        protected = pages.admin if signs_in else guarded
        if leaks := _leaks(session, defaults, protected, own_identity=signs_in):
            leaked[str(call)] = leaks
    assert not leaked, json.dumps(leaked, indent=1)


def test_no_admin_handler_answers_a_non_administrator(backend: Backend, targets: Targets) -> None:
    pages = Pages.read()
    calls = _calls(targets, pages)
    cookie = sign_session(targets.member, secret=backend.env["PINCONSOLE_SESSION_SECRET"])
    sessions = _run_all(backend, calls, cookie=cookie)
    defaults = _defaults()
    leaked = {
        str(call): leaks
        for call, session in zip(calls, sessions, strict=True)
        if (leaks := _leaks(session, defaults, pages.admin, own_identity=True))
    }
    # ... and the logs of another workload's pod never reach the PinApp page.
    pinapp = next(s for s in pages.route_of if s.endswith("pod_logs_state"))
    lines = [
        line
        for session in sessions
        for delta in session.deltas
        for line in delta.get(pinapp, {}).get(f"log_lines{FIELD}", [])
    ]
    assert (leaked, lines[:3]) == ({}, []), json.dumps(leaked, indent=1)
    # The refusals are audited as the API's refused admin routes are: rows naming the handler,
    # at most AUDITED_REFUSALS_PER_MINUTE of them for one caller and client in a minute.
    audit = httpx.get(
        f"{backend.url}/api/v1/audit",
        params={"actor": targets.member, "outcome": "denied", "limit": 500},
        headers={
            "Authorization": f"Bearer {_token(backend, 'probe', '--service-account', '--admin')}"
        },
        timeout=30,
    ).json()["items"]
    audit = [row for row in audit if row["target"].startswith("ui:")]  # not PinApp actions
    admin_classes = {s.rsplit("____", 1)[-1].replace("_", "") for s in pages.admin}
    refused = {row["target"][3:].split(".")[0].lower() for row in audit}
    assert refused and refused <= admin_classes, audit
    assert 0 < len(audit) <= AUDITED_REFUSALS_PER_MINUTE
    assert all(row["action"].startswith("admin.") for row in audit)


def test_the_detector_sees_what_is_shown_to_whom_it_may_be(
    backend: Backend, targets: Targets
) -> None:
    """The same reading of deltas finds data where there is some: an administrator gets every
    admin page's data, a member the logs of the PinApp's own pod (else the tests above could
    pass on a backend that answers nothing at all)."""
    pages = Pages.read()
    secret = backend.env["PINCONSOLE_SESSION_SECRET"]
    # As a browser opens a page: Reflex's on_load_internal runs the page's guard and loaders.
    opening = rx.state.OnLoadInternalState.get_full_name()
    admin_routes = {pages.route_of[s] for s in pages.admin}
    loads = [
        c
        for c in _calls(targets, pages)
        if (c.state, c.handler) == (opening, "on_load_internal")
        and c.router["pathname"] in admin_routes
    ]
    assert len(loads) == len(admin_routes) > 0
    defaults = _defaults()
    admin = _run_all(
        backend,
        loads,
        cookie=sign_session(targets.admin, secret=secret),
        until=lambda s: bool(_leaks(s, defaults, pages.admin, own_identity=True)),
    )
    for call, session in zip(loads, admin, strict=True):
        assert _leaks(session, defaults, pages.admin, own_identity=True), call

    pinapp = next(s for s in pages.route_of if s.endswith("pod_logs_state"))
    path, args = targets.concrete(pages.route_of[pinapp])
    own = Call(pinapp, "open_logs", {"pod": targets.own_pod}, route(path, args), False)
    (session,) = _run_all(backend, [own], cookie=sign_session(targets.member, secret=secret))
    assert session.var(pinapp, "log_lines"), session.deltas
