"""What pages, the API and the CLI read about workloads. Every function reads the caches only."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import yaml
from cachetools import LRUCache

from pinconsole.compute import tenancy
from pinconsole.compute.cache import HEALTHS
from pinconsole.compute.clusters import ClusterManager, get_manager, require_cluster
from pinconsole.compute.constants import ID_ANNOTATIONS, NAMESPACE_ANNOTATION, SELECTOR_ANNOTATION
from pinconsole.compute.selectors import matches, parse_selector
from pinconsole.errors import Invalid, NotFound

KUBERNETES_ANNOTATIONS = (*ID_ANNOTATIONS, SELECTOR_ANNOTATION)


def _public(row: dict[str, Any], team: str | None = None) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if not k.startswith("_")}
    if team is not None:
        out["team"] = team
    return out


def _team_of(namespace: str) -> str:
    owners = sorted(tenancy.owners_of(namespace))
    return owners[0] if owners else ""


def list_pinapps(
    cluster: str | None = None,
    namespace: str | None = None,
    team: str | None = None,
    health: str | None = None,
    text: str | None = None,
    limit: int = 50,
    offset: int = 0,
    *,
    manager: ClusterManager | None = None,
) -> tuple[list[dict[str, Any]], int, dict[str, int]]:
    """One page of PinApps across clusters, the total, and health counts of the filtered set.

    The summary counts ignore the ``health`` filter, so the page can show every health chip.
    """
    if health and health not in HEALTHS:
        raise Invalid(f"health must be one of {', '.join(HEALTHS)}", where="health")
    manager = manager or get_manager()
    caches = [manager.get(cluster)] if cluster else manager.all()
    allowed_ns = tenancy.namespaces_of(team) if team else None
    needle = text.lower().strip() if text else ""
    summary = dict.fromkeys(HEALTHS, 0)
    page: list[dict[str, Any]] = []
    total = 0
    for cache in caches:
        for row in cache.ordered_rows():
            if namespace and row["namespace"] != namespace:
                continue
            if allowed_ns is not None and row["namespace"] not in allowed_ns:
                continue
            if needle and needle not in row["_search"]:
                continue
            summary[row["health"]] += 1
            if health and row["health"] != health:
                continue
            if offset <= total < offset + limit:
                page.append(row)
            total += 1
    return [_public(r, _team_of(r["namespace"])) for r in page], total, summary


def cluster_statuses(manager: ClusterManager | None = None) -> list[dict[str, Any]]:
    """Per cluster: stale (since, error), synced, counts, has_metrics_api."""
    return [cache.status() for cache in (manager or get_manager()).all()]


def namespaces(manager: ClusterManager | None = None) -> list[str]:
    """Namespaces that hold PinApps (for the filter dropdown)."""
    found: set[str] = set()
    for cache in (manager or get_manager()).all():
        with cache.lock:
            found |= {ns for ns, _ in cache.pinapps}
    return sorted(found)


_YAML: LRUCache[tuple[str, str], str] = LRUCache(maxsize=1024)
_YAML_LOCK = threading.Lock()


def as_yaml(obj: dict[str, Any]) -> str:
    """``obj`` as YAML, dumped once per version: an object's uid and resourceVersion name its
    content, and each open PinApp page asks again every few seconds."""
    meta = obj.get("metadata") or {}
    key = (str(meta.get("uid") or ""), str(meta.get("resourceVersion") or ""))
    if not all(key):
        return yaml.safe_dump(obj, sort_keys=False)
    with _YAML_LOCK:
        text = _YAML.get(key)
    if text is None:
        text = yaml.safe_dump(obj, sort_keys=False)
        with _YAML_LOCK:
            _YAML[key] = text
    return text


def get_pinapp(
    cluster: str, namespace: str, name: str, *, manager: ClusterManager | None = None
) -> dict[str, Any]:
    """What the PinApp page shows: row, spec, status, conditions, pods, events, scaler, YAML."""
    cache = require_cluster(cluster, manager)
    key = (namespace, name)
    with cache.lock:
        obj = cache.pinapps.get(key)
        row = cache.rows.get(key)
    if obj is None or row is None:
        raise NotFound(f"PinApp {namespace}/{name} not found in {cluster}", where="pinapp")
    pods = cache.pods_of(key)
    events = cache.events_of(key, [p.name for p in pods])
    scaler = cache.scaler_of(key)
    status = obj.get("status") or {}
    return {
        "row": _public(row, _team_of(namespace)),
        "cluster": cache.status(),
        "pinapp": obj,
        "spec": obj.get("spec") or {},
        "status": status,
        "conditions": status.get("conditions") or [],
        "pods": [p.as_dict() for p in pods],
        "events": [e.as_dict() for e in events],
        "scaler": scaler,
        "yaml": as_yaml(obj),
        "scaler_yaml": as_yaml(scaler) if scaler else "",
    }


def require_pod_of(
    cluster: str, namespace: str, name: str, pod: str, *, manager: ClusterManager | None = None
) -> None:
    """``NotFound`` unless ``pod`` is one of PinApp ``namespace/name``'s pods (from the cache):
    a URL naming a PinApp must not read the logs of another workload's pod."""
    cache = require_cluster(cluster, manager)
    key = (namespace, name)
    with cache.lock:
        known = key in cache.pinapps
    if not known:
        raise NotFound(f"PinApp {namespace}/{name} not found in {cluster}", where="pinapp")
    if pod not in {p.name for p in cache.pods_of(key)}:
        raise NotFound(
            f"pod {pod} is not a pod of PinApp {namespace}/{name} in {cluster}", where="pod"
        )


def pinapp_history(
    cluster: str,
    namespace: str,
    name: str,
    *,
    window: float | None = None,
    manager: ClusterManager | None = None,
) -> dict[str, Any]:
    """The bounded metrics history: samples of t, desired, ready, restarts, cpu_millicores,
    memory_mib (CPU and memory are None when the cluster has no metrics API), of the last
    ``window`` seconds (None: the last hour, as sampled; up to six hours, older minutes
    aggregated)."""
    cache = require_cluster(cluster, manager)
    return {
        "has_metrics_api": cache.has_metrics_api,
        "samples": cache.history_of((namespace, name), window),
    }


def has_kubernetes_annotations(entity_body: Mapping[str, Any]) -> bool:
    """The Workloads tab's predicate."""
    annotations = (entity_body.get("metadata") or {}).get("annotations") or {}
    return any(annotations.get(a) for a in KUBERNETES_ANNOTATIONS)


def workloads_for_entity(
    entity_body: Mapping[str, Any], *, manager: ClusterManager | None = None
) -> list[dict[str, Any]]:
    """PinApps of a catalog entity, found as Backstage's Kubernetes plugin finds them.

    ``backstage.io/kubernetes-label-selector`` wins over the id annotations (``pinconsole.io/
    kubernetes-id``, ``backstage.io/kubernetes-id``, matched against the PinApp's
    ``backstage.io/kubernetes-id`` label or its name); ``backstage.io/kubernetes-namespace``
    narrows to one namespace.
    """
    annotations = (entity_body.get("metadata") or {}).get("annotations") or {}
    selector_text = annotations.get(SELECTOR_ANNOTATION)
    kube_id = next((annotations[a] for a in ID_ANNOTATIONS if annotations.get(a)), None)
    ns_filter = annotations.get(NAMESPACE_ANNOTATION)
    if not selector_text and not kube_id:
        return []
    selector = parse_selector(selector_text) if selector_text else None
    found: list[dict[str, Any]] = []
    for cache in (manager or get_manager()).all():
        if selector is not None:
            with cache.lock:
                keys = [
                    k
                    for k, obj in cache.pinapps.items()
                    if matches(selector, (obj.get("metadata") or {}).get("labels"))
                ]
        else:
            keys = list(cache.keys_for_kube_id(str(kube_id)))
        with cache.lock:
            rows = [cache.rows[k] for k in sorted(keys) if k in cache.rows]
        found += [
            _public(r, _team_of(r["namespace"]))
            for r in rows
            if not ns_filter or r["namespace"] == ns_filter
        ]
    return found


def changes_version(manager: ClusterManager | None = None) -> int:
    """A number that changes whenever any cache changes (cheap polling for live pages)."""
    return (manager or get_manager()).version()
