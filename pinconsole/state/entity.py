"""The entity page state (``/catalog/[kind]/[namespace]/[name]``): one entity shaped for display.

Everything is read and shaped once in ``load`` from the catalog's ``entity_view`` (in the UI's
thread pool); the page only renders. Plugin tabs (``get_registry().entity_tabs``) are shown when
their predicate holds on the entity body, and their ``on_load`` runs right after the entity
loaded.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import PurePath
from typing import Any

import yaml

from pinconsole.catalog.openapi import describe
from pinconsole.catalog.query import entity_view
from pinconsole.errors import DomainError
from pinconsole.plugins import get_registry
from pinconsole.state.base import AppState
from pinconsole.state.catalog import LIFECYCLE_INTENT, ref_url, score_intent, short_ref
from pinconsole.state.guard import guarded

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
METHOD_INTENT = {
    "GET": "info",
    "POST": "success",
    "PUT": "warning",
    "PATCH": "warning",
    "DELETE": "error",
}


MANAGED_BY = "backstage.io/managed-by-location"


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

    @guarded
    async def set_tab(self, value: str):  # type: ignore[no-untyped-def]
        self.tab = value

    @guarded
    async def load(self):  # type: ignore[no-untyped-def]
        params = self.router.page.params
        kind, namespace, name = (
            str(params.get("kind", "")),
            str(params.get("namespace", "")),
            str(params.get("name", "")),
        )
        self.loaded = False
        query_tab = str(self.router.url.query_parameters.get("tab", "") or "")
        try:
            view, body = await self._run(_entity_view, kind, namespace, name)
        except DomainError as exc:
            self.found, self.loaded, self.error = False, True, str(exc)
            self.e_name, self.e_kind = name, kind
            return None
        self.error = ""
        for var, value in view.items():
            setattr(self, var, value)
        self.found, self.loaded = True, True
        tabs = _visible_tabs(body)
        self.plugin_tab_ids = [t.id for t in tabs]
        optional = (["api"] if self.is_api else []) + self.plugin_tab_ids
        allowed = {"overview", "relations", *optional}
        self.tab = query_tab if query_tab in allowed else "overview"
        return [t.on_load for t in tabs if t.on_load is not None]


def _entity_view(kind: str, namespace: str, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the page's vars, the entity body) of one entity, read and shaped in the UI's thread
    pool (an API's definition can take a while to parse)."""
    view = entity_view(kind, namespace, name)
    return _shown(view.detail, view.scorecard, view.domain_ref), dict(view.detail.entity.body)


def _shown(detail: Any, card: dict[str, Any] | None, domain_ref: str | None) -> dict[str, Any]:
    """The entity page's var values for ``detail``."""
    e = detail.entity
    body = dict(e.body)
    meta = body.get("metadata") or {}
    spec = body.get("spec") or {}
    v: dict[str, Any] = {
        "e_ref": e.ref,
        "e_kind": e.kind,
        "e_namespace": e.namespace,
        "e_name": e.name,
        "e_title": e.title or e.name,
        "e_description": e.description or "",
        "e_type": e.spec_type or "",
        "e_lifecycle": e.lifecycle or "",
        "e_lifecycle_intent": LIFECYCLE_INTENT.get(e.lifecycle or "", "neutral"),
        "e_owner": short_ref(e.owner_ref),
        "e_owner_url": ref_url(e.owner_ref),
        "e_system": short_ref(e.system_ref),
        "e_system_url": ref_url(e.system_ref),
        "e_domain": short_ref(domain_ref),
        "e_domain_url": ref_url(domain_ref),
        "e_status": e.status,
        "e_orphaned_at": e.orphaned_at.strftime("%Y-%m-%d %H:%M UTC") if e.orphaned_at else "",
    }
    annotations = meta.get("annotations") or {}
    v["e_location"], v["e_location_url"], v["e_location_title"] = location_label(
        e.location_key or "", str(annotations.get(MANAGED_BY) or "")
    )
    v["links"] = [
        {
            "url": str(link.get("url", "")),
            "title": str(link.get("title") or link.get("url", "")),
            "icon": str(link.get("icon") or ""),
        }
        for link in meta.get("links") or []
        if isinstance(link, dict) and link.get("url")
    ]
    v["tags"] = [str(t) for t in meta.get("tags") or []]
    v["annotations"] = [
        {"key": str(k), "value": str(val)}
        for k, val in sorted((meta.get("annotations") or {}).items())
    ]
    v["labels"] = [
        {"key": str(k), "value": str(val)} for k, val in sorted((meta.get("labels") or {}).items())
    ]
    if card is not None:
        v["score"] = str(card["score"]) if card["score"] is not None else "—"
        v["score_intent"] = score_intent(card["score"])
        v["checks"] = [
            {
                "id": str(c["id"]),
                "label": str(c["label"]),
                "passed": "yes" if c["passed"] else "no",
                "description": str(c.get("description") or ""),
            }
            for c in card["checks"]
        ]
    else:
        v["score"], v["score_intent"], v["checks"] = "—", "neutral", []
    v.update(_relations(detail.relations))
    is_api = e.kind == "api"
    v["is_api"] = is_api
    v["api_type"] = str(spec.get("type") or "") if is_api else ""
    definition = spec.get("definition") if is_api else None
    if definition is not None and not isinstance(definition, str):
        definition = yaml.safe_dump(definition, sort_keys=False)
    v["api_raw"] = definition or ""
    v["api_is_openapi"] = v["api_type"].lower() in ("openapi", "swagger")
    if v["api_is_openapi"] and v["api_raw"]:
        api = describe(v["api_raw"])
        v["api_operations"] = [
            {**op, "intent": METHOD_INTENT.get(op["method"], "neutral")} for op in api.operations
        ]
        v["api_error"], v["api_info"] = api.error, api.info
    else:
        v["api_operations"], v["api_error"], v["api_info"] = [], "", {}
    text = yaml.safe_dump(
        {k: body[k] for k in ("apiVersion", "kind", "metadata", "spec") if k in body},
        sort_keys=False,
        allow_unicode=True,
    )
    if len(text) > 200_000:  # keep the state small; the API serves the full body
        text = json.dumps(body)[:200_000]
    v["yaml_text"] = text
    return v


def _relations(relations: list[Any]) -> dict[str, Any]:
    """The Relations tab's groups and the graph's two sides."""
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
    return {
        "relation_groups": [
            RelationGroup(
                type=rtype,
                label=RELATION_LABELS.get(rtype, (rtype, ""))[0],
                count=len(items),
                targets=items,
            )
            for rtype, items in sorted(
                groups.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99
            )
        ],
        "relation_count": len(relations),
        "graph_in": graph["in"][:GRAPH_MAX],
        "graph_more_in": max(0, len(graph["in"]) - GRAPH_MAX),
        "graph_out": graph["out"][:GRAPH_MAX],
        "graph_more_out": max(0, len(graph["out"]) - GRAPH_MAX),
    }
