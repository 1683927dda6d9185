"""The home page's workloads module: the health of each of a user's services, from the caches.

A service's health is its worst PinApp's: a PinApp with a crash-looping pod is down even when
some of its replicas are still ready (a pod that keeps restarting is an incident, not a
degradation), then degraded, then healthy; paused PinApps say nothing about health, and a
service with no PinApps has none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pinconsole.compute import queries, tenancy
from pinconsole.compute.clusters import ClusterManager, get_manager
from pinconsole.compute.display import HEALTH_KIND

# Worst first: a service takes the first of these any of its PinApps has.
WORST_FIRST = ("down", "degraded", "healthy", "paused")
CRASH_LOOP = "CrashLoopBackOff"
NONE = "none"  # the service has no PinApps


def pinapp_health(row: Mapping[str, Any], pod_reasons: Sequence[str]) -> str:
    """The cache row's health, made ``down`` when one of its pods is crash-looping."""
    if row["health"] != "paused" and CRASH_LOOP in pod_reasons:
        return "down"
    return str(row["health"])


def worst_health(healths: Sequence[str]) -> str:
    """The worst of the PinApps' healths; ``none`` without PinApps."""
    return next((h for h in WORST_FIRST if h in healths), NONE)


def _app(row: Mapping[str, Any], manager: ClusterManager) -> dict[str, Any]:
    pods = manager.get(row["cluster"]).pods_of((row["namespace"], row["name"]))
    reasons = [p.reason for p in pods]
    health = pinapp_health(row, reasons)
    return {
        "name": row["name"],
        "cluster": row["cluster"],
        "namespace": row["namespace"],
        "health": health,
        "crash_looping": CRASH_LOOP in reasons,
        "ready": int(row["ready"]),
        "desired": int(row["desired"]),
        "restarts": int(row["restarts"]),
        "ref": f"pinapp:{row['cluster']}/{row['namespace']}/{row['name']}",
        "url": f"/workloads/{row['cluster']}/{row['namespace']}/{row['name']}",
    }


def team_pinapp_refs(
    owner_refs: Sequence[str], *, manager: ClusterManager | None = None
) -> list[str]:
    """The audit refs of the PinApps in namespaces ``owner_refs`` own (``tenancy``)."""
    owners = {o.lower() for o in owner_refs}
    spaces = {ns for ns, groups in tenancy.namespace_owners().items() if groups & owners}
    refs: list[str] = []
    for cache in (manager or get_manager()).all():
        with cache.lock:
            keys = [k for k in cache.rows if k[0] in spaces]
        refs += [f"pinapp:{cache.name}/{ns}/{name}" for ns, name in keys]
    return sorted(refs)


def services_health(
    services: Sequence[Mapping[str, Any]], *, manager: ClusterManager | None = None
) -> dict[str, Any]:
    """Per service (home summary rows with ``annotations``): its PinApps and worst health, the
    worst services first; and the refs of those PinApps."""
    manager = manager or get_manager()
    version = queries.changes_version(manager)  # before reading: a change meanwhile shows next
    out: list[dict[str, Any]] = []
    for s in services:
        rows = queries.workloads_for_entity(
            {"metadata": {"annotations": s.get("annotations") or {}}}, manager=manager
        )
        apps = [_app(r, manager) for r in rows]
        health = worst_health([a["health"] for a in apps])
        out.append(
            {
                "name": str(s.get("name") or ""),
                "title": str(s.get("title") or s.get("name") or ""),
                "url": str(s.get("url") or "#"),
                "health": health,
                "kind": HEALTH_KIND.get(health, "unknown"),
                "apps": apps,
            }
        )
    rank = {h: i for i, h in enumerate((*WORST_FIRST, NONE))}
    out.sort(key=lambda s: rank[s["health"]])  # stable: the catalog's name order within a rank
    return {
        "services": out,
        "refs": sorted(a["ref"] for s in out for a in s["apps"]),
        "version": version,
    }
