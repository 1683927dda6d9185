"""PinApps as the pages show them: rows of strings, health kinds, spec, scaler and stale-cluster
notes. Reflex-free, so the REST API, the pages and their tests share one rendering."""

from __future__ import annotations

from typing import Any

HEALTH_KIND = {"healthy": "ok", "degraded": "warning", "down": "critical", "paused": "unknown"}


def display_row(row: dict[str, Any]) -> dict[str, Any]:
    """A cache row with every value a string, plus what the tables link and colour by."""
    return {
        **{k: str(v) for k, v in row.items()},
        "replicas": f"{row['ready']}/{row['desired']}",
        "status_kind": HEALTH_KIND.get(row["health"], "unknown"),
        "url": f"/workloads/{row['cluster']}/{row['namespace']}/{row['name']}",
        "key": f"{row['cluster']}/{row['namespace']}/{row['name']}",
        "team_name": str(row.get("team", "")).rsplit("/", 1)[-1],
    }


def app_header(row: dict[str, Any]) -> dict[str, str]:
    """The PinApp page's header: the row as strings, its health kind and ready/desired."""
    return {
        **{k: str(v) for k, v in row.items()},
        "status_kind": HEALTH_KIND.get(row["health"], "unknown"),
        "replicas_label": f"{row['ready']}/{row['desired']}",
    }


def stale_notes(statuses: list[dict[str, Any]]) -> list[str]:
    return [
        f"Cluster {s['name']} is unreachable since {s['stale_since'] or '?'}: {s['error']}. "
        "Showing what it last reported."
        for s in statuses
        if s["stale"]
    ]


def spec_rows(spec: dict[str, Any], status: dict[str, Any]) -> list[dict[str, str]]:
    """Spec and status fields as label/value rows, one row per container, its env and ports."""
    rows = [
        {"field": "Image", "value": str(spec.get("image", ""))},
        {"field": "Replicas", "value": str(spec.get("replicas", ""))},
        {"field": "Tier", "value": str(spec.get("tier", ""))},
        {"field": "Service", "value": str(spec.get("service", ""))},
        {"field": "Paused", "value": "yes" if spec.get("paused") else "no"},
    ]
    ports = [
        f"{p.get('name') + ' ' if p.get('name') else ''}{p.get('containerPort')}/"
        f"{p.get('protocol', 'TCP')}"
        for p in spec.get("ports") or []
    ]
    if ports:
        rows.append({"field": "Ports", "value": ", ".join(ports)})
    for c in spec.get("containers") or []:
        resources = c.get("resources") or {}
        parts = [
            f"{kind} " + ", ".join(f"{k}={v}" for k, v in (resources.get(kind) or {}).items())
            for kind in ("requests", "limits")
            if resources.get(kind)
        ]
        if c.get("image"):
            parts.insert(0, str(c["image"]))
        rows.append({"field": f"Container {c.get('name', '')}", "value": "; ".join(parts) or "-"})
        env = [f"{e.get('name')}={e.get('value', '')}" for e in c.get("env") or []]
        if env:
            rows.append({"field": f"Env of {c.get('name', '')}", "value": ", ".join(env)})
    rows += [
        {"field": "Current image", "value": str(status.get("currentImage", ""))},
        {"field": "Updated replicas", "value": str(status.get("updatedReplicas", ""))},
        {"field": "Observed generation", "value": str(status.get("observedGeneration", ""))},
    ]
    return rows


def metrics_label(metrics: list[dict[str, Any]]) -> str:
    """``CPU 70%, requests_per_second 500`` for the PinScaler's metric targets."""
    out = []
    for m in metrics:
        if m.get("type") == "cpu":
            out.append(f"CPU {m.get('targetUtilization')}%")
        else:
            out.append(f"{m.get('name')} {m.get('targetValue')}")
    return ", ".join(out) or "none"


def scaler_summary(scaler: dict[str, Any] | None) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The PinScaler's limits, status and metric targets, and its schedules, as strings."""
    if not scaler:
        return {}, []
    spec = scaler.get("spec") or {}
    status = scaler.get("status") or {}
    summary = {
        "name": scaler["metadata"]["name"],
        "min": str(spec.get("minReplicas", "")),
        "max": str(spec.get("maxReplicas", "")),
        "current": str(status.get("currentReplicas", "-")),
        "desired": str(status.get("desiredReplicas", "-")),
        "last_scale": str(status.get("lastScaleTime", "never")),
        "cooldown": str(spec.get("cooldownSeconds", "")),
        "metrics": metrics_label(spec.get("metrics") or []),
        "resource_version": scaler["metadata"].get("resourceVersion", ""),
    }
    schedules = [
        {
            "name": str(item.get("name", "")),
            "cron": str(item.get("cron", "")),
            "duration": str(item.get("duration", "")),
            "min": str(item.get("minReplicas", "")),
        }
        for item in spec.get("schedules") or []
    ]
    return summary, schedules


def conditions_rows(conditions: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {k: str(c.get(k, "")) for k in ("type", "status", "reason", "message")} for c in conditions
    ]


def as_strings(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{k: str(v) for k, v in item.items()} for item in items]
