"""Who may act on a namespace's workloads: the team that owns the namespace, and admins.

A team owns namespaces through ``settings.namespace_owners`` (namespace -> group) and through the
``pinconsole.io/namespaces`` annotation on its Group entity (comma-separated). Everyone may read;
acting needs membership (transitive, as ``Principal.groups`` holds ancestors) of an owning team.
Denials are audited by ``access.authorize``.
"""

from __future__ import annotations

from sqlalchemy import exc as sa_exc

from pinconsole import cache
from pinconsole.access.policy import Resource, authorize, is_allowed
from pinconsole.access.principal import Principal, group_ref
from pinconsole.catalog.annotations import annotated_entities
from pinconsole.compute.constants import NAMESPACES_ANNOTATION
from pinconsole.errors import Unavailable
from pinconsole.settings import get_settings

# What the database raises when it cannot be reached (the ORM wraps the driver's errors).
_OUTAGES = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)


def _configured() -> dict[str, set[str]]:
    owners: dict[str, set[str]] = {}
    for ns, group in get_settings().namespace_owners.items():
        owners.setdefault(ns, set()).add(group_ref(group))
    return owners


def _owners() -> dict[str, frozenset[str]]:
    owners = _configured()
    for group in annotated_entities(["group"], [NAMESPACES_ANNOTATION]):
        for ns in group.annotations[NAMESPACES_ANNOTATION].split(","):
            if ns.strip():
                owners.setdefault(ns.strip(), set()).add(group.ref.lower())
    return {ns: frozenset(groups) for ns, groups in owners.items()}


def namespace_owners() -> dict[str, frozenset[str]]:
    """namespace -> owning group refs (``settings.namespace_owners`` and Group annotations).

    Cached until the catalog changes (``pinconsole.cache``; nothing changes it while the database
    is down, so a cached answer still holds). A read that fails is ``Unavailable``, never
    "settings alone": a missing owner would hide a team's buttons and deny (and audit as
    denied) what the team may do.
    """
    configured = tuple(sorted(get_settings().namespace_owners.items()))  # settings may change
    try:
        return cache.cached("compute.namespace_owners", configured, _owners)
    except _OUTAGES as exc:
        raise Unavailable(
            "the catalog cannot be read, so who owns which namespace is unknown; try again shortly",
            where="namespace owners",
        ) from exc


def owners_of(namespace: str) -> frozenset[str]:
    return namespace_owners().get(namespace, frozenset())


def namespaces_of(team: str) -> set[str]:
    """Namespaces owned by ``team`` (a name or a group ref)."""
    ref = group_ref(team)
    return {ns for ns, owners in namespace_owners().items() if ref in owners}


def workload_resource(cluster: str, namespace: str, name: str, kind: str = "pinapp") -> Resource:
    """The access Resource of a workload; its ref is what audit rows name as the target."""
    return Resource(kind, f"{kind}:{cluster}/{namespace}/{name}", owners_of(namespace))


def _decidable(
    principal: Principal, action: str, cluster: str, namespace: str, name: str, kind: str
) -> Resource:
    """The workload's Resource, or while the catalog cannot be read the one settings describe
    if that already allows ``action`` (annotations only add owners); else ``Unavailable``, as a
    denial could be wrong."""
    try:
        return workload_resource(cluster, namespace, name, kind)
    except Unavailable:
        configured = frozenset(_configured().get(namespace, ()))
        resource = Resource(kind, f"{kind}:{cluster}/{namespace}/{name}", configured)
        if is_allowed(principal, action, resource):
            return resource
        raise


def authorize_workload(
    principal: Principal, action: str, cluster: str, namespace: str, name: str, kind: str = "pinapp"
) -> Resource:
    """Raise ``Forbidden`` (and audit the denial) unless ``principal`` may act in the namespace.

    During a catalog outage an action that settings (or admin rights) allow goes ahead; any other
    is ``Unavailable``, not ``Forbidden``: whether a Group annotation allows it is unknown.
    """
    resource = _decidable(principal, action, cluster, namespace, name, kind)
    authorize(principal, action, resource)
    return resource


def can_act(
    principal: Principal, cluster: str, namespace: str, action: str = "pinapp.scale"
) -> bool:
    """For showing or hiding action buttons; no audit. ``Unavailable`` as ``authorize_workload``."""
    resource = _decidable(principal, action, cluster, namespace, "*", "pinapp")
    return is_allowed(principal, action, resource)
