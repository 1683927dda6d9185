"""The entity page state (``/catalog/[kind]/[namespace]/[name]``): one entity shaped for display.

Everything is computed once in ``load`` from ``get_entity`` and ``evaluate_entity``; the page
only renders. Plugin tabs (``get_registry().entity_tabs``) are shown when their predicate holds
on the entity body, and their ``on_load`` runs right after the entity loaded.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import PurePath
from typing import Any

import reflex as rx
import yaml

from pinconsole.catalog.query import OWNED_KINDS, get_entity, get_entity_by_ref, read_scope
from pinconsole.catalog.scorecards import evaluate_entity
from pinconsole.errors import DomainError
from pinconsole.plugins import get_registry
from pinconsole.state.base import AppState
from pinconsole.state.catalog import LIFECYCLE_INTENT, ref_url, score_intent, short_ref

# relation type -> (heading on the entity page, side in the graph: "in" uses me, "out" I use)
RELATION_LABELS: dict[str, tuple[str, str]] = {
    "providesApi": ("Provides APIs", "out"),
    "consumesApi": ("Consumes APIs", "out"),
    "dependsOn": ("Depends on", "out"),
    "partOf": ("Part of", "out"),
    "apiProvidedBy": ("Provided by", "in"),
    "apiConsumedBy": ("Consumed by", "in"),
    "dependencyOf": ("Dependents", "in"),
    "hasPart": ("Has parts", "in"),
    "ownedBy": ("Owned by", ""),
    "ownerOf": ("Owns", ""),
    "memberOf": ("Member of", ""),
    "hasMember": ("Members", ""),
    "childOf": ("Parent", ""),
    "parentOf": ("Children", ""),
}
GRAPH_EDGE = {
    "providesApi": "provides",
    "consumesApi": "consumes",
    "dependsOn": "depends on",
    "partOf": "part of",
    "apiProvidedBy": "provides",
    "apiConsumedBy": "consumes",
    "dependencyOf": "depends on",
    "hasPart": "part of",
}
GRAPH_MAX = 10  # nodes per side
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
METHOD_INTENT = {
    "GET": "info",
    "POST": "success",
    "PUT": "warning",
    "PATCH": "warning",
    "DELETE": "error",
}


MANAGED_BY = "backstage.io/managed-by-location"


def _domain_of(session: Any, entity: Any) -> str | None:
    """A system's own domain; for what belongs to a system, that system's (Backstage's model:
    components, APIs and resources reach their domain through their system)."""
    if entity.domain_ref or not entity.system_ref:
        return entity.domain_ref
    try:
        system = get_entity_by_ref(session, entity.system_ref, resolve_targets=False).entity
    except DomainError:
        return None
    return system.domain_ref


def location_label(location_key: str, managed_by: str) -> tuple[str, str, str]:
    """(label, url, full text) of where an entity's descriptor is.

    A file shows relative to the imported root (``demo-catalog/repos/a/catalog-info.yaml``,
    not a machine's absolute or temporary path); a URL shows as itself and links there; a
    provider shows as ``provider ldap``.
    """
    kind, _, where = managed_by.partition(":")
    if location_key.startswith("provider:"):
        return f"provider {location_key.removeprefix('provider:')}", "", location_key
    if kind == "url" or where.startswith(("http://", "https://")):
        return where, where, where
    path = where if kind == "file" else location_key
    if not path:
        return "", "", ""
    root = PurePath(location_key)
    # A directory location is its own root; a file location's root is its folder.
    base = root if path != location_key and root in PurePath(path).parents else root.parent
    try:
        rel = PurePath(path).relative_to(base)
    except ValueError:
        return PurePath(path).name, "", path
    return str(PurePath(base.name) / rel) if base.name else str(rel), "", path


@dataclasses.dataclass
class RelationGroup:
    """Targets of one relation type, for the Relations tab."""

    type: str = ""
    label: str = ""
    count: int = 0
    targets: list[dict[str, str]] = dataclasses.field(default_factory=list)


def openapi_operations(definition: str) -> tuple[list[dict[str, str]], str]:
    """(operations, error) of an OpenAPI/Swagger text: method, path, summary, in file order."""
    try:
        doc = yaml.safe_load(definition)
    except yaml.YAMLError as exc:
        return [], f"The definition is not valid YAML/JSON: {exc}"
    if not isinstance(doc, dict) or not isinstance(doc.get("paths"), dict):
        return [], "The definition has no paths."
    ops: list[dict[str, str]] = []
    for path, item in doc["paths"].items():
        if not isinstance(item, dict):
            continue
        for method, op in item.items():
            if method.lower() not in HTTP_METHODS:
                continue
            op = op if isinstance(op, dict) else {}
            verb = method.upper()
            ops.append(
                {
                    "method": verb,
                    "intent": METHOD_INTENT.get(verb, "neutral"),
                    "path": str(path),
                    "summary": str(op.get("summary") or op.get("description") or ""),
                    "operation_id": str(op.get("operationId") or ""),
                }
            )
    return ops, ""


def _api_info(definition: str) -> dict[str, str]:
    try:
        doc = yaml.safe_load(definition)
    except yaml.YAMLError:
        return {}
    info = doc.get("info") if isinstance(doc, dict) else None
    if not isinstance(info, dict):
        return {}
    version = doc.get("openapi") or doc.get("swagger") or ""
    return {
        "title": str(info.get("title") or ""),
        "version": str(info.get("version") or ""),
        "spec": f"OpenAPI {version}" if version else "",
    }


def _visible_tabs(body: dict[str, Any]) -> list[Any]:
    out = []
    for tab in get_registry().entity_tabs:
        try:
            if tab.predicate(body):
                out.append(tab)
        except Exception:  # a plugin's predicate must not break the entity page
            continue
    return out


class EntityState(AppState):
    """One entity; vars are prefixed ``e_`` (route args own ``kind``/``namespace``/``name``)."""

    found: bool = False
    loaded: bool = False
    error: str = ""
    e_ref: str = ""
    e_kind: str = ""
    e_namespace: str = ""
    e_name: str = ""
    e_title: str = ""
    e_description: str = ""
    e_type: str = ""
    e_lifecycle: str = ""
    e_lifecycle_intent: str = "neutral"
    e_owner: str = ""
    e_owner_url: str = ""
    e_system: str = ""
    e_system_url: str = ""
    e_domain: str = ""
    e_domain_url: str = ""
    e_status: str = ""
    e_orphaned_at: str = ""
    e_location: str = ""  # where the descriptor is, for people (see ``location_label``)
    e_location_url: str = ""  # set for URL locations
    e_location_title: str = ""  # the full path or URL (tooltip)
    links: list[dict[str, str]] = []
    tags: list[str] = []
    annotations: list[dict[str, str]] = []
    labels: list[dict[str, str]] = []
    score: str = "—"
    score_intent: str = "neutral"
    checks: list[dict[str, str]] = []
    relation_groups: list[RelationGroup] = []
    relation_count: int = 0
    graph_in: list[dict[str, str]] = []
    graph_out: list[dict[str, str]] = []
    graph_more_in: int = 0
    graph_more_out: int = 0
    is_api: bool = False
    api_type: str = ""
    api_is_openapi: bool = False
    api_operations: list[dict[str, str]] = []
    api_error: str = ""
    api_info: dict[str, str] = {}
    api_raw: str = ""
    tab: str = "overview"
    plugin_tab_ids: list[str] = []  # plugin tabs whose predicate holds: the bar shows these
    yaml_text: str = ""

    @rx.event
    def set_tab(self, value: str):  # type: ignore[no-untyped-def]
        self.tab = value

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        params = self.router.page.params
        kind, namespace, name = (
            str(params.get("kind", "")),
            str(params.get("namespace", "")),
            str(params.get("name", "")),
        )
        self.loaded = False
        query_tab = str(self.router.url.query_parameters.get("tab", "") or "")
        try:
            with read_scope() as session:
                detail = get_entity(session, kind, namespace, name)
                scored = detail.entity.kind in OWNED_KINDS
                card = evaluate_entity(session, detail.entity) if scored else None
                domain_ref = _domain_of(session, detail.entity)
        except DomainError as exc:
            self.found, self.loaded, self.error = False, True, str(exc)
            self.e_name, self.e_kind = name, kind
            return None
        self.error = ""
        self._show(detail, card, domain_ref)
        self.found, self.loaded = True, True
        tabs = _visible_tabs(dict(detail.entity.body))
        self.plugin_tab_ids = [t.id for t in tabs]
        optional = (["api"] if self.is_api else []) + self.plugin_tab_ids
        allowed = {"overview", "relations", *optional}
        self.tab = query_tab if query_tab in allowed else "overview"
        return [t.on_load for t in tabs if t.on_load is not None]

    def _show(self, detail: Any, card: dict[str, Any] | None, domain_ref: str | None) -> None:
        e = detail.entity
        body = dict(e.body)
        meta = body.get("metadata") or {}
        spec = body.get("spec") or {}
        self.e_ref, self.e_kind, self.e_namespace, self.e_name = e.ref, e.kind, e.namespace, e.name
        self.e_title = e.title or e.name
        self.e_description = e.description or ""
        self.e_type = e.spec_type or ""
        self.e_lifecycle = e.lifecycle or ""
        self.e_lifecycle_intent = LIFECYCLE_INTENT.get(self.e_lifecycle, "neutral")
        self.e_owner, self.e_owner_url = short_ref(e.owner_ref), ref_url(e.owner_ref)
        self.e_system, self.e_system_url = short_ref(e.system_ref), ref_url(e.system_ref)
        self.e_domain, self.e_domain_url = short_ref(domain_ref), ref_url(domain_ref)
        self.e_status = e.status
        self.e_orphaned_at = e.orphaned_at.strftime("%Y-%m-%d %H:%M UTC") if e.orphaned_at else ""
        annotations = meta.get("annotations") or {}
        self.e_location, self.e_location_url, self.e_location_title = location_label(
            e.location_key or "", str(annotations.get(MANAGED_BY) or "")
        )
        self.links = [
            {
                "url": str(link.get("url", "")),
                "title": str(link.get("title") or link.get("url", "")),
                "icon": str(link.get("icon") or ""),
            }
            for link in meta.get("links") or []
            if isinstance(link, dict) and link.get("url")
        ]
        self.tags = [str(t) for t in meta.get("tags") or []]
        self.annotations = [
            {"key": str(k), "value": str(v)}
            for k, v in sorted((meta.get("annotations") or {}).items())
        ]
        self.labels = [
            {"key": str(k), "value": str(v)} for k, v in sorted((meta.get("labels") or {}).items())
        ]
        if card is not None:
            self.score = str(card["score"]) if card["score"] is not None else "—"
            self.score_intent = score_intent(card["score"])
            self.checks = [
                {
                    "id": str(c["id"]),
                    "label": str(c["label"]),
                    "passed": "yes" if c["passed"] else "no",
                    "description": str(c.get("description") or ""),
                }
                for c in card["checks"]
            ]
        else:
            self.score, self.score_intent, self.checks = "—", "neutral", []
        self._relations(detail.relations)
        self.is_api = e.kind == "api"
        self.api_type = str(spec.get("type") or "") if self.is_api else ""
        definition = spec.get("definition") if self.is_api else None
        if definition is not None and not isinstance(definition, str):
            definition = yaml.safe_dump(definition, sort_keys=False)
        self.api_raw = definition or ""
        self.api_is_openapi = self.api_type.lower() in ("openapi", "swagger")
        if self.api_is_openapi and self.api_raw:
            self.api_operations, self.api_error = openapi_operations(self.api_raw)
            self.api_info = _api_info(self.api_raw)
        else:
            self.api_operations, self.api_error, self.api_info = [], "", {}
        self.yaml_text = yaml.safe_dump(
            {k: body[k] for k in ("apiVersion", "kind", "metadata", "spec") if k in body},
            sort_keys=False,
            allow_unicode=True,
        )
        if len(self.yaml_text) > 200_000:  # keep the state small; the API serves the full body
            self.yaml_text = json.dumps(body)[:200_000]

    def _relations(self, relations: list[Any]) -> None:
        groups: dict[str, list[dict[str, str]]] = {}
        graph: dict[str, list[dict[str, str]]] = {"in": [], "out": []}
        for r in relations:
            item = {
                "title": r.title or r.name,
                "ref": r.target_ref,
                "kind": r.kind,
                "url": r.url,
                "exists": "yes" if r.exists else "no",
            }
            groups.setdefault(r.type, []).append(item)
            side = RELATION_LABELS.get(r.type, ("", ""))[1]
            if side:
                graph[side].append({**item, "edge": GRAPH_EDGE.get(r.type, r.type)})
        order = list(RELATION_LABELS)
        self.relation_groups = [
            RelationGroup(
                type=rtype,
                label=RELATION_LABELS.get(rtype, (rtype, ""))[0],
                count=len(items),
                targets=items,
            )
            for rtype, items in sorted(
                groups.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99
            )
        ]
        self.relation_count = len(relations)
        self.graph_in, self.graph_more_in = (
            graph["in"][:GRAPH_MAX],
            max(0, len(graph["in"]) - GRAPH_MAX),
        )
        self.graph_out, self.graph_more_out = (
            graph["out"][:GRAPH_MAX],
            max(0, len(graph["out"]) - GRAPH_MAX),
        )
