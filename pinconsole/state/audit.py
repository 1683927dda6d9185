"""``/admin/audit`` state: filters (kept in the URL), one page of rows with their links, the row
opened in the detail dialog, and the CSV export's link."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

import reflex as rx

from pinconsole.access.audit import (
    EXPORT_MAX_ROWS,
    FILTER_MAX_CHARS,
    OUTCOMES,
    AuditFilter,
    read_audit_page,
)
from pinconsole.models import AuditEvent
from pinconsole.state.base import AppState
from pinconsole.state.guard import guarded
from pinconsole.state.paging import GuardedPaging

log = logging.getLogger(__name__)

PAGE_SIZE = 25
VIEW = "admin.audit.view"  # what a non-administrator is refused (and audited for)
ROUTE = "/admin/audit"
EXPORT_ROUTE = "/api/v1/audit/export"
TEXT_FILTERS = ("actor", "action", "target")
# The URL's query keys: the text filters, the outcome and the date range (``from``/``to``).
URL_KEYS = {**{k: k for k in TEXT_FILTERS}, "outcome": "outcome", "from": "date_from",
            "to": "date_to"}  # fmt: skip


def _change(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """A one-line summary of what changed (keys whose value differs)."""
    b, a = before or {}, after or {}
    keys = [k for k in sorted(set(b) | set(a)) if b.get(k) != a.get(k)]
    if not keys:
        return ""
    shown = ", ".join(keys[:4])
    return shown + (f" +{len(keys) - 4}" if len(keys) > 4 else "")


def _row(event: AuditEvent, links: dict[str, str]) -> dict[str, str]:
    return {
        "id": str(event.id),
        "at": event.at.strftime("%Y-%m-%d %H:%M:%S"),
        "actor": event.actor,
        "actor_url": links.get(f"actor:{event.actor}", ""),
        "action": event.action,
        "target": event.target,
        "target_url": links.get(f"target:{event.target}", ""),
        "outcome": event.outcome,
        "detail": event.detail,
        "change": _change(event.before, event.after),
        "before": json.dumps(event.before, indent=2, sort_keys=True) if event.before else "",
        "after": json.dumps(event.after, indent=2, sort_keys=True) if event.after else "",
    }


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def clean_filter(key: str, value: Any) -> str:
    """A filter's value from the URL or an input: text capped, an outcome or a date that
    exists, anything else empty (the URL and websocket payloads are anyone's)."""
    text = (value if isinstance(value, str) else value[0] if value else "") or ""
    text = str(text).strip()[:FILTER_MAX_CHARS]
    if key == "outcome":
        return text if text in OUTCOMES else ""
    if key in ("date_from", "date_to"):
        return text if _day(text) is not None else ""
    return text


class AuditState(GuardedPaging, AppState):
    _page_size: ClassVar[int] = PAGE_SIZE
    _page_empty: ClassVar[str] = "No events"
    _page_admin: ClassVar[str | None] = VIEW

    actor: str = ""
    action: str = ""
    target: str = ""
    outcome: str = ""
    date_from: str = ""  # YYYY-MM-DD, UTC, inclusive
    date_to: str = ""  # YYYY-MM-DD, UTC, inclusive
    rows: list[dict[str, str]] = []
    loading: bool = False
    error: str = ""
    selected: dict[str, str] = {}
    detail_open: bool = False

    @rx.var
    def filtered(self) -> bool:
        # Each var named (a computed var's dependencies are read off its code, not getattr).
        return any(
            (self.actor, self.action, self.target, self.outcome, self.date_from, self.date_to)
        )

    @rx.var
    def dates_reversed(self) -> bool:
        return bool(self.date_from and self.date_to and self.date_from > self.date_to)

    @rx.var
    def export_href(self) -> str:
        """The CSV of what the filters select (the route reads the browser's session)."""
        query = urlencode(self._filter().as_params())
        return EXPORT_ROUTE + (f"?{query}" if query else "")

    @rx.var
    def export_note(self) -> str:
        if self.total > EXPORT_MAX_ROWS:
            return f"CSV of the newest {EXPORT_MAX_ROWS:,} of {self.total:,} matching events"
        return f"CSV of the matching events (at most {EXPORT_MAX_ROWS:,})"

    def _filter(self) -> AuditFilter:
        start, end = _day(self.date_from), _day(self.date_to)
        return AuditFilter(
            actor=self.actor,
            action=self.action,
            target=self.target,
            outcome=self.outcome,
            since=datetime(start.year, start.month, start.day, tzinfo=UTC) if start else None,
            until=(
                datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1)
                if end
                else None
            ),
        )

    def _query_string(self) -> str:
        return urlencode({k: getattr(self, v) for k, v in URL_KEYS.items() if getattr(self, v)})

    async def _turn(self) -> None:
        if not self.is_admin:
            self.rows, self.total = [], 0
            return
        self.loading = True
        flt = self._filter()
        try:
            page = await self._run(
                read_audit_page, flt, limit=PAGE_SIZE, offset=self.page * PAGE_SIZE
            )
            if page.events == [] and page.total and self.page:
                # The page ran past the end (rows were filtered away): go to the last page.
                self.page = max(0, (page.total - 1) // PAGE_SIZE)
                page = await self._run(
                    read_audit_page, flt, limit=PAGE_SIZE, offset=self.page * PAGE_SIZE
                )
        except Exception as exc:  # shown on the page; the table must not look merely empty
            log.exception("audit log read failed")
            self.error = f"The audit log could not be read ({type(exc).__name__}: {exc})"[:300]
            self.rows, self.total = [], 0
            return
        finally:
            self.loading = False
        self.error = ""
        self.rows = [_row(e, page.links) for e in page.events]
        self.total = page.total

    async def _refresh(self) -> Any:
        """Back to the first page, fetch, and put the filters into the URL (shareable; a
        reload or a link opens the same view)."""
        self.page = 0
        await self._turn()
        query = self._query_string()
        url = ROUTE + (f"?{query}" if query else "")
        return rx.call_script(f"window.history.replaceState(null, '', {json.dumps(url)})")

    @guarded(admin=VIEW)
    async def load(self):  # type: ignore[no-untyped-def]
        """The filters come from the URL (``?target=component:default/x&from=2026-01-01``)."""
        params = self.router.url.query_parameters
        for key, var in URL_KEYS.items():
            setattr(self, var, clean_filter(var, params.get(key, "")))
        self.page = 0
        self.detail_open = False
        await self._turn()

    async def _set_filter(self, var: str, value: Any) -> Any:
        setattr(self, var, clean_filter(var, value))
        return await self._refresh()

    @guarded(admin=VIEW)
    async def set_actor(self, value: str):  # type: ignore[no-untyped-def]
        return await self._set_filter("actor", value)

    @guarded(admin=VIEW)
    async def set_action(self, value: str):  # type: ignore[no-untyped-def]
        return await self._set_filter("action", value)

    @guarded(admin=VIEW)
    async def set_target(self, value: str):  # type: ignore[no-untyped-def]
        return await self._set_filter("target", value)

    @guarded(admin=VIEW)
    async def set_outcome(self, value: str):  # type: ignore[no-untyped-def]
        return await self._set_filter("outcome", value)

    @guarded(admin=VIEW)
    async def set_date_from(self, value: str):  # type: ignore[no-untyped-def]
        return await self._set_filter("date_from", value)

    @guarded(admin=VIEW)
    async def set_date_to(self, value: str):  # type: ignore[no-untyped-def]
        return await self._set_filter("date_to", value)

    @guarded(admin=VIEW)
    async def clear_filters(self):  # type: ignore[no-untyped-def]
        for var in URL_KEYS.values():
            setattr(self, var, "")
        return await self._refresh()

    @guarded(admin=VIEW)
    async def open_detail(self, row: dict[str, str]):  # type: ignore[no-untyped-def]
        self.selected = row
        self.detail_open = True

    @guarded(admin=VIEW)
    async def set_detail_open(self, value: bool):  # type: ignore[no-untyped-def]
        self.detail_open = value
