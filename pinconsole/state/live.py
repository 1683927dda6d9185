"""The live refresh of a page, written once: a state mixin whose ``live`` background event the
page's ``load`` returns. Every ``LIVE_SECONDS`` while the page that started it is open it
re-checks the session and, when a cluster cache changed, reads what the page shows in the UI's
thread pool and publishes it under the state lock. A newer loop (a reload) ends the older one,
leaving the page ends it, and so does the session's end: one loop per open page."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import reflex as rx

from pinconsole.compute import queries
from pinconsole.errors import DomainError, Unauthenticated
from pinconsole.state.guard import Outage, guarded, run_blocking

LIVE_SECONDS = 3.0


def page_path(state: Any) -> str:
    """The browser's path without its query (what a live loop stays on)."""
    return str(state.router.page.raw_path).split("?", 1)[0]


class LiveRefresh(rx.State, mixin=True):
    """Mix into an ``AppState`` that implements ``_live_query`` and ``_show``; ``_version``
    is the cache change counter its data was read at (set it in ``_show``)."""

    _version: int = -1
    _live_token: float = 0.0

    def _live_query(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        """Under the lock: the blocking read of the page's data, as ``(fn, args)``."""
        raise NotImplementedError

    def _show(self, result: Any) -> None:
        """Under the lock: publish a result of ``_live_query`` or the ``DomainError`` it raised."""
        raise NotImplementedError

    def _live_left(self) -> None:
        """Under the lock: the page was left."""

    @guarded(background=True)
    async def live(self):  # type: ignore[no-untyped-def]
        """Refresh what the page shows while it stays open."""
        token = time.monotonic()
        async with self:
            self._live_token = token
            path = page_path(self)
        while True:
            await asyncio.sleep(LIVE_SECONDS)
            async with self:
                if self._live_token != token:
                    return None
                if page_path(self) != path:
                    self._live_left()
                    return None
                try:
                    await self._principal()  # type: ignore[attr-defined]
                except Unauthenticated as exc:
                    return self._answer(exc)  # type: ignore[attr-defined]
                except DomainError as exc:  # an outage: the banner; the next round tries again
                    self._answer(exc)  # type: ignore[attr-defined]
                    continue
                seen, (fn, args) = self._version, self._live_query()
            result: Any
            try:
                if await run_blocking(queries.changes_version) == seen:
                    continue  # nothing changed in any cluster cache
                result = await run_blocking(fn, *args)
            except DomainError as exc:
                result = exc
            async with self:
                if self._live_token != token:
                    return None
                if isinstance(result, Outage):
                    self._answer(result)  # type: ignore[attr-defined]
                    continue
                if self.outage:  # type: ignore[attr-defined]
                    self.outage = ""
                self._show(result)
