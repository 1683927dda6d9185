"""The one way a state reaches a domain: the session checked, the call off the event loop, the
typed errors shown.

Reflex lets any websocket client call any event handler by name (a page's ``on_load`` guard is
no permission check), and runs a handler on the websocket's event loop, so one blocking query
would stall every session of the worker. Hence every event handler of a feature state is
declared with ``@guarded``:

- before the handler runs, ``AppState._principal`` re-identifies the browser from its cookie
  (or the proxy's header); nobody signed in: the state's data is reset and nothing is loaded;
  ``guarded(admin="admin.x.view")``: a non-administrator is refused, and audited;
- the handler reaches the domain through ``await self._run(fn, ...)`` (``run_blocking``: a
  bounded thread pool, never the event loop), where a database or Redis outage becomes
  ``Outage`` and raises the layout's outage banner, lowered by the next call that works;
- a typed domain error the handler lets escape is answered once, here: sign-in for
  ``Unauthenticated``, the banner for an outage, a toast for the rest.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import logging
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import reflex as rx
from reflex.app import default_backend_exception_handler
from reflex.event import EventSpec

from pinconsole.errors import DomainError, Unavailable
from pinconsole.outages import outage_of

log = logging.getLogger(__name__)

T = TypeVar("T")
# Threads for the domain calls of one backend worker. Bounded: a hung Kubernetes API or a slow
# query queues calls instead of starting threads without end; above the database pool's size
# (5 + 10 overflow) a thread would only wait for a connection.
POOL_THREADS = 16
# On every guarded handler: "signed-in", its admin action, or the attribute naming that action.
GUARD_MARK = "__pinconsole_guard__"

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


class Outage(Unavailable):
    """The database or Redis cannot be reached (what the API answers with a 503)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} is unavailable right now; try again shortly")
        self.what = what

    @property
    def banner(self) -> str:
        return (
            f"{self.what} is unavailable right now. What this page shows may be out of date; "
            "your next action tries again."
        )


def _executor() -> ThreadPoolExecutor:
    # Made on first use, in the worker process that uses it (never inherited through a fork).
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(POOL_THREADS, thread_name_prefix="pinconsole-ui")
        return _pool


async def shielded(awaitable: Awaitable[T], what_for: object = "") -> T:
    """``await awaitable``, an outage of the database or Redis raised as ``Outage`` (the
    driver's text, naming hosts and ports, goes to the log only)."""
    try:
        return await awaitable
    except Outage:
        raise
    except Exception as exc:
        what = outage_of(exc)
        if what is None:
            raise
        log.warning("%s: %s unavailable: %s", what_for, what, exc)
        raise Outage(what) from exc


async def run_blocking(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` in the UI's thread pool, outages raised as ``Outage``."""
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    loop = asyncio.get_running_loop()
    return await shielded(loop.run_in_executor(_executor(), call), getattr(fn, "__qualname__", fn))


def check_admin_action(admin: str | None) -> None:
    """Refuse an admin action ``authorize`` would not hold back from members."""
    if admin is not None and (not admin.startswith("admin.") or admin.endswith(".read")):
        raise ValueError(f"admin action {admin!r}: an admin.* action that is no *.read")


def guarded(
    fn: Callable[..., Any] | None = None,
    *,
    admin: str | None = None,
    admin_of: str | None = None,
    background: bool = False,
) -> Any:
    """Declare an async event handler of a feature state (see the module docstring).

    ``admin`` names the action a non-administrator is refused (audited): an ``admin.*`` action
    that is no ``*.read``, as ``authorize`` reads actions (reads are open to everyone).
    ``admin_of`` names instead the class attribute holding that action (or None): a mixin's
    handler serves states of different actions (``state/paging.py``), each checking its own.
    ``background``: a Reflex background event; the session is checked under the state lock
    before it starts.
    """
    check_admin_action(admin)
    if admin is not None and admin_of is not None:
        raise ValueError("guarded: admin or admin_of, not both")

    def wrap(handler: Callable[..., Any]) -> Any:
        if not (inspect.iscoroutinefunction(handler) or inspect.isasyncgenfunction(handler)):
            raise TypeError(f"{handler.__qualname__}: a guarded handler is async")

        async def admit(state: Any) -> tuple[bool, Any]:
            """(may run, what to answer otherwise)."""
            # The state's class, not the defining one: a mixin's handler names its state
            # (``__class__``: a background handler's state is a proxy that forwards it).
            cls = state.__class__
            action = admin if admin_of is None else getattr(cls, admin_of)
            target = f"ui:{cls.__name__}.{handler.__name__}"
            try:
                if background:
                    async with state:
                        await state._principal(admin=action, target=target)
                else:
                    await state._principal(admin=action, target=target)
            except DomainError as exc:
                return False, await answer(state, exc)
            return True, None

        async def answer(state: Any, exc: Exception) -> Any:
            if not background:
                return state._answer(exc)
            async with state:
                return state._answer(exc)

        if inspect.isasyncgenfunction(handler):

            async def run_gen(self: Any, *args: Any, **kwargs: Any) -> Any:
                admitted, refusal = await admit(self)
                if not admitted:
                    yield refusal
                    return
                try:
                    async for item in handler(self, *args, **kwargs):
                        yield item
                except DomainError as exc:
                    yield await answer(self, exc)

            run: Callable[..., Any] = run_gen
        else:

            async def run_once(self: Any, *args: Any, **kwargs: Any) -> Any:
                admitted, refusal = await admit(self)
                if not admitted:
                    return refusal
                try:
                    return await handler(self, *args, **kwargs)
                except DomainError as exc:
                    return await answer(self, exc)

            run = run_once

        functools.update_wrapper(run, handler)
        setattr(run, GUARD_MARK, admin or admin_of or "signed-in")
        return rx.event(run, background=background)

    return wrap(fn) if fn is not None else wrap


def backend_error(exception: Exception) -> EventSpec | None:
    """The app's answer to an exception no handler caught. An outage of Redis (the state store:
    no state is left to raise the banner in) or of the database is said as such, in one toast
    that stays while it lasts; anything else is answered as Reflex answers it."""
    what = outage_of(exception)
    if what is None:
        return default_backend_exception_handler(exception)
    log.warning("event failed: %s unavailable: %s", what, exception)
    return rx.toast.warning(
        f"{what} is unavailable right now",
        description="PinConsole cannot load or keep this page's state; your next action "
        "tries again.",
        id="pinconsole-outage",
        duration=30_000,
        position="top-center",
    )
