"""The top bar's global search: query, results dropdown and keyboard navigation.

Results come from ``pinconsole.catalog.query.search_everything`` when the catalog is
installed; without it the box still works and says there is nothing to search.
"""

from __future__ import annotations

import logging
from typing import Any

import reflex as rx

from pinconsole.outages import outage_of
from pinconsole.state.base import AppState
from pinconsole.state.guard import guarded

log = logging.getLogger(__name__)

RESULT_LIMIT = 8


def _search(text: str, limit: int) -> list[dict[str, str]]:
    try:
        from pinconsole.catalog.query import search_everything
    except ImportError:
        return []
    try:
        hits = search_everything(text, limit)
    except Exception as exc:  # a broken search must never break the shell
        if outage_of(exc) is not None:
            raise  # but an outage raises the banner
        log.exception("global search failed for %r", text)
        return []
    return [
        {
            "kind": str(h.get("kind", "")),
            "title": str(h.get("title", "")),
            "subtitle": str(h.get("subtitle", "")),
            "url": str(h.get("url", "")),
        }
        for h in hits
    ]


class SearchState(AppState):
    """Lives under AppState so any page's shell shares one search box state."""

    query: str = ""
    results: list[dict[str, str]] = []
    highlighted: int = 0
    open: bool = False

    @guarded
    async def set_query(self, value: str) -> None:
        self.query = value
        self.highlighted = 0
        text = value.strip()
        if not text:
            self.results, self.open = [], False
            return
        self.open = True
        self.results = await self._run(_search, text, RESULT_LIMIT)

    @guarded
    async def clear(self) -> None:
        self.query, self.results, self.highlighted, self.open = "", [], 0, False

    @guarded
    async def focus(self) -> None:
        self.open = bool(self.query.strip())

    @guarded
    async def close(self) -> None:
        self.open = False

    def _go(self, url: str) -> Any:
        self.query, self.results, self.highlighted, self.open = "", [], 0, False
        return rx.redirect(url)

    @guarded
    async def select(self, url: str) -> Any:
        return self._go(url)

    @guarded
    async def key_down(self, key: str) -> Any:
        return self._key(key)

    def _key(self, key: str) -> Any:
        """Enter opens the highlighted result, Esc clears, arrows move the highlight."""
        if key == "Enter" and self.results:
            index = min(max(self.highlighted, 0), len(self.results) - 1)
            return self._go(self.results[index]["url"])
        if key == "Escape":
            self.query, self.results, self.highlighted, self.open = "", [], 0, False
        elif key == "ArrowDown" and self.results:
            self.open = True
            self.highlighted = min(self.highlighted + 1, len(self.results) - 1)
        elif key == "ArrowUp" and self.results:
            self.highlighted = max(self.highlighted - 1, 0)
        return None
