"""``/admin/audit`` state: filters, one page of rows, the row opened in the detail dialog."""

from __future__ import annotations

import json
import logging
from typing import Any, ClassVar

import reflex as rx

from pinconsole.access.audit import AuditFilter, list_audit
from pinconsole.models import AuditEvent
from pinconsole.state.base import AppState
from pinconsole.state.guard import guarded
from pinconsole.state.paging import GuardedPaging

log = logging.getLogger(__name__)

PAGE_SIZE = 25
VIEW = "admin.audit.view"  # what a non-administrator is refused (and audited for)
FILTER_KEYS = ("actor", "action", "target", "outcome")


def _change(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """A one-line summary of what changed (keys whose value differs)."""
    b, a = before or {}, after or {}
    keys = [k for k in sorted(set(b) | set(a)) if b.get(k) != a.get(k)]
    if not keys:
        return ""
    shown = ", ".join(keys[:4])
    return shown + (f" +{len(keys) - 4}" if len(keys) > 4 else "")


def _row(event: AuditEvent) -> dict[str, str]:
    return {
        "id": str(event.id),
        "at": event.at.strftime("%Y-%m-%d %H:%M:%S"),
        "actor": event.actor,
        "action": event.action,
        "target": event.target,
        "outcome": event.outcome,
        "detail": event.detail,
        "change": _change(event.before, event.after),
        "before": json.dumps(event.before, indent=2, sort_keys=True) if event.before else "",
        "after": json.dumps(event.after, indent=2, sort_keys=True) if event.after else "",
    }


class AuditState(GuardedPaging, AppState):
    _page_size: ClassVar[int] = PAGE_SIZE
    _page_empty: ClassVar[str] = "No events"
    _page_admin: ClassVar[str | None] = VIEW

    actor: str = ""
    action: str = ""
    target: str = ""
    outcome: str = ""
    rows: list[dict[str, str]] = []
    loading: bool = False
    error: str = ""
    selected: dict[str, str] = {}
    detail_open: bool = False

    @rx.var
    def filtered(self) -> bool:
        return any((self.actor, self.action, self.target, self.outcome))

    async def _turn(self) -> None:
        if not self.is_admin:
            self.rows, self.total = [], 0
            return
        self.loading = True
        flt = AuditFilter(
            actor=self.actor, action=self.action, target=self.target, outcome=self.outcome
        )
        try:
            events, total = await self._run(
                list_audit, flt, limit=PAGE_SIZE, offset=self.page * PAGE_SIZE
            )
            if events == [] and total and self.page:
                # The page ran past the end (rows were filtered away): go to the last page.
                self.page = max(0, (total - 1) // PAGE_SIZE)
                events, total = await self._run(
                    list_audit, flt, limit=PAGE_SIZE, offset=self.page * PAGE_SIZE
                )
        except Exception as exc:  # shown on the page; the table must not look merely empty
            log.exception("audit log read failed")
            self.error = f"The audit log could not be read ({type(exc).__name__}: {exc})"[:300]
            self.rows, self.total = [], 0
            return
        finally:
            self.loading = False
        self.error = ""
        self.rows = [_row(e) for e in events]
        self.total = total

    @guarded(admin=VIEW)
    async def load(self):  # type: ignore[no-untyped-def]
        """Filters may come from the URL (``?target=component:default/x``) for deep links."""
        params = self.router.url.query_parameters
        for key in FILTER_KEYS:
            setattr(self, key, params.get(key, ""))
        self.page = 0
        self.detail_open = False
        await self._turn()

    async def _set_filter(self, key: str, value: str) -> None:
        setattr(self, key, "" if value == "all" and key == "outcome" else value.strip())
        self.page = 0
        await self._turn()

    @guarded(admin=VIEW)
    async def set_actor(self, value: str):  # type: ignore[no-untyped-def]
        await self._set_filter("actor", value)

    @guarded(admin=VIEW)
    async def set_action(self, value: str):  # type: ignore[no-untyped-def]
        await self._set_filter("action", value)

    @guarded(admin=VIEW)
    async def set_target(self, value: str):  # type: ignore[no-untyped-def]
        await self._set_filter("target", value)

    @guarded(admin=VIEW)
    async def set_outcome(self, value: str):  # type: ignore[no-untyped-def]
        await self._set_filter("outcome", value)

    @guarded(admin=VIEW)
    async def clear_filters(self):  # type: ignore[no-untyped-def]
        self.actor = self.action = self.target = self.outcome = ""
        self.page = 0
        await self._turn()

    @guarded(admin=VIEW)
    async def open_detail(self, row: dict[str, str]):  # type: ignore[no-untyped-def]
        self.selected = row
        self.detail_open = True

    @guarded(admin=VIEW)
    async def set_detail_open(self, value: bool):  # type: ignore[no-untyped-def]
        self.detail_open = value
