"""``GET /api/v1/org/syncs`` and the org-sync contribution to ``/api/v1/health``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Query

from pinconsole.api.deps import admin_principal
from pinconsole.api.paging import ApiModel, Cursor, Page, offset_page, read_cursor
from pinconsole.api.problems import problems
from pinconsole.models._types import utcnow

router = APIRouter(prefix="/org", tags=["org"])


class SyncRun(ApiModel):
    id: int
    provider: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    users_added: int
    users_updated: int
    users_removed: int
    groups_added: int
    groups_updated: int
    groups_removed: int
    error: str | None
    triggered_by: str


@router.get(
    "/syncs",
    response_model=Page[SyncRun],
    summary="Org sync history, newest first (administrators)",
    # Error texts name directory hosts and bind DNs; the UI's sync page is for admins too.
    dependencies=[Depends(admin_principal)],
    responses=problems(403),
)
def list_syncs(limit: int = Query(20, ge=1, le=200), cursor: Cursor = None) -> dict[str, Any]:
    from pinconsole.org.sync import list_runs

    offset = read_cursor("org.syncs", cursor)
    rows, total = list_runs(limit, offset)
    items = [SyncRun.model_validate(r, from_attributes=True) for r in rows]
    return offset_page("org.syncs", items, total, offset, limit)


def org_health() -> dict[str, Any]:
    """ok when the last sync succeeded and is recent; degraded when it failed or is overdue."""
    from pinconsole.org.sync import last_run, scheduled, sync_interval_seconds
    from pinconsole.settings import get_settings

    if not get_settings().org_config:
        return {"status": "ok", "configured": False}
    last = last_run()
    last_ok = last_run("ok")
    body: dict[str, Any] = {"configured": True}
    if last is not None:
        body["lastRun"] = {
            "id": last.id,
            "status": last.status,
            "startedAt": last.started_at.isoformat(),
            "finishedAt": last.finished_at.isoformat() if last.finished_at else None,
            "error": last.error,
            "mode": last.mode,
            "users": {
                "added": last.users_added,
                "updated": last.users_updated,
                "removed": last.users_removed,
            },
            "groups": {
                "added": last.groups_added,
                "updated": last.groups_updated,
                "removed": last.groups_removed,
            },
        }
    if last_ok is not None and last_ok.finished_at:
        body["lastSuccessAt"] = last_ok.finished_at.isoformat()
    finished = last_ok.finished_at if last_ok else None
    if finished is not None and finished.tzinfo is None:
        from datetime import UTC

        finished = finished.replace(tzinfo=UTC)
    # a manual schedule (frequency: {trigger: manual}) is never overdue, only unsynced
    overdue = finished is None or (
        scheduled() and utcnow() - finished > timedelta(seconds=2 * sync_interval_seconds())
    )
    failed = last is not None and last.status == "failed"
    body["status"] = "degraded" if (failed or overdue) else "ok"
    return body
