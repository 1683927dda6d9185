"""UI load benchmark: N simulated browser sessions on Reflex's websocket, against the demo.

Each session speaks the protocol the compiled frontend speaks (python-socketio's asyncio
client; one process holds every session): it connects with the hydrate event in the CONNECT
packet (with the hashes of the default state, so the backend sends only what differs from
it, as it does for the compiled frontend), keeps a cookie jar filled from the cookie vars the
backend sends (the session cookie of the sign-in), and sends the jar as a browser does: the
``Cookie`` header of the websocket and the client-storage vars of every hydrate and page
navigation (``update_vars_internal`` then ``on_load_internal``). A session:

1. opens the sign-in page, searches the demo users, signs in as a member of the team owning
   its PinApp, follows the redirect home;
2. opens the catalog (on components), ticks kind=api and lifecycle=production, clears the
   filters, pages forward twice and back once;
3. opens the service of its PinApp and its Workloads tab;
4. opens the PinApp (live charts: the backend pushes updates every few seconds) for
   ``--pinapp-seconds``, types a replica count and scales once (a Conflict, when another
   session scaled the same PinApp first, is the page's optimistic concurrency: reloaded and
   retried once, counted apart from errors); then closes the tab (disconnects).

Between steps it thinks for ``--think`` seconds (uniform); sessions start evenly over the
ramp. Event names come from the state classes (``get_full_name()`` and their handlers, found by
class name in the app's state tree), so a renamed state or handler stops the benchmark with a
message instead of measuring nothing.

Round trip: from the emit of an event to the message that answers it: a navigation (and the
connect) until the root state says ``is_hydrated`` (the page's on_load handlers ran); a handler
until the delta of its state (sign-in: the redirect; scale: its toast). Errors: no answer
within ``--timeout``, a dropped or refused websocket, an error toast (Reflex's "An error
occurred." included), an ``error`` var a page state sets, a redirect to the sign-in page after
signing in. Memory: resident set of every backend process (``pinconsole serve``, Reflex,
granian and its workers) before the sessions, at their peak and after they left, divided by
the sessions; with Redis also the state keys' memory (``MEMORY USAGE`` over its database).

Each run starts a fresh backend (``pinconsole serve --backend-only``) from the checkout whose
``pinconsole`` package is importable (set PYTHONPATH to measure another checkout) on a temp
SQLite file seeded with ``pinconsole demo seed`` (demo sign-in runs only on the embedded SQLite
database; three workers share it in WAL mode). ``--workers 1``: one granian worker, Reflex's
memory state manager; ``--workers 3``: three workers, Reflex's Redis state manager on
``--redis-url`` (a database of its own: it must be empty, and is flushed after each run).

The load generator shares the machine with the backend: its CPU time and event-loop lag are
printed, and so are the load average before each run and the CPU other processes used during
it (the machine is shared; prefer runs where that is near zero: ``--wait-quiet 1.5`` waits
for a low load average before each run).

Run: ``make bench-ui`` (50, 100 and 200 sessions against one and three workers), or
``.venv/bin/python benchmarks/ui_load_bench.py [--sessions 20] [--workers 1] [--json out.json]``.
The defaults (20 sessions, one worker, about 1.5 minutes) are what ``make bench`` runs. The
benchmark reports; it never fails on a figure (exit 1 only when a run could not be made).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import os
import pkgutil
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

try:  # the checkout under test (PYTHONPATH) wins over the one holding this file
    import pinconsole
except ModuleNotFoundError:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import pinconsole

APP_ROOT = Path(pinconsole.__file__).resolve().parent.parent
DEFAULT_REDIS = "redis://127.0.0.1:6379/9"
SERVE = ("-m", "pinconsole.cli", "serve", "--backend-only", "--port")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
Message = dict[str, Any]
Answer = Callable[[Message], bool]


# --------------------------------------------------------------------------- protocol


STATE_CLASSES = {
    "AppState": (),
    "SignInState": ("set_search", "choose", "next_page"),
    "CatalogState": ("toggle_facet", "clear_filters", "next_page", "prev_page"),
    "EntityState": ("set_tab",),
    "WorkloadsState": ("next_page",),
    "PinAppState": ("set_replicas_input", "scale", "reload_forms"),
}


def _state_tree() -> dict[str, type]:
    """Every state class of the app by class name: the app module imported as the backend
    imports it (its pages may define states of their own), and ``pinconsole.state`` read."""
    import reflex as rx
    import reflex.istate.shared  # Reflex's app imports it: a state of the tree

    try:
        importlib.import_module("pinconsole.pinconsole")
    except Exception as exc:  # the app cannot be assembled here: its states are enough
        print(f"note: the app module did not import ({type(exc).__name__}: {exc})")
    import pinconsole.state as states

    for module in pkgutil.walk_packages(states.__path__, "pinconsole.state."):
        importlib.import_module(module.name)
    found: dict[str, type] = {}
    todo: list[type] = [rx.State]
    while todo:
        cls = todo.pop()
        found.setdefault(cls.__name__, cls)
        todo.extend(cls.get_substates())
    return found


@dataclass(frozen=True)
class Protocol:
    """What a compiled frontend of this app sends: event names, var keys, cookie vars."""

    root: str
    hydrate: str
    update_vars: str
    on_load: str
    states: dict[str, str]  # class name -> full state name
    cookies: dict[str, str]  # client-storage key of a cookie var -> cookie name
    marker: str  # suffix of var names in deltas
    handlers: dict[str, tuple[str, ...]]
    hashes: tuple[str, ...]  # of the default state, as the compiled frontend sends them
    default_vars: int  # vars in the default state (a first hydrate not diffed sends them all)

    @classmethod
    def build(cls) -> Protocol:
        import reflex as rx
        from reflex import constants
        from reflex.compiler.utils import compile_client_storage, compile_state
        from reflex.state import OnLoadInternalState, UpdateVarsInternalState, state_snapshot_hashes
        from reflex_base.constants.state import FIELD_MARKER

        tree = _state_tree()
        states, handlers, missing = {}, {}, []
        for name, wanted in STATE_CLASSES.items():
            state = tree.get(name)
            if state is None:
                missing.append(f"state class {name}")
                continue
            states[name] = state.get_full_name()
            handlers[name] = tuple(wanted)
            missing += [f"{name}.{h}" for h in wanted if h not in state.event_handlers]
        if missing:
            raise SystemExit(
                "the app no longer has " + ", ".join(missing) + ": update STATE_CLASSES "
                "and the session script in benchmarks/ui_load_bench.py"
            )
        storage = compile_client_storage(rx.State)[constants.COOKIES]
        defaults = compile_state(rx.State)
        root = rx.State.get_full_name()
        return cls(
            root=root,
            hydrate=f"{root}.{constants.CompileVars.HYDRATE_AND_LOAD}",
            update_vars=f"{UpdateVarsInternalState.get_full_name()}.update_vars_internal",
            on_load=f"{OnLoadInternalState.get_full_name()}.on_load_internal",
            states=states,
            cookies={key: options.get("name") or key for key, options in storage.items()},
            marker=FIELD_MARKER,
            handlers=handlers,
            hashes=tuple(state_snapshot_hashes(defaults)),
            default_vars=sum(len(values) for values in defaults.values()),
        )

    def event(self, state: str, handler: str) -> str:
        assert handler in self.handlers[state], f"{state}.{handler} is not in STATE_CLASSES"
        return f"{self.states[state]}.{handler}"


def _route_params(path: str) -> dict[str, str]:
    """The dynamic route's params the frontend adds to ``query`` (entity and PinApp pages)."""
    parts = path.strip("/").split("/")
    if len(parts) == 4 and parts[0] == "catalog":
        return dict(zip(("kind", "namespace", "name"), parts[1:], strict=True))
    if len(parts) == 4 and parts[0] == "workloads":
        return dict(zip(("cluster", "namespace", "name"), parts[1:], strict=True))
    return {}


class SessionError(Exception):
    """Ends a session: what went wrong, at which step."""

    def __init__(self, kind: str, step: str, message: str) -> None:
        super().__init__(f"{kind} at {step}: {message}")
        self.kind, self.step, self.message = kind, step, message


@dataclass
class Recorder:
    """What every session measured."""

    samples: dict[str, list[float]] = field(default_factory=dict)  # step -> round trips, ms
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # kind, step, message
    conflicts: int = 0
    unresolved: int = 0  # a Conflict again after reloading the forms
    completed: int = 0
    scaled: int = 0
    live_pushes: int = 0
    live_gaps: list[float] = field(default_factory=list)  # seconds between pushes
    hydrate_vars: list[int] = field(default_factory=list)  # vars in each connect's first delta

    def add(self, step: str, ms: float) -> None:
        self.samples.setdefault(step, []).append(ms)

    def error(self, kind: str, step: str, message: str) -> None:
        self.errors.append((kind, step, message[:300]))

    def all_samples(self) -> list[float]:
        return [ms for values in self.samples.values() for ms in values]


# A toast as Reflex sends it: refs['__toast']?.["error"]("Title", ({ ["description"] : "..." }))
_JS_STRING = r'"((?:[^"\\]|\\.)*)"'
TOAST = re.compile(
    r"__toast'\]\?\.\[\"(\w+)\"\]\("
    + _JS_STRING
    + r'(?:, \(\{ \["description"\] : '
    + _JS_STRING
    + ")?"
)
REPLACE_STATE = re.compile(r"""history\.replaceState\(null, '', "((?:[^"\\]|\\.)*)"\)""")


class Browser:
    """One tab: a websocket, the state the frontend would hold, a cookie jar, the URL."""

    def __init__(self, base: str, proto: Protocol, rec: Recorder, timeout: float) -> None:
        import socketio

        self.base, self.proto, self.rec, self.timeout = base, proto, rec, timeout
        self.sio = socketio.AsyncClient(reconnection=False)
        self.vars: dict[str, dict[str, Any]] = {}
        self.jar: dict[str, str] = {}
        self.path, self.query = "/", {}
        self.redirect: str | None = None
        self.toasts: list[tuple[str, str, str]] = []  # level, title, description: every one
        self.answer_toasts: list[tuple[str, str, str]] = []  # those of the last exchange
        self._checked = 0  # toasts already looked at for errors
        self._waiting: tuple[Answer, asyncio.Future[float]] | None = None
        self._live_state: str | None = None  # a state whose unsolicited deltas are live pushes
        self._last_push = 0.0
        self.disconnected = False
        self._connected_once = False
        self._first_message = True
        self.sio.on("event", self._on_event, namespace="/_event")
        self.sio.on("disconnect", self._on_disconnect, namespace="/_event")

    # ---- what the frontend does with a message
    async def _on_event(self, message: Message) -> None:
        now = time.perf_counter()
        if self._first_message:
            self._first_message = False
            self.rec.hydrate_vars.append(sum(map(len, (message.get("delta") or {}).values())))
        for state, values in (message.get("delta") or {}).items():
            self.vars.setdefault(state, {}).update(values)
            for name, value in values.items():
                cookie = self.proto.cookies.get(f"{state}.{name}")
                if cookie is not None:
                    self.jar[cookie] = str(value)
        for event in message.get("events") or []:
            payload = event.get("payload") or {}
            if event.get("name") == "_redirect":
                self.redirect = str(payload.get("path", ""))
            code = str(payload.get("function") or payload.get("javascript_code") or "")
            if (toast := TOAST.search(code)) is not None:
                self.toasts.append(
                    (toast[1], json.loads(f'"{toast[2]}"'), json.loads(f'"{toast[3] or ""}"'))
                )
            if (url := REPLACE_STATE.search(code)) is not None:
                self._set_url(json.loads(f'"{url[1]}"'))
        waiting = self._waiting
        if waiting is not None:
            if not waiting[1].done() and waiting[0](message):
                waiting[1].set_result(now)
        elif self._live_state and self._live_state in (message.get("delta") or {}):
            self.rec.live_pushes += 1
            if self._last_push:
                self.rec.live_gaps.append(now - self._last_push)
            self._last_push = now

    async def _on_disconnect(self, *_args: Any) -> None:
        self.disconnected = True
        if self._waiting is not None and not self._waiting[1].done():
            self._waiting[1].set_exception(ConnectionError("the websocket was closed"))

    def _set_url(self, url: str) -> None:
        from urllib.parse import parse_qsl, urlsplit

        parts = urlsplit(url)
        self.path, self.query = parts.path or "/", dict(parse_qsl(parts.query))

    def var(self, state: str, name: str, default: Any = None) -> Any:
        values = self.vars.get(self.proto.states[state], {})
        return values.get(name + self.proto.marker, default)

    def _router_data(self) -> dict[str, Any]:
        from urllib.parse import urlencode

        search = f"?{urlencode(self.query)}" if self.query else ""
        data: dict[str, Any] = {"pathname": self.path, "asPath": self.path + search}
        query = {**self.query, **_route_params(self.path)}
        if query:
            data["query"] = query
        return data

    def _storage_vars(self) -> dict[str, str]:
        """The cookie vars the browser holds (``hydrateClientStorage``)."""
        by_name = {name: key for key, name in self.proto.cookies.items()}
        return {by_name[name]: value for name, value in self.jar.items() if name in by_name}

    # ---- measured exchanges
    async def _exchange(self, step: str, answer: Answer, events: list[Message] | None) -> float:
        """Send ``events`` (or connect, when None) and wait for the message ``answer`` accepts."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[float] = loop.create_future()
        self._waiting = (answer, future)
        self.redirect, mark = None, len(self.toasts)
        started = time.perf_counter()
        try:
            if events is None:
                await self._connect()
            else:
                for event in events:
                    await self.sio.emit("event", event, namespace="/_event")
            answered = await asyncio.wait_for(future, self.timeout)
        except TimeoutError:
            raise SessionError("timeout", step, f"no answer in {self.timeout:.0f} s") from None
        except Exception as exc:
            raise SessionError("websocket", step, f"{type(exc).__name__}: {exc}") from None
        finally:
            self._waiting = None
        ms = (answered - started) * 1000
        self.rec.add(step, ms)
        await asyncio.sleep(0.05)  # what the answer's tail carries (toasts, URL) arrives too
        self.answer_toasts = self.toasts[mark:]
        self.check_toasts(step)
        if (
            self.redirect
            and self.redirect.startswith("/signin")
            and self.var("AppState", "user_name")
        ):
            raise SessionError("signed out", step, f"sent to {self.redirect}")
        return ms

    def check_toasts(self, step: str) -> None:
        """An error toast since the last look is an error (a Conflict is the caller's)."""
        new, self._checked = self.toasts[self._checked :], len(self.toasts)
        for level, title, description in new:
            if level == "error" and title != "Conflict":
                raise SessionError("error toast", step, f"{title}: {description}")

    async def _connect(self) -> None:
        payload: dict[str, Any] = {}
        if storage := self._storage_vars():
            payload["vars"] = storage
        if not self._connected_once:  # the frontend holds the compiled defaults: a diff will do
            payload["hashes"] = list(self.proto.hashes)
        self._connected_once = True
        boot = {"name": self.proto.hydrate, "payload": payload, "router_data": self._router_data()}
        cookie = "; ".join(f"{name}={value}" for name, value in self.jar.items())
        headers = {"Origin": self.base, **({"Cookie": cookie} if cookie else {})}
        await self.sio.connect(
            f"{self.base}?token={uuid.uuid4()}",
            headers=headers,
            auth={"event": boot},
            transports=["websocket"],
            namespaces=["/_event"],
            socketio_path="/_event",
            wait_timeout=self.timeout,
        )

    def _hydrated(self, message: Message) -> bool:
        root = (message.get("delta") or {}).get(self.proto.root) or {}
        return root.get("is_hydrated" + self.proto.marker) is True

    def _delta_of(self, state: str, var: str | None = None, value: Any = None) -> Answer:
        key = self.proto.states[state]

        def answer(message: Message) -> bool:
            values = (message.get("delta") or {}).get(key)
            if values is None:
                return False
            return var is None or values.get(var + self.proto.marker) == value

        return answer

    async def open(self, path: str, step: str) -> float:
        """Connect with ``path`` as the page (a new tab)."""
        self._set_url(path)
        return await self._exchange(step, self._hydrated, None)

    async def navigate(self, url: str, step: str, page_state: str | None = None) -> float:
        """A client-side navigation: client storage, then the page's on_load chain."""
        self._set_url(url)
        events: list[Message] = []
        if storage := self._storage_vars():
            events.append(
                {"name": self.proto.update_vars, "payload": {"vars": storage}, "router_data": {}}
            )
        events.append({"name": self.proto.on_load, "payload": {}, "router_data": {}})
        for event in events:
            event["router_data"] = self._router_data()
        ms = await self._exchange(step, self._hydrated, events)
        if page_state and (error := self.var(page_state, "error")):
            raise SessionError("page error", step, str(error))
        return ms

    async def call(
        self, state: str, handler: str, payload: dict[str, Any], step: str, answer: Answer
    ) -> float:
        event = {
            "name": self.proto.event(state, handler),
            "payload": payload,
            "router_data": self._router_data(),
        }
        return await self._exchange(step, answer, [event])

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.sio.disconnect()


# --------------------------------------------------------------------------- the session


@dataclass(frozen=True)
class Plan:
    user: str
    entity_url: str
    pinapp_url: str


@dataclass(frozen=True)
class Pace:
    think: tuple[float, float]
    pinapp_seconds: float
    timeout: float


async def session(base: str, proto: Protocol, plan: Plan, pace: Pace, rec: Recorder, seed: int):
    rng = random.Random(seed)
    tab = Browser(base, proto, rec, pace.timeout)

    async def think() -> None:
        await asyncio.sleep(rng.uniform(*pace.think))

    catalog = tab._delta_of("CatalogState")
    try:
        await tab.open("/signin", "open sign-in page")
        await think()
        search = plan.user.split(".")[0][:4]
        await tab.call(
            "SignInState",
            "set_search",
            {"value": search},
            "search users",
            tab._delta_of("SignInState"),
        )
        await think()
        await tab.call(
            "SignInState",
            "choose",
            {"name": plan.user},
            "sign in",
            lambda m: _has_event(m, "_redirect"),
        )
        await tab.navigate(tab.redirect or "/", "page /")
        if tab.var("AppState", "user_name") != plan.user:
            raise SessionError(
                "not signed in", "page /", f"user is {tab.var('AppState', 'user_name')!r}"
            )
        await think()
        await tab.navigate("/catalog", "page /catalog", "CatalogState")
        for step, handler, payload in (
            ("filter kind", "toggle_facet", {"field": "kind", "value": "api"}),
            ("filter lifecycle", "toggle_facet", {"field": "lifecycle", "value": "production"}),
            ("clear filters", "clear_filters", {}),
            ("next page", "next_page", {}),
            ("next page", "next_page", {}),
            ("previous page", "prev_page", {}),
        ):
            await think()
            await tab.call("CatalogState", handler, payload, step, catalog)
            if error := tab.var("CatalogState", "error"):
                raise SessionError("page error", step, str(error))
        await think()
        await tab.navigate(plan.entity_url, "page entity", "EntityState")
        if "workloads" in (tab.var("EntityState", "plugin_tab_ids") or []):
            await think()
            answer = tab._delta_of("EntityState", "tab", "workloads")
            await tab.call("EntityState", "set_tab", {"value": "workloads"}, "entity tab", answer)
        await think()
        tab._live_state = proto.states["PinAppState"]
        await tab.navigate(plan.pinapp_url, "page PinApp", "PinAppState")
        opened = time.perf_counter()
        await asyncio.sleep(rng.uniform(0.15, 0.5) * pace.pinapp_seconds)
        if tab.var("PinAppState", "can_act"):
            await _scale(tab, rng, rec)
        else:
            rec.error("cannot act", "scale", f"{plan.user} may not scale {plan.pinapp_url}")
        await asyncio.sleep(max(0.0, opened + pace.pinapp_seconds - time.perf_counter()))
        tab.check_toasts("PinApp page")
        if error := tab.var("PinAppState", "error"):
            raise SessionError("page error", "PinApp page", str(error))
        if tab.disconnected:
            raise SessionError("websocket", "PinApp page", "the websocket was closed")
        rec.completed += 1
    except SessionError as exc:
        rec.error(exc.kind, exc.step, exc.message)
    except Exception as exc:  # a bug of this script or a message it did not expect
        rec.error("client", "?", f"{type(exc).__name__}: {exc}")
    finally:
        await tab.close()


def _has_event(message: Message, name: str) -> bool:
    return any(e.get("name") == name for e in message.get("events") or [])


def _toast(message: Message) -> bool:
    return any(
        "__toast" in str((e.get("payload") or {}).get("function", ""))
        for e in message.get("events") or []
    )


async def _scale(tab: Browser, rng: random.Random, rec: Recorder) -> None:
    """Type a replica count and press Scale; after a Conflict, reload the forms and retry once."""
    for attempt in range(2):
        current = int(tab.var("PinAppState", "replicas_input") or 1)
        target = current + 1 if current < 5 else current - 1
        typed = tab._delta_of("PinAppState", "replicas_input", str(target))
        await tab.call(
            "PinAppState", "set_replicas_input", {"value": str(target)}, "type replicas", typed
        )
        await asyncio.sleep(rng.uniform(0.3, 0.8))
        await tab.call("PinAppState", "scale", {}, "scale", _toast)
        if not any(title == "Conflict" for _level, title, _d in tab.answer_toasts):
            rec.scaled += 1
            return
        rec.conflicts += 1
        if attempt == 0:
            await asyncio.sleep(rng.uniform(0.5, 1.5))
            reloaded = tab._delta_of("PinAppState", "conflict", False)
            await tab.call("PinAppState", "reload_forms", {}, "reload forms", reloaded)
    rec.unresolved += 1


# --------------------------------------------------------------------------- discovery


@dataclass(frozen=True)
class Target:
    """A PinApp, the page of its service, and the members of the team owning it."""

    entity_url: str
    pinapp_url: str
    members: tuple[str, ...]


def plan_for(targets: list[Target], index: int) -> Plan:
    """Session ``index``: the PinApps in turn, each one's members in turn."""
    target = targets[index % len(targets)]
    user = target.members[(index // len(targets)) % len(target.members)]
    return Plan(user, target.entity_url, target.pinapp_url)


async def discover(base: str, proto: Protocol, timeout: float) -> list[Target]:
    """Demo users with their teams (the sign-in page's list, page by page) and every PinApp
    with its team and service (the /workloads list): the PinApps whose team has members."""
    tab = Browser(base, proto, Recorder(), timeout)
    try:
        await tab.open("/signin", "discover")
        people: dict[str, list[str]] = {}
        while True:
            for person in tab.var("SignInState", "people") or []:
                people[person["name"]] = [t.strip() for t in person.get("teams", "").split(",")]
            if not tab.var("SignInState", "has_next"):
                break
            answer = tab._delta_of("SignInState", "page", tab.var("SignInState", "page") + 1)
            await tab.call("SignInState", "next_page", {}, "discover", answer)
        redirected = lambda m: _has_event(m, "_redirect")  # noqa: E731
        await tab.call(
            "SignInState", "choose", {"name": next(iter(people))}, "discover", redirected
        )
        await tab.navigate("/workloads", "discover", "WorkloadsState")
        apps: list[dict[str, str]] = []
        while True:
            apps += tab.var("WorkloadsState", "rows") or []
            if not tab.var("WorkloadsState", "has_next"):
                break
            answer = tab._delta_of("WorkloadsState", "page", tab.var("WorkloadsState", "page") + 1)
            await tab.call("WorkloadsState", "next_page", {}, "discover", answer)
    finally:
        await tab.close()
    members: dict[str, list[str]] = {}
    for name, teams in people.items():
        for team in teams:
            members.setdefault(team, []).append(name)
    targets = []
    for app in apps:
        team = str(app.get("team", "")).rsplit("/", 1)[-1]
        kind, _, rest = str(app.get("service", "")).partition(":")
        namespace, _, name = rest.rpartition("/")
        if members.get(team) and name:
            entity = f"/catalog/{kind.lower()}/{namespace or 'default'}/{name}"
            targets.append(Target(entity, app["url"], tuple(members[team])))
    return targets


# --------------------------------------------------------------------------- the backend


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _app_env(data_dir: Path) -> dict[str, str]:
    """The environment of the app's own commands: the checkout under test, the demo's
    settings on the temp SQLite file, nothing a developer's shell or pinconsole.toml sets."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PINCONSOLE_", "GRANIAN_"))}
    path = env.get("PYTHONPATH", "")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(APP_ROOT), path) if p)
    env["REFLEX_USE_NPM"] = "1"
    env["PINCONSOLE_DATA_DIR"] = str(data_dir)
    env["PINCONSOLE_CONFIG"] = str(data_dir / "none.toml")
    env["PINCONSOLE_AUTH_MODE"] = "demo"
    return env


def seed_demo(data_dir: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pinconsole.cli", "demo", "seed"],
        cwd=APP_ROOT,
        env=_app_env(data_dir),
        check=True,
        capture_output=True,
        timeout=600,
    )


@dataclass(frozen=True)
class Backend:
    base: str
    pid: int
    log: Path


@contextlib.contextmanager
def backend(data_dir: Path, work: Path, workers: int, redis_url: str | None) -> Iterator[Backend]:
    """``pinconsole serve --backend-only`` on a free port (jobs on: they start the sandbox)."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = _app_env(data_dir)
    env.update(
        PINCONSOLE_API_URL=base,  # the Origin the websocket accepts
        PINCONSOLE_JOBS_ENABLED="true",
        GRANIAN_WORKERS=str(workers),
        GRANIAN_LOG_LEVEL="warning",
        REFLEX_WEB_WORKDIR=str(work / "web"),
        REFLEX_STATES_WORKDIR=str(work / f"states-{port}"),
    )
    if redis_url:
        env["PINCONSOLE_REDIS_URL"] = redis_url
    log = work / f"backend-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, *SERVE, str(port)], cwd=APP_ROOT, env=env, stdin=subprocess.DEVNULL,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        import urllib.request

        deadline = time.monotonic() + 300
        while True:
            health = f"{base}/api/v1/health"
            with contextlib.suppress(OSError), urllib.request.urlopen(health, timeout=2) as answer:
                if answer.status == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"the backend did not start:\n{tail}")
            time.sleep(0.5)
        yield Backend(base, proc.pid, log)
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group (Reflex forks workers), SIGKILL if it lingers."""
    for signum, grace in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signum)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(grace)
            return


async def warm_up(backend: Backend, proto: Protocol, workers: int, timeout: float) -> list[Target]:
    """Discover the PinApps until enough fresh connections in a row (several per worker: each
    worker runs its own sandbox and caches) see them; the first pages are imported here."""
    deadline, streak, last = time.monotonic() + 240, 0, ""
    targets: list[Target] = []
    while streak < 3 * workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"no PinApps to open after 240 s ({last or 'none listed'})")
        try:
            targets = await discover(backend.base, proto, timeout)
            last = f"{len(targets)} PinApps with team members"
        except SessionError as exc:
            targets, last = [], str(exc)
        streak = streak + 1 if targets else 0
        if not targets:
            await asyncio.sleep(2)
    return targets


class Sampler:
    """Resident memory and CPU time of a process tree, sampled in a thread."""

    def __init__(self, pid: int, every: float = 0.5) -> None:
        self.pid, self.every = pid, every
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _processes() -> dict[int, tuple[int, int, int]]:
        """pid -> (parent pid, CPU ticks, resident pages) for every process."""
        out = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
                out[int(entry.name)] = (
                    int(fields[1]),
                    int(fields[11]) + int(fields[12]),
                    int(fields[21]),
                )
        return out

    def tree(self) -> tuple[float, float]:
        """(resident MB, CPU seconds) of the process and all its descendants."""
        procs = self._processes()
        members, todo = {self.pid}, [self.pid]
        while todo:
            parent = todo.pop()
            for pid, (ppid, _cpu, _rss) in procs.items():
                if ppid == parent and pid not in members:
                    members.add(pid)
                    todo.append(pid)
        pages = sum(procs[p][2] for p in members if p in procs)
        ticks = sum(procs[p][1] for p in members if p in procs)
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20, ticks / CLOCK_TICKS

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            with contextlib.suppress(Exception):
                self.peak_mb = max(self.peak_mb, self.tree()[0])

    def __enter__(self) -> Sampler:
        self.peak_mb = self.tree()[0]
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def machine_busy_seconds() -> float:
    """CPU seconds all processes of the machine used since boot (``/proc/stat``)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def redis_usage(url: str) -> tuple[int, float]:
    """Keys in the database and their memory (MB, ``MEMORY USAGE`` of each)."""
    import redis

    r = redis.Redis.from_url(url)
    keys, total = 0, 0
    for key in r.scan_iter(count=1000):
        keys += 1
        total += r.memory_usage(key) or 0
    return keys, total / 2**20


# --------------------------------------------------------------------------- a run


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


async def _lag_monitor(lags: list[float], stop: asyncio.Event) -> None:
    """How late this process's event loop wakes up: its share of every round trip."""
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(0.1)
        lags.append((time.perf_counter() - started - 0.1) * 1000)


async def drive(
    backend: Backend, proto: Protocol, targets: list[Target], sessions: int, pace: Pace, ramp: float
) -> tuple[Recorder, list[float]]:
    rec, lags, stop = Recorder(), [], asyncio.Event()
    monitor = asyncio.create_task(_lag_monitor(lags, stop))

    async def delayed(i: int) -> None:
        await asyncio.sleep(ramp * i / sessions)
        await session(backend.base, proto, plan_for(targets, i), pace, rec, seed=i)

    await asyncio.gather(*(delayed(i) for i in range(sessions)))
    stop.set()
    await monitor
    return rec, lags


def run(
    args: argparse.Namespace,
    proto: Protocol,
    data_dir: Path,
    work: Path,
    workers: int,
    sessions: int,
) -> dict[str, Any]:
    redis_url = args.redis_url if workers > 1 else None
    if redis_url:
        import redis

        r = redis.Redis.from_url(redis_url)
        if r.dbsize():
            if not args.flush_redis:
                raise SystemExit(
                    f"{redis_url} holds {r.dbsize()} keys: pass another --redis-url, or "
                    "--flush-redis if they are an interrupted run's"
                )
            r.flushdb()
    if args.wait_quiet is not None:
        _wait_quiet(args.wait_quiet, args.wait_max)
    pace = Pace(args.think, args.pinapp_seconds, args.timeout)
    ramp = args.ramp if args.ramp is not None else max(5.0, sessions / 10)
    label = (
        f"{workers} worker{'s' * (workers > 1)}, {'Redis' if redis_url else 'memory'} state manager"
    )
    print(f"\n== {label}, {sessions} sessions (ramp {ramp:.0f} s)", flush=True)
    try:
        with backend(data_dir, work, workers, redis_url) as server:
            targets = asyncio.run(warm_up(server, proto, workers, args.timeout))
            time.sleep(3)  # the warm-up's own states settle
            sampler = Sampler(server.pid)
            before_mb, server_cpu0 = sampler.tree()
            load, started = os.getloadavg(), datetime.now(UTC)
            busy0, client0, wall0 = machine_busy_seconds(), _client_cpu(), time.perf_counter()
            with sampler:
                rec, lags = asyncio.run(drive(server, proto, targets, sessions, pace, ramp))
                wall = time.perf_counter() - wall0
                busy, client = machine_busy_seconds() - busy0, _client_cpu() - client0
                server_cpu = sampler.tree()[1] - server_cpu0
                time.sleep(5)  # closed tabs: what the backend keeps, and whether it idles
                after_mb, cpu_after = sampler.tree()
                idle_cpu = (cpu_after - server_cpu0 - server_cpu) / 5
            peak_mb = sampler.peak_mb
            keys, redis_mb = redis_usage(redis_url) if redis_url else (0, 0.0)
            logged = _logged_errors(server.log)
    finally:
        if redis_url:
            import redis

            redis.Redis.from_url(redis_url).flushdb()
    samples = rec.all_samples()
    result = {
        "workers": workers,
        "state_manager": "redis" if redis_url else "memory",
        "sessions": sessions,
        "completed": rec.completed,
        "started_utc": started.strftime("%Y-%m-%d %H:%M"),
        "load_before": [round(v, 2) for v in load],
        "events": len(samples),
        "p50_ms": percentile(samples, 50),
        "p95_ms": percentile(samples, 95),
        "p99_ms": percentile(samples, 99),
        "max_ms": max(samples, default=0.0),
        "errors": len(rec.errors),
        "error_kinds": _count(kind for kind, _s, _m in rec.errors),
        "error_examples": sorted({f"{k} at {s}: {m}" for k, s, m in rec.errors})[:8],
        "conflicts": rec.conflicts,
        "conflicts_unresolved": rec.unresolved,
        "scaled": rec.scaled,
        "steps": {
            step: {
                "n": len(v),
                "p50_ms": percentile(v, 50),
                "p95_ms": percentile(v, 95),
                "p99_ms": percentile(v, 99),
                "max_ms": max(v),
            }
            for step, v in rec.samples.items()
        },
        "full_hydrates": sum(n >= proto.default_vars for n in rec.hydrate_vars),
        "live_pushes": rec.live_pushes,
        "live_gap_p50_s": percentile(rec.live_gaps, 50),
        "live_gap_max_s": max(rec.live_gaps, default=0.0),
        "rss_before_mb": before_mb,
        "rss_peak_mb": peak_mb,
        "rss_after_mb": after_mb,
        "mb_per_session_peak": (peak_mb - before_mb) / sessions,
        "mb_per_session_after": (after_mb - before_mb) / sessions,
        "redis_keys": keys,
        "redis_mb": redis_mb,
        "wall_s": wall,
        "backend_cores": server_cpu / wall,
        "backend_idle_cores_after": idle_cpu,
        "client_cores": client / wall,
        "other_cores": max(0.0, busy - server_cpu - client) / wall,
        "client_lag_p99_ms": percentile(lags, 99),
        "client_lag_max_ms": max(lags, default=0.0),
        "backend_errors_logged": logged,
    }
    _print_run(result)
    return result


def _wait_quiet(limit: float, longest: float) -> None:
    """Wait until the 1-minute load average is at most ``limit`` (the machine is shared)."""
    started = time.monotonic()
    while os.getloadavg()[0] > limit and time.monotonic() - started < longest:
        time.sleep(10)
    waited = time.monotonic() - started
    if waited >= 10:
        print(f"   waited {waited:.0f} s for the load average to fall to {limit}", flush=True)


def _client_cpu() -> float:
    times = os.times()
    return times.user + times.system


def _count(items: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return out


def _logged_errors(log: Path) -> int:
    """Tracebacks and ERROR lines the backend wrote during the run."""
    text = log.read_text(errors="replace")
    return text.count("Traceback (most recent call last)") + len(
        re.findall(r"^\S*.*\bERROR\b", text, re.M)
    )


def _print_run(r: dict[str, Any]) -> None:
    print(
        f"   load average before {r['load_before'][0]:.2f} / {r['load_before'][1]:.2f} / "
        f"{r['load_before'][2]:.2f}; other processes used {r['other_cores']:.2f} cores during "
        f"the run ({r['wall_s']:.0f} s)"
    )
    print(
        f"   round trips: {r['events']} events, p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} "
        f"ms, p99 {r['p99_ms']:.0f} ms, max {r['max_ms']:.0f} ms"
    )
    kinds = ", ".join(f"{k} {n}" for k, n in r["error_kinds"].items()) or "none"
    print(
        f"   errors: {r['errors']} ({kinds}); {r['completed']}/{r['sessions']} sessions done, "
        f"{r['scaled']} scaled, {r['conflicts']} conflicts ({r['conflicts_unresolved']} again "
        f"after reloading the forms); backend logged "
        f"{r['backend_errors_logged']} errors"
    )
    for example in r["error_examples"]:
        print(f"     - {example}")
    print(
        f"   backend RSS {r['rss_before_mb']:.0f} MB before, {r['rss_peak_mb']:.0f} MB peak, "
        f"{r['rss_after_mb']:.0f} MB after: {r['mb_per_session_peak']:.2f} MB per session at "
        f"the peak, {r['mb_per_session_after']:.2f} MB kept"
        + (f"; Redis {r['redis_keys']} keys, {r['redis_mb']:.1f} MB" if r["redis_keys"] else "")
    )
    print(
        f"   CPU: backend {r['backend_cores']:.2f} cores ({r['backend_idle_cores_after']:.2f} "
        f"in the 5 s after the tabs closed), load generator {r['client_cores']:.2f} cores "
        f"(loop lag p99 {r['client_lag_p99_ms']:.0f} ms, max {r['client_lag_max_ms']:.0f} ms)"
    )
    print(
        f"   live PinApp updates: {r['live_pushes']} pushes, gap p50 "
        f"{r['live_gap_p50_s']:.1f} s, max {r['live_gap_max_s']:.1f} s"
    )
    if r["full_hydrates"]:  # the compiled frontend's hashes would have matched: say so
        print(
            f"   note: {r['full_hydrates']} connects got the whole state, not a diff against "
            "the defaults (the backend's state tree differs from the one seen here)"
        )
    print(f"   {'step':<20} {'n':>5} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}  ms")
    for step, s in r["steps"].items():
        print(
            f"   {step:<20} {s['n']:>5} {s['p50_ms']:>7.0f} {s['p95_ms']:>7.0f} "
            f"{s['p99_ms']:>7.0f} {s['max_ms']:>7.0f}"
        )


def _summary(results: list[dict[str, Any]]) -> None:
    print(
        "\n| workers (state) | sessions | events | p50 | p95 | p99 | errors | MB/session "
        "(peak / kept) | load avg before | others' cores |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['workers']} ({r['state_manager']}) | {r['sessions']} | {r['events']} | "
            f"{r['p50_ms']:.0f} ms | {r['p95_ms']:.0f} ms | {r['p99_ms']:.0f} ms | {r['errors']} "
            f"| {r['mb_per_session_peak']:.2f} / {r['mb_per_session_after']:.2f} | "
            f"{r['load_before'][0]:.2f} | {r['other_cores']:.2f} |"
        )


def _describe_machine() -> str:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} CPUs ({model or platform.machine()}), {memory:.0f} GB RAM"


def _app_commit() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(APP_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            [
                "git",
                "-C",
                str(APP_ROOT),
                "status",
                "--porcelain",
                "--",
                "pinconsole",
                "rxconfig.py",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" with uncommitted changes" if dirty else "")


def _numbers(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=_numbers, default=[20], help="e.g. 50,100,200")
    parser.add_argument(
        "--workers",
        type=_numbers,
        default=[1],
        help="1: one worker, memory state manager; more: that many workers, Redis state manager",
    )
    parser.add_argument("--redis-url", default=DEFAULT_REDIS, help="a database of its own")
    parser.add_argument("--flush-redis", action="store_true", help="empty it first if it is not")
    parser.add_argument("--pinapp-seconds", type=float, default=30.0)
    parser.add_argument(
        "--think",
        type=lambda t: tuple(float(v) for v in t.split(",")),
        default=(1.0, 3.0),
        help="seconds between steps, uniform: MIN,MAX",
    )
    parser.add_argument("--ramp", type=float, default=None, help="seconds (default sessions/10)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds an answer may take")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        metavar="LOAD",
        help="before each run, wait until the 1-minute load average is at most LOAD",
    )
    parser.add_argument("--wait-max", type=float, default=1800.0, help="seconds, at most")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    # A stop (SIGTERM) unwinds like Ctrl-C, so the backend's process group is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    work = Path(tempfile.mkdtemp(prefix="pinconsole-uiload-"))
    data_dir = work / "data"
    data_dir.mkdir()
    # This process imports the app (for event names and the default state): with its settings.
    environment = _app_env(data_dir)
    os.environ.clear()
    os.environ.update(environment)
    proto = Protocol.build()
    print(
        f"UI load benchmark {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {_describe_machine()}; "
        f"app {APP_ROOT.name} at {_app_commit()}; Python {platform.python_version()}"
    )
    results = []
    try:
        seed_demo(data_dir)
        for workers in args.workers:
            for sessions in args.sessions:
                results.append(run(args, proto, data_dir, work, workers, sessions))
    except RuntimeError as exc:
        print(f"the run could not be made: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _summary(results)
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
