"""Paging written once: the page and total a table shows, its label, and turning pages.

A state mixes in one of these and implements ``_turn`` (fetch the page ``self.page`` names):

- ``Paging``: offset pages, handlers without a session check (the design page and the sign-in
  page, whose handlers run for nobody by design);
- ``GuardedPaging``: the same for a feature state, the handlers ``@guarded``; a state of an
  admin page sets ``_page_admin`` to the action a non-administrator is refused;
- ``KeysetPaging``: guarded keyset pages (``list_entities``' cursors), where "next" exists when
  the last fetch returned a cursor and "previous" pops the cursors of the pages before.

Each state keeps its label: ``_page_size``, ``_page_empty`` (no rows) and ``_page_format``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import reflex as rx

from pinconsole.state.guard import check_admin_action, guarded


class Paging(rx.State, mixin=True):
    """Offset paging; ``_turn`` fetches rows ``page * _page_size`` onwards and sets ``total``."""

    page: int = 0
    total: int = 0

    _page_size: ClassVar[int] = 25
    _page_empty: ClassVar[str] = ""
    _page_format: ClassVar[str] = "{first:,}-{last:,} of {total:,}"

    async def _turn(self) -> None:
        """Fetch the current page (the state's own query)."""
        raise NotImplementedError(f"{type(self).__name__} pages without a _turn")

    def _page_last(self, first: int) -> int:
        """The number of the page's last row, as the label shows it."""
        return min(self.total, first + self._page_size - 1)

    def _forward(self) -> bool:
        """Step to the next page, if there is one."""
        if not self.has_next:
            return False
        self.page += 1
        return True

    def _back(self) -> bool:
        """Step to the previous page, if there is one."""
        if self.page <= 0:
            return False
        self.page -= 1
        return True

    @rx.var
    def page_label(self) -> str:
        if not self.total:
            return self._page_empty
        first = self.page * self._page_size + 1
        return self._page_format.format(first=first, last=self._page_last(first), total=self.total)

    @rx.var
    def has_prev(self) -> bool:
        return self.page > 0

    @rx.var
    def has_next(self) -> bool:
        return (self.page + 1) * self._page_size < self.total

    @rx.event
    async def next_page(self) -> None:
        if self._forward():
            await self._turn()

    @rx.event
    async def prev_page(self) -> None:
        if self._back():
            await self._turn()


class GuardedPaging(Paging, mixin=True):
    """``Paging`` for a feature state: each page turn checks the session (``state/guard.py``)."""

    _page_admin: ClassVar[str | None] = None  # what a non-administrator is refused, if any

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # A wrong action fails at import, as ``guarded(admin=...)`` does.
        check_admin_action(cls._page_admin)
        super().__init_subclass__(**kwargs)

    @guarded(admin_of="_page_admin")
    async def next_page(self) -> None:
        if self._forward():
            await self._turn()

    @guarded(admin_of="_page_admin")
    async def prev_page(self) -> None:
        if self._back():
            await self._turn()


class KeysetPaging(GuardedPaging, mixin=True):
    """Keyset paging: ``_turn`` fetches from ``_cursor`` and stores the next in
    ``_next_cursor`` ("" at the end)."""

    _cursors: list[str] = []  # cursors of the pages before the current one ("" = first)
    _cursor: str = ""
    _next_cursor: str = ""

    def _first_page(self) -> None:
        """Back to the first page (a new filter or sort), before fetching it."""
        self.page, self._cursors, self._cursor = 0, [], ""

    def _page_last(self, first: int) -> int:
        # A keyset page's rows are the ones fetched, not a slice of a known size.
        return min(self.total, first + len(self.rows) - 1)  # type: ignore[attr-defined]

    def _forward(self) -> bool:
        if not self._next_cursor:
            return False
        self._cursors = [*self._cursors, self._cursor]
        self._cursor = self._next_cursor
        self.page += 1
        return True

    def _back(self) -> bool:
        if not self._cursors:
            return False
        self._cursor, self._cursors = self._cursors[-1], self._cursors[:-1]
        self.page = max(0, self.page - 1)
        return True

    @rx.var
    def has_next(self) -> bool:
        return bool(self._next_cursor)
