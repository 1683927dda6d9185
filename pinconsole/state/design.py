"""State behind the /design page's live examples (table sorting/paging, tabs, search)."""

from __future__ import annotations

from typing import Any, ClassVar

import reflex as rx

from pinconsole.components.callout import toast
from pinconsole.state.paging import Paging

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


class DesignState(Paging, rx.State):
    """Not under AppState: the design page needs no identity."""

    _page_size: ClassVar[int] = PAGE_SIZE
    _page_empty: ClassVar[str] = "No rows"
    _page_format: ClassVar[str] = "{first}\u2013{last} of {total:,}"

    rows: list[dict[str, str]] = []
    sort_by: str = "name"
    sort_desc: bool = False
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

    async def _turn(self) -> None:
        self._slice()

    @rx.event
    def load(self) -> None:
        self._slice()

    @rx.event
    def sort(self, key: str) -> None:
        self.sort_desc = (not self.sort_desc) if key == self.sort_by else False
        self.sort_by, self.page = key, 0
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
