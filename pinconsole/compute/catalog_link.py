"""Which catalog entity a PinApp belongs to: the way back from a workload to its service.

The Workloads tab finds PinApps from an entity's annotations (``queries.workloads_for_entity``);
this is the reverse for the PinApp page's "Open in catalog": the component (or resource) whose
``kubernetes-id`` annotation names the PinApp's id, else the component of the default namespace
the PinApp's ``spec.service`` names. A label selector annotation is not reversed (it would
match every PinApp against every selector); such entities are still found by their name.
"""

from __future__ import annotations

from pinconsole import cache
from pinconsole.catalog.annotations import annotated_entities
from pinconsole.catalog.query import entity_url, get_entity_by_ref, read_scope
from pinconsole.catalog.query.entity import split_ref
from pinconsole.catalog.refs import RefError, parse_ref
from pinconsole.compute.constants import ID_ANNOTATIONS
from pinconsole.errors import DomainError

LINKED_KINDS = ("component", "resource")


def entity_of_pinapp(kube_id: str, service: str) -> dict[str, str] | None:
    """``{"ref", "url"}`` of the PinApp's entity, or None. Cached until the catalog changes:
    the PinApp page asks on every live refresh."""
    ref = _by_kube_id().get(kube_id) if kube_id else None
    if ref is None and service:
        ref = cache.cached("compute.service-entity", service, lambda: _by_name(service))
    if not ref:
        return None
    return {"ref": ref, "url": entity_url(*split_ref(ref))}


def _by_kube_id() -> dict[str, str]:
    """kubernetes id -> entity ref; an id claimed twice goes to the default namespace's, then
    the first ref."""

    def build() -> dict[str, str]:
        out: dict[str, str] = {}
        found = annotated_entities(LINKED_KINDS, ID_ANNOTATIONS)
        for e in sorted(
            found, key=lambda e: (not e.ref.split(":", 1)[-1].startswith("default/"), e.ref)
        ):
            kube_id = next((e.annotations[a] for a in ID_ANNOTATIONS if e.annotations.get(a)), "")
            out.setdefault(kube_id, e.ref)
        return out

    return cache.cached("compute.kube-id-entities", (), build, maxsize=1)


def _by_name(service: str) -> str:
    """The entity ``service`` names (a ref, or a component's name in the default namespace,
    as Backstage completes refs), or "": a PinApp whose spec names nothing valid still has its
    page."""
    try:
        ref = str(parse_ref(service, default_kind="component"))
        with read_scope() as session:
            found = get_entity_by_ref(session, ref, resolve_targets=False)
    except (DomainError, RefError):  # no such entity, or a spec.service no ref can be
        return ""
    return found.entity.ref
