"""Who may act on a namespace's workloads: the team that owns the namespace, and admins.

A team owns namespaces through ``settings.namespace_owners`` (namespace -> group) and through the
``pinconsole.io/namespaces`` annotation on its Group entity (comma-separated). Everyone may read;
acting needs membership (transitive, as ``Principal.groups`` holds ancestors) of an owning team.
Denials are audited by ``access.authorize``.
"""

from __future__ import annotations

import threading
import time

from sqlmodel import col, select

from pinconsole.access.policy import Resource, authorize, is_allowed
from pinconsole.access.principal import Principal, group_ref
from pinconsole.db import session_scope
from pinconsole.models.catalog import Entity
from pinconsole.settings import get_settings

NAMESPACES_ANNOTATION = "pinconsole.io/namespaces"
_TTL_SECONDS = 30.0
_lock = threading.Lock()
_cached: tuple[float, dict[str, frozenset[str]]] | None = None


def _from_groups() -> dict[str, set[str]]:
    owners: dict[str, set[str]] = {}
    with session_scope() as session:
        groups = session.exec(select(Entity).where(col(Entity.kind) == "group")).all()
        for group in groups:
            annotations = (group.body.get("metadata") or {}).get("annotations") or {}
            for ns in str(annotations.get(NAMESPACES_ANNOTATION, "")).split(","):
                if ns.strip():
                    owners.setdefault(ns.strip(), set()).add(group.ref.lower())
    return owners


def namespace_owners() -> dict[str, frozenset[str]]:
    """namespace -> owning group refs (settings first, then Group annotations), cached 30 s."""
    global _cached
    with _lock:
        if _cached is not None and time.monotonic() - _cached[0] < _TTL_SECONDS:
            return _cached[1]
    owners: dict[str, set[str]] = {}
    for ns, group in get_settings().namespace_owners.items():
        owners.setdefault(ns, set()).add(group_ref(group))
    try:
        for ns, groups in _from_groups().items():
            owners.setdefault(ns, set()).update(groups)
    except Exception:  # no catalog tables yet (fresh install): settings alone decide
        pass
    result = {ns: frozenset(groups) for ns, groups in owners.items()}
    with _lock:
        _cached = (time.monotonic(), result)
    return result


def clear_cache() -> None:
    """Forget cached owners (tests, and after a catalog or settings change)."""
    global _cached
    with _lock:
        _cached = None


def owners_of(namespace: str) -> frozenset[str]:
    return namespace_owners().get(namespace, frozenset())


def namespaces_of(team: str) -> set[str]:
    """Namespaces owned by ``team`` (a name or a group ref)."""
    ref = group_ref(team)
    return {ns for ns, owners in namespace_owners().items() if ref in owners}


def workload_resource(cluster: str, namespace: str, name: str, kind: str = "pinapp") -> Resource:
    """The access Resource of a workload; its ref is what audit rows name as the target."""
    return Resource(kind, f"{kind}:{cluster}/{namespace}/{name}", owners_of(namespace))


def authorize_workload(
    principal: Principal, action: str, cluster: str, namespace: str, name: str, kind: str = "pinapp"
) -> Resource:
    """Raise ``Forbidden`` (and audit the denial) unless ``principal`` may act in the namespace."""
    resource = workload_resource(cluster, namespace, name, kind)
    authorize(principal, action, resource)
    return resource


def can_act(
    principal: Principal, cluster: str, namespace: str, action: str = "pinapp.scale"
) -> bool:
    """For showing or hiding action buttons; no audit."""
    return is_allowed(principal, action, workload_resource(cluster, namespace, "*"))
