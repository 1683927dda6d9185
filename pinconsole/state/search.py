"""The top bar's global search: query, results dropdown and keyboard navigation.

Results come from ``pinconsole.catalog.query.search_everything`` when the catalog is
installed; without it the box still works and says there is nothing to search.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import reflex as rx

from pinconsole.outages import outage_of
from pinconsole.state.base import AppState
from pinconsole.state.guard import guarded

log = logging.getLogger(__name__)

RESULT_LIMIT = 10
MAX_QUERY = 200  # characters (the box's maxlength too: a pasted page is cut, not searched)


def _search(text: str, limit: int) -> list[dict[str, str]]:
    """Hits grouped by kind (the first of a group carries its label and count), then a last
    row "See all N in the catalog" that opens the catalog on the same text."""
    try:
        from pinconsole.catalog.query import search_results
    except ImportError:
        return []
    try:
        found = search_results(text, limit)
    except Exception as exc:  # a broken search must never break the shell
        if outage_of(exc) is not None:
            raise  # but an outage raises the banner
        log.exception("global search failed for %r", text)
        return []
    return grouped_rows(text, found["hits"], found["counts"], found["total"])


def grouped_rows(
    text: str, hits: list[Any], counts: dict[str, int], total: int
) -> list[dict[str, str]]:
    """The dropdown's rows: hits in groups of their kind (groups in the order of their best
    hit), the kind said once per group with its count, and the "See all" row."""
    order: list[str] = []
    by_kind: dict[str, list[Any]] = {}
    for hit in hits:
        kind = str(hit.get("kind", ""))
        if kind not in by_kind:
            order.append(kind)
        by_kind.setdefault(kind, []).append(hit)
    rows: list[dict[str, str]] = []
    for kind in order:
        for i, hit in enumerate(by_kind[kind]):
            rows.append(
                {
                    "kind": kind,
                    "group": kind if i == 0 else "",
                    "count": str(counts.get(kind, len(by_kind[kind]))) if i == 0 else "",
                    "title": str(hit.get("title", "")),
                    "subtitle": str(hit.get("subtitle", "")),
                    "url": str(hit.get("url", "")),
                    "more": "",
                }
            )
    if rows:
        noun = "result" if total == 1 else "results"
        rows.append(
            {
                "kind": "",
                "group": "",
                "count": "",
                "title": f"See all {total:,} {noun} in the catalog",
                "subtitle": "",
                "url": "/catalog?" + urlencode({"text": text}),
                "more": "1",
            }
        )
    return rows


class SearchState(AppState):
    """Lives under AppState so any page's shell shares one search box state."""

    query: str = ""
    results: list[dict[str, str]] = []
    highlighted: int = 0
    open: bool = False

    @guarded
    async def set_query(self, value: str) -> None:
        self.query = value[:MAX_QUERY]
        self.highlighted = 0
        text = self.query.strip()
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
