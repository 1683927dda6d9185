"""REST routes for workloads under ``/api/v1/workloads``. Thin: parse, call compute, render.

Reads come from the caches; writes go through ``compute.actions`` (authorize + audit). Routes
are plain ``def`` so FastAPI runs the blocking Kubernetes client in its worker threads.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from pinconsole.access.principal import Principal as AccessPrincipal
from pinconsole.api.deps import current_principal
from pinconsole.api.paging import Cursor, Page, offset_page, read_cursor
from pinconsole.api.problems import problems
from pinconsole.compute import actions, logs, queries
from pinconsole.compute.api_models import (
    ActionResult,
    ClusterStatus,
    Health,
    History,
    PodLogs,
    WorkloadDetail,
    WorkloadPage,
)

Principal = Annotated[AccessPrincipal, Depends(current_principal)]

router = APIRouter(prefix="/workloads", tags=["workloads"])
MAX_REPLICAS = 1000  # as compute.actions checks
# A write can be refused (403), miss its object (404), meet a newer version (409) or get no
# answer from the cluster in time (504).
WRITE = problems(400, 403, 404, 409, 504)


class ScaleBody(BaseModel):
    replicas: int = Field(ge=0, le=MAX_REPLICAS)
    resourceVersion: str | None = None


class Precondition(BaseModel):
    resourceVersion: str | None = None


class ScalerBody(BaseModel):
    minReplicas: int = Field(ge=0, le=MAX_REPLICAS)
    maxReplicas: int = Field(ge=1, le=MAX_REPLICAS)
    resourceVersion: str | None = None


class Schedule(BaseModel):
    name: str | None = None
    cron: str
    duration: str
    minReplicas: int = Field(ge=0, le=MAX_REPLICAS)


class SchedulesBody(BaseModel):
    schedules: list[Schedule]
    resourceVersion: str | None = None


@router.get(
    "",
    response_model=WorkloadPage,
    summary="PinApps across clusters, filtered and paged, with a health summary",
    responses=problems(404),  # an unknown cluster
)
def list_workloads(
    _: Principal,
    cluster: str | None = None,
    namespace: str | None = None,
    team: str | None = None,
    health: Health | None = None,
    text: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    cursor: Cursor = None,
) -> dict[str, Any]:
    offset = read_cursor("workloads", cursor)
    rows, total, summary = queries.list_pinapps(
        cluster, namespace, team, health, text, limit=limit, offset=offset
    )
    page = offset_page("workloads", rows, total, offset, limit)
    return {**page, "summary": summary, "clusters": queries.cluster_statuses()}


@router.get(
    "/clusters",
    response_model=Page[ClusterStatus],
    summary="Each cluster's sync state (stale since, error)",
)
def clusters(
    _: Principal, limit: int = Query(100, ge=1, le=500), cursor: Cursor = None
) -> dict[str, Any]:
    offset = read_cursor("clusters", cursor)
    found = queries.cluster_statuses()
    return offset_page("clusters", found[offset : offset + limit], len(found), offset, limit)


@router.get(
    "/{cluster}/{namespace}/{name}",
    response_model=WorkloadDetail,
    summary="One PinApp: pods, events, scaler, YAML",
    responses=problems(404),
)
def get_workload(_: Principal, cluster: str, namespace: str, name: str) -> dict[str, Any]:
    return queries.get_pinapp(cluster, namespace, name)


@router.get(
    "/{cluster}/{namespace}/{name}/history",
    response_model=History,
    summary="Replicas, restarts, CPU, memory",
    responses=problems(404),
)
def history(_: Principal, cluster: str, namespace: str, name: str) -> dict[str, Any]:
    return queries.pinapp_history(cluster, namespace, name)


@router.get(
    "/{cluster}/{namespace}/{name}/pods/{pod}/logs",
    response_model=PodLogs,
    summary="Last lines of a pod's log",
    responses=problems(404),
)
def pod_logs(
    _: Principal,
    cluster: str,
    namespace: str,
    name: str,
    pod: str,
    container: str | None = None,
    tail: int = Query(200, ge=1, le=logs.MAX_LINES),
    search: str | None = None,
) -> dict[str, Any]:
    queries.require_pod_of(cluster, namespace, name, pod)
    lines = logs.pod_logs(cluster, namespace, pod, container, tail, search)
    return {"pod": pod, "container": container, "lines": lines}


def _result(obj: dict[str, Any]) -> dict[str, Any]:
    return {"resourceVersion": (obj.get("metadata") or {}).get("resourceVersion"), "object": obj}


@router.post(
    "/{cluster}/{namespace}/{name}/scale",
    response_model=ActionResult,
    summary="Set a PinApp's replicas",
    responses=WRITE,
)
def scale(
    principal: Principal, cluster: str, namespace: str, name: str, body: ScaleBody
) -> dict[str, Any]:
    """A count outside the range a PinScaler of the PinApp owns is refused (422, `where`
    `replicas`, audited as denied): its HPA would undo it; change the scaler's min/max instead."""
    return _result(
        actions.scale_pinapp(
            principal,
            cluster,
            namespace,
            name,
            body.replicas,
            resource_version=body.resourceVersion,
        )
    )


@router.post(
    "/{cluster}/{namespace}/{name}/restart",
    response_model=ActionResult,
    summary="Roll a PinApp's pods",
    responses=WRITE,
)
def restart(
    principal: Principal, cluster: str, namespace: str, name: str, body: Precondition | None = None
) -> dict[str, Any]:
    rv = body.resourceVersion if body else None
    return _result(actions.restart_pinapp(principal, cluster, namespace, name, resource_version=rv))


@router.post(
    "/{cluster}/{namespace}/{name}/pause",
    response_model=ActionResult,
    summary="Pause a PinApp",
    responses=WRITE,
)
def pause(
    principal: Principal, cluster: str, namespace: str, name: str, body: Precondition | None = None
) -> dict[str, Any]:
    rv = body.resourceVersion if body else None
    return _result(actions.pause_pinapp(principal, cluster, namespace, name, resource_version=rv))


@router.post(
    "/{cluster}/{namespace}/{name}/resume",
    response_model=ActionResult,
    summary="Resume a PinApp",
    responses=WRITE,
)
def resume(
    principal: Principal, cluster: str, namespace: str, name: str, body: Precondition | None = None
) -> dict[str, Any]:
    rv = body.resourceVersion if body else None
    return _result(actions.resume_pinapp(principal, cluster, namespace, name, resource_version=rv))


@router.post(
    "/{cluster}/{namespace}/pinscalers/{name}/scale",
    response_model=ActionResult,
    summary="Set min/max replicas",
    responses=WRITE,
)
def scale_scaler(
    principal: Principal, cluster: str, namespace: str, name: str, body: ScalerBody
) -> dict[str, Any]:
    return _result(
        actions.scale_pinscaler(
            principal,
            cluster,
            namespace,
            name,
            body.minReplicas,
            body.maxReplicas,
            resource_version=body.resourceVersion,
        )
    )


@router.put(
    "/{cluster}/{namespace}/pinscalers/{name}/schedules",
    response_model=ActionResult,
    summary="Replace schedules",
    responses=WRITE,
)
def put_schedules(
    principal: Principal, cluster: str, namespace: str, name: str, body: SchedulesBody
) -> dict[str, Any]:
    schedules = [s.model_dump(exclude_none=True) for s in body.schedules]
    return _result(
        actions.set_schedules(
            principal, cluster, namespace, name, schedules, resource_version=body.resourceVersion
        )
    )
