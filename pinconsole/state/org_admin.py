"""State of /admin/org: one page of sync history and the admins' "Sync now".

The sync itself runs in a background task (in a worker thread: ldap3 and the database calls
block), holding the state lock only to flip ``syncing`` and to publish the result.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pinconsole.access.principal import Principal
from pinconsole.errors import DomainError
from pinconsole.state.base import AppState, principal_of
from pinconsole.state.guard import guarded, run_blocking
from pinconsole.state.paging import GuardedPaging

PAGE_SIZE = 20
VIEW = "admin.org.view"  # what a non-administrator is refused (and audited for)
SYNC = "admin.org.sync"
_STATUS_TYPE = {"ok": "success", "failed": "error", "running": "info"}


def _row(run: Any) -> dict[str, str]:
    took = finished = ""
    if run.finished_at is not None:
        took = f"{(run.finished_at - run.started_at).total_seconds():.1f} s"
        # the date once per row: the end shows it only when the run crossed midnight
        same_day = run.finished_at.date() == run.started_at.date()
        finished = (
            f"{run.finished_at:%H:%M:%S}" if same_day else f"{run.finished_at:%Y-%m-%d %H:%M:%S}"
        )
    return {
        "id": str(run.id),
        "started": f"{run.started_at:%Y-%m-%d %H:%M:%S}",
        "finished": finished,
        "took": took,
        # an unchanged directory skips the apply: say so rather than a bare "ok"
        "status": "no change" if run.status == "ok" and run.mode == "unchanged" else run.status,
        "status_type": _STATUS_TYPE.get(run.status, "neutral"),
        "users": f"+{run.users_added} ~{run.users_updated} -{run.users_removed}",
        "groups": f"+{run.groups_added} ~{run.groups_updated} -{run.groups_removed}",
        "by": run.triggered_by,
        "error": run.error or "",
    }


def _load_page(page: int) -> tuple[list[dict[str, str]], int, bool]:
    from pinconsole.org.sync import list_runs
    from pinconsole.settings import get_settings

    runs, total = list_runs(PAGE_SIZE, page * PAGE_SIZE)
    return [_row(r) for r in runs], total, bool(get_settings().org_config)


def _sync_as(principal: Principal) -> tuple[str, str]:
    """Authorize and run one sync; returns (message, callout type)."""
    from pinconsole.access import Resource, authorize
    from pinconsole.errors import Conflict, DomainError
    from pinconsole.org.sync import sync_org

    try:
        authorize(principal, "admin.org.sync", Resource("org", "org:ldap"))
        run = sync_org(triggered_by=principal.name)
    except Conflict:
        return "A sync is already running; its result will appear below.", "info"
    except DomainError as exc:
        return str(exc), "error"
    if run.status != "ok":
        return f"The sync failed: {run.error}", "error"
    row = _row(run)
    return f"Synced in {row['took']}: users {row['users']}, groups {row['groups']}.", "success"


class OrgAdminState(GuardedPaging, AppState):
    """Sync history (one page) and the sync-now action."""

    _page_size: ClassVar[int] = PAGE_SIZE
    _page_format: ClassVar[str] = "{first}-{last} of {total:,}"
    _page_admin: ClassVar[str | None] = VIEW

    rows: list[dict[str, str]] = []
    configured: bool = True
    syncing: bool = False
    message: str = ""
    message_type: str = "info"

    async def _turn(self) -> None:
        self.rows, self.total, self.configured = await self._run(_load_page, self.page)

    @guarded(admin=VIEW)
    async def load(self) -> None:
        await self._turn()

    @guarded(admin=SYNC, background=True)
    async def sync_now(self) -> Any:
        """The sync runs in the UI's thread pool; the state lock is held only to flip
        ``syncing`` and to publish the result."""
        async with self:
            if self.syncing:
                return
            self.syncing = True
            self.message = ""
            self.page = 0
            principal = principal_of(self)
        try:
            message, kind = await run_blocking(_sync_as, principal)
        except Exception as exc:  # never leave the button spinning
            message, kind = f"The sync could not run: {exc}", "error"
        try:
            page: tuple[list[dict[str, str]], int, bool] | None = await run_blocking(_load_page, 0)
            failed: DomainError | None = None
        except DomainError as exc:
            page, failed = None, exc
        async with self:
            self.syncing = False
            self.message, self.message_type = message, kind
            if failed is not None:
                return self._answer(failed)
            if page is not None:
                self.rows, self.total, self.configured = page
        return None
