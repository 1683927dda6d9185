"""What ``/api/v1/workloads`` answers, field by field: camelCase on the wire (``ApiModel``)
over the caches' snake_case rows, which the pages read as they are.

Kubernetes objects (a PinApp, its spec and status, a PinScaler) pass through as the cluster
holds them: their field names are Kubernetes'.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from pinconsole.api.paging import ApiModel, Page
from pinconsole.compute.cache import HEALTHS

Health = Literal[HEALTHS]  # type: ignore[valid-type]
KubernetesObject = dict[str, Any]


class Workload(ApiModel):
    """One PinApp as the workloads list shows it."""

    cluster: str
    namespace: str
    name: str
    kubernetes_id: str = Field(description="The Kubernetes id its catalog entity names it by")
    service: str
    tier: str
    image: str
    desired: int
    ready: int
    updated: int
    pods: int
    restarts: int
    paused: bool
    health: Health
    created: str
    resource_version: str
    team: str = Field(description="The team owning the namespace (first by name), or blank")


class ClusterStatus(ApiModel):
    """A cluster's sync state: stale since when and why, and what its caches hold."""

    name: str
    stale: bool
    stale_since: str | None
    error: str | None
    synced: bool
    pinapps: int
    pods: int
    has_metrics_api: bool | None = Field(description="null until the cluster was asked")
    version: int


class WorkloadPage(Page[Workload]):
    """A page of PinApps, the health counts of the filtered set (ignoring ``health``, so every
    chip can show its count) and each cluster's state."""

    summary: dict[str, int]
    clusters: list[ClusterStatus]


class Pod(ApiModel):
    name: str
    namespace: str
    phase: str
    ready: bool
    restarts: int
    node: str
    created: str
    age: str
    containers: list[str]
    reason: str


class Event(ApiModel):
    type: str
    reason: str
    message: str
    count: int
    last: str
    age: str
    object: str = Field(description="Kind/name of the object the event is about")


class WorkloadDetail(ApiModel):
    """What the PinApp page shows."""

    row: Workload
    cluster: ClusterStatus
    pinapp: KubernetesObject
    spec: KubernetesObject
    status: KubernetesObject
    conditions: list[KubernetesObject]
    pods: list[Pod]
    events: list[Event]
    scaler: KubernetesObject | None
    yaml: str
    scaler_yaml: str


class Sample(ApiModel):
    t: float = Field(description="Unix time, seconds")
    desired: float | None
    ready: float | None
    restarts: float | None
    cpu_millicores: float | None
    memory_mib: float | None


class History(ApiModel):
    """The bounded metrics history; CPU and memory are null without a metrics API."""

    has_metrics_api: bool | None = Field(description="null until the cluster was asked")
    samples: list[Sample]


class PodLogs(ApiModel):
    pod: str
    container: str | None
    lines: list[str]


class ActionResult(ApiModel):
    """The object as the write left it, and its version (the next write's precondition)."""

    resource_version: str | None
    object: KubernetesObject
