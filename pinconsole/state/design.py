"""State behind the /design page's live examples (table sorting/paging, tabs, search)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pinconsole.components.callout import toast

_KINDS = ("ok", "warning", "critical", "unknown", "stale")
_TEAMS = ("payments", "search", "identity", "growth", "platform", "ads")
_WORDS = (
    "checkout", "ledger", "ranker", "indexer", "login", "profile", "notifier", "gateway",
    "billing", "feeds", "images", "queue", "scheduler", "metrics", "experiments", "catalog",
)  # fmt: skip

# Sample rows live in the backend (a module constant, not a state var): the state holds a page.
SAMPLE_SERVICES: list[dict[str, str]] = [
    {
        "name": f"{_WORDS[i % len(_WORDS)]}-{['api', 'worker', 'web'][i % 3]}-{i // 16 + 1}",
        "owner": _TEAMS[(i * 7) % len(_TEAMS)],
        "status": _KINDS[(i * 5 + i // 3) % len(_KINDS)],
        "replicas": str((i * 13) % 9 + 1),
        "latency": f"{(i * 37) % 400 + 20}",
    }
    for i in range(47)
]
PAGE_SIZE = 8


class DesignState(rx.State):
    """Not under AppState: the design page needs no identity."""

    rows: list[dict[str, str]] = []
    sort_by: str = "name"
    sort_desc: bool = False
    page: int = 0
    total: int = len(SAMPLE_SERVICES)
    tab: str = "overview"
    query: str = ""
    show_empty: bool = False

    def _slice(self) -> None:
        key = self.sort_by
        numeric = key in ("replicas", "latency")
        rows = sorted(
            SAMPLE_SERVICES,
            key=lambda r: int(r[key]) if numeric else r[key],
            reverse=self.sort_desc,
        )
        start = self.page * PAGE_SIZE
        self.rows = [] if self.show_empty else rows[start : start + PAGE_SIZE]
        self.total = 0 if self.show_empty else len(rows)

    @rx.event
    def load(self) -> None:
        self._slice()

    @rx.event
    def sort(self, key: str) -> None:
        self.sort_desc = (not self.sort_desc) if key == self.sort_by else False
        self.sort_by, self.page = key, 0
        self._slice()

    @rx.event
    def next_page(self) -> None:
        if self.has_next:
            self.page += 1
            self._slice()

    @rx.event
    def prev_page(self) -> None:
        if self.page > 0:
            self.page -= 1
            self._slice()

    @rx.event
    def toggle_empty(self, value: bool) -> None:
        self.show_empty, self.page = value, 0
        self._slice()

    @rx.event
    def set_tab(self, value: str) -> None:
        self.tab = value

    @rx.event
    def set_query(self, value: str) -> None:
        self.query = value

    @rx.event
    def clear_query(self) -> None:
        self.query = ""

    @rx.event
    def notify(self, kind: str) -> Any:
        return toast(f"This is a {kind} toast", kind, description="Toasts confirm an action.")

    @rx.var
    def has_next(self) -> bool:
        return (self.page + 1) * PAGE_SIZE < self.total

    @rx.var
    def has_prev(self) -> bool:
        return self.page > 0

    @rx.var
    def page_label(self) -> str:
        if not self.total:
            return "No rows"
        start = self.page * PAGE_SIZE + 1
        end = min(self.total, start + PAGE_SIZE - 1)
        return f"{start}\u2013{end} of {self.total:,}"
