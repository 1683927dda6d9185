"""States are thin and never block the event loop: checked on the source of every state.

Reflex runs an event handler on the websocket's event loop, so a handler that calls a domain
service directly (a query, a Kubernetes request, an LDAP bind) stalls every session of the
worker. A handler reaches the domain only through ``self._run`` / ``run_blocking`` (the UI's
bounded thread pool, ``state/guard.py``): it passes the function, it never calls it. States
import no database, Kubernetes, LDAP or HTTP client; every handler of a feature state is
``@guarded`` (the session checked for each event).
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import reflex as rx

STATES = Path(__file__).resolve().parents[2] / "pinconsole" / "state"
DOMAINS = ("access", "catalog", "compute", "org", "delivery", "observability", "incidents")
CLIENTS = ("sqlalchemy", "sqlmodel", "kubernetes", "ldap3", "httpx", "psycopg", "redis")
OFF_LOOP = {"to_thread", "run_in_executor", "ThreadPoolExecutor"}  # guard.py's alone
# Domain calls that compute in memory (no I/O), fine on the event loop; a domain's value types
# (``Principal(...)``, ``AuditFilter(...)``: a capitalised callee) are too.
PURE = {
    "EntityFilter.build",  # a catalog filter from the page's fields
    "entity_url",  # an entity page's path
    "sign_session",  # a cookie value: an HMAC
    "get_authenticator",  # the registry's authenticator of a mode
    "client_address",  # the address behind the trusted proxies, from the headers
    "proxy_user",  # the user header, if a trusted proxy sent it
}
# Domain modules of in-memory logic only (no database, cluster or directory behind them).
PURE_MODULES = {
    "pinconsole.compute.versions",  # which version each PinApp form stands on
    "pinconsole.compute.series",  # what the live charts plot, from a sampled history
    "pinconsole.compute.display",  # PinApps as the pages show them, from what was read
    "pinconsole.compute.guardrails",  # what a PinApp action changes, and a PinScaler's range
    "pinconsole.compute.own_writes",  # a page's own writes the cache has not shown yet
    "pinconsole.access.session_cookie",  # the session cookie read from a header, a ticket script
}


def _is_domain(module: str) -> bool:
    return any(
        module == f"pinconsole.{d}" or module.startswith(f"pinconsole.{d}.") for d in DOMAINS
    )


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` of a Name/Attribute chain."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


@dataclass
class Module:
    """What one state module's source tells: its domain names and which callables block."""

    name: str
    tree: ast.Module
    domain: set[str] = field(default_factory=set)  # local names bound to domain imports
    state_imports: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (mod, obj)
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)

    @classmethod
    def parse(cls, name: str, source: str) -> Module:
        tree = ast.parse(source)
        module = cls(name, tree)
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    local = alias.asname or alias.name
                    if node.module in PURE_MODULES:
                        continue
                    if _is_domain(node.module) or _is_domain(f"{node.module}.{alias.name}"):
                        module.domain.add(local)
                    elif node.module.startswith("pinconsole.state."):
                        module.state_imports[local] = (node.module, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if _is_domain(alias.name):
                        module.domain.add((alias.asname or alias.name).split(".")[0])
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                module.functions[node.name] = node
            elif isinstance(node, ast.ClassDef):
                module.classes[node.name] = node
        return module


def _direct_calls(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[ast.Call, bool]]:
    """(call, awaited) of the calls ``fn`` itself makes: not those of lambdas or nested defs,
    which run wherever they are passed (``self._run(lambda: ...)``)."""
    awaited = {id(n.value) for n in ast.walk(fn) if isinstance(n, ast.Await)}
    found: list[tuple[ast.Call, bool]] = []
    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Lambda | ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if isinstance(node, ast.Call):
            found.append((node, id(node) in awaited))
        stack.extend(ast.iter_child_nodes(node))
    return sorted(found, key=lambda f: (f[0].lineno, f[0].col_offset))


class Checker:
    """Which handlers of which state modules call into a domain on the event loop."""

    def __init__(self, modules: dict[str, Module]) -> None:
        self.modules = modules
        self._blocking: dict[tuple[str, str], str | None] = {}

    def _function_blocks(self, module: Module, name: str) -> str | None:
        """Why module-level function ``name`` blocks (its first blocking call), or None."""
        key = (module.name, name)
        if key not in self._blocking:
            self._blocking[key] = None  # a cycle does not block by itself
            fn = module.functions[name]
            local = {  # a function-level import of a domain (home._summary's)
                a.asname or a.name
                for n in ast.walk(fn)
                if isinstance(n, ast.ImportFrom) and n.module and _is_domain(n.module)
                for a in n.names
            }
            self._blocking[key] = self._first_blocking(module, fn, None, local, module)
        return self._blocking[key]

    def _method_blocks(self, module: Module, cls: str, name: str) -> str | None:
        """Why ``cls.name`` blocks, its ``self.x()`` calls resolved from ``cls`` (a mixin's
        handler calls the hook of the state it is mixed into)."""
        key = (module.name, f"{cls}.{name}")
        if key not in self._blocking:
            self._blocking[key] = None
            method = self._method(module, cls, name)
            if method is not None:
                owner, fn = method
                self._blocking[key] = self._first_blocking(owner, fn, cls, set(), module)
        return self._blocking[key]

    def handlers(self, module: Module, cls: str) -> set[str]:
        """The event handlers ``cls`` declares or inherits from its bases among the state
        modules (a mixin's, as Reflex registers them on the class)."""
        node = module.classes.get(cls)
        if node is None:
            return set()
        names = {
            item.name
            for item in node.body
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and _is_handler(item)
        }
        for base in node.bases:
            base_name = _dotted(base) or ""
            if base_name in module.classes:
                names |= self.handlers(module, base_name)
            elif base_name in module.state_imports:
                mod, obj = module.state_imports[base_name]
                if mod in self.modules:
                    names |= self.handlers(self.modules[mod], obj)
        return names

    def _method(
        self, module: Module, cls: str, name: str
    ) -> tuple[Module, ast.FunctionDef | ast.AsyncFunctionDef] | None:
        """``cls.name`` in ``cls`` or its bases among the state modules."""
        node = module.classes.get(cls)
        if node is None:
            return None
        for item in node.body:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name == name:
                return module, item
        for base in node.bases:
            base_name = _dotted(base) or ""
            if base_name in module.classes:
                if (found := self._method(module, base_name, name)) is not None:
                    return found
            elif base_name in module.state_imports:
                mod, obj = module.state_imports[base_name]
                if (
                    mod in self.modules
                    and (found := self._method(self.modules[mod], obj, name)) is not None
                ):
                    return found
        return None

    def _first_blocking(
        self,
        module: Module,
        fn: ast.FunctionDef | ast.AsyncFunctionDef,
        cls: str | None,
        local_domain: set[str],
        home: Module,
    ) -> str | None:
        """The first blocking call of ``fn`` (defined in ``module``), ``self`` being a ``cls``
        of ``home``."""
        for call, awaited in _direct_calls(fn):
            callee = _dotted(call.func)
            if callee is None:
                continue
            root = callee.split(".")[0]
            if root in module.domain or root in local_domain:
                # An awaited domain coroutine does not block; a helper of the state's own is
                # followed awaited or not (an async helper may call a domain directly).
                last = callee.rsplit(".", 1)[-1]
                pure = callee in PURE or callee.split(".", 1)[-1] in PURE or last[:1].isupper()
                if not awaited and not pure:
                    return f"{callee}() at line {call.lineno}"
            elif root == "self" and cls is not None and callee.count(".") == 1:
                if why := self._method_blocks(home, cls, callee.split(".")[1]):
                    return f"{callee}() -> {why}"
            elif callee in module.functions:
                if why := self._function_blocks(module, callee):
                    return f"{callee}() -> {why}"
            elif callee in module.state_imports:
                mod, obj = module.state_imports[callee]
                other = self.modules.get(mod)
                if (
                    other is not None
                    and obj in other.functions
                    and (why := self._function_blocks(other, obj))
                ):
                    return f"{callee}() -> {why}"
        return None

    def blocking_handlers(self) -> list[str]:
        """``module:Class.handler: why`` of every event handler that calls a domain on the loop."""
        bad = []
        for module in self.modules.values():
            for cls in module.classes:
                for name in sorted(self.handlers(module, cls)):
                    if why := self._method_blocks(module, cls, name):
                        bad.append(f"{module.name}:{cls}.{name}: {why}")
        return sorted(bad)


def _is_handler(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Declared as an event handler (``@rx.event``, ``@guarded``, with or without arguments)."""
    for deco in fn.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if _dotted(target) in ("rx.event", "event", "guarded"):
            return True
    return False


def _state_modules() -> dict[str, Module]:
    return {
        f"pinconsole.state.{p.stem}": Module.parse(
            f"pinconsole.state.{p.stem}", p.read_text(encoding="utf-8")
        )
        for p in sorted(STATES.glob("*.py"))
    }


# ---------------------------------------------------------------- the rules


def test_no_handler_calls_a_domain_service_on_the_event_loop() -> None:
    assert Checker(_state_modules()).blocking_handlers() == []


def test_the_check_finds_a_synchronous_or_direct_domain_call() -> None:
    """The checker above is no test that cannot fail: these handlers block, these do not."""
    source = textwrap.dedent(
        """
        import reflex as rx
        from pinconsole.compute import queries
        from pinconsole.catalog.query import list_entities, read_scope
        from pinconsole.state.base import AppState
        from pinconsole.state.guard import guarded

        def _page():
            with read_scope() as session:
                return list_entities(session, None)

        class S(AppState):
            @rx.event
            def sync_load(self):
                self.rows = queries.list_pinapps()

            @guarded
            async def direct(self):
                self.rows = _page()

            def _helper(self):
                return queries.get_pinapp("c", "n", "a")

            @guarded
            async def through_a_helper(self):
                self.app = self._helper()

            async def _fetch(self):
                self.rows = _page()

            @guarded
            async def awaits_a_helper(self):
                await self._fetch()

            @guarded
            async def fine(self):
                self.rows = await self._run(_page)
                self.app = await self._run(lambda: queries.get_pinapp("c", "n", "a"))

        class Pages(rx.State, mixin=True):
            async def _turn(self):
                pass

            @guarded
            async def next_page(self):
                await self._turn()

        class T(Pages, AppState):
            async def _turn(self):
                self.rows = _page()
        """
    )
    modules = {"sample": Module.parse("sample", source), **_state_modules()}
    bad = [
        re.sub(r" at line \d+", "", b)
        for b in Checker(modules).blocking_handlers()
        if b.startswith("sample:")
    ]
    assert bad == [
        "sample:S.awaits_a_helper: self._fetch() -> _page() -> read_scope()",
        "sample:S.direct: _page() -> read_scope()",
        "sample:S.sync_load: queries.list_pinapps()",
        "sample:S.through_a_helper: self._helper() -> queries.get_pinapp()",
        "sample:T.next_page: self._turn() -> _page() -> read_scope()",  # a mixin's handler
    ]


def test_states_import_no_database_kubernetes_ldap_or_http_client() -> None:
    bad = []
    for path in sorted(STATES.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.module
                else []
            )
            for name in names:
                if name.split(".")[0] in CLIENTS:
                    bad.append(f"{path.name}:{node.lineno} imports {name}")
    assert bad == []


def test_only_the_guard_starts_threads_for_the_domain() -> None:
    """One way to call a service: ``asyncio.to_thread`` and private executors were a second."""
    bad = []
    for path in sorted(STATES.glob("*.py")):
        if path.name == "guard.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute | ast.Name):
                name = node.attr if isinstance(node, ast.Attribute) else node.id
                if name in OFF_LOOP:
                    bad.append(f"{path.name}:{node.lineno} {name}")
    assert bad == []


def _app_states() -> list[type[rx.State]]:
    import pinconsole.pinconsole  # noqa: F401  (the app: its pages import every state)

    found: list[type[rx.State]] = []
    stack: list[type[rx.State]] = [rx.State]
    while stack:
        state = stack.pop()
        found.append(state)
        stack.extend(state.get_substates())
    return found


def test_every_handler_of_a_feature_state_is_guarded_and_async() -> None:
    from pinconsole.state.base import AppState
    from pinconsole.state.guard import GUARD_MARK
    from pinconsole.state.signin import SignInState

    public = {AppState, SignInState}  # the sign-in guards and the sign-in page itself
    unguarded = []
    for state in _app_states():
        if not issubclass(state, AppState) or state in public:
            continue
        for name, handler in state.event_handlers.items():
            if name == "setvar":  # Reflex's: it calls the state's own set_* handlers
                continue
            fn = handler.fn
            if not hasattr(fn, GUARD_MARK) or not (
                inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn)
            ):
                unguarded.append(f"{state.__name__}.{name}")
    assert unguarded == []


def test_the_checker_sees_every_registered_handler() -> None:
    """Handlers are found in the source as Reflex finds them in the classes."""
    declared = {
        (m.name, cls, item.name)
        for m in _state_modules().values()
        for cls, node in m.classes.items()
        for item in node.body
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and _is_handler(item)
    }
    registered = {
        _declared_by(s, name)
        for s in _app_states()
        if s.__module__.startswith("pinconsole.state.")
        for name in s.event_handlers
        if name != "setvar" and name in vars(s)
    }
    assert registered <= declared, registered - declared


def _declared_by(state: type[rx.State], name: str) -> tuple[str, str, str]:
    """Where the source declares handler ``name`` of ``state``: a mixin's handlers are copied
    onto each state that mixes it in, and are declared once, in the mixin's class (the
    checker follows them into each state's hooks: ``Checker.handlers``)."""
    for mixin in state._mixins():
        if name in vars(mixin):
            return mixin.__module__, mixin.__name__, name
    return state.__module__, state.__name__, name


MAX_STATE_LINES = 300


def test_states_are_thin_and_live_in_modules_named_after_them() -> None:
    """No State class over 300 lines (what grows past that is domain logic or a second
    state), and a module holding one page's state is named after it."""
    sizes = {
        f"{m.name}:{cls}": node.end_lineno - node.lineno + 1
        for m in _state_modules().values()
        for cls, node in m.classes.items()
        if node.end_lineno is not None
    }
    assert {k: v for k, v in sizes.items() if v > MAX_STATE_LINES} == {}
    named = {"pinapp": "PinAppState", "user": "UserState", "workloads": "WorkloadsState"}
    for module, state in named.items():
        assert f"pinconsole.state.{module}:{state}" in sizes
