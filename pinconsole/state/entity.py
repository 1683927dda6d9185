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
from urllib.parse import quote, urlsplit, urlunsplit

import reflex as rx
import yaml

from pinconsole.catalog.openapi import describe
from pinconsole.catalog.query import entity_view
from pinconsole.catalog.query.links import URL_MAX, safe_links, web_url
from pinconsole.errors import DomainError
from pinconsole.plugins import get_registry
from pinconsole.state.base import AppState
from pinconsole.state.catalog import LIFECYCLE_INTENT, ref_url, score_intent, short_ref
from pinconsole.state.guard import guarded
from pinconsole.state.user import UserState

# relation type -> (heading on the entity page, side in the graph). The graph reads left to
# right: a node on the left "uses" (depends on, is a member of, is owned by) the entity, the
# entity "uses" a node on the right; so both directions of a relation share one edge label.
RELATION_LABELS: dict[str, tuple[str, str]] = {
    "providesApi": ("Provides APIs", "out"),
    "consumesApi": ("Consumes APIs", "out"),
    "dependsOn": ("Depends on", "out"),
    "partOf": ("Part of", "out"),
    "memberOf": ("Member of", "out"),
    "childOf": ("Parent", "out"),
    "ownedBy": ("Owned by", "out"),
    "apiProvidedBy": ("Provided by", "in"),
    "apiConsumedBy": ("Consumed by", "in"),
    "dependencyOf": ("Dependents", "in"),
    "hasPart": ("Has parts", "in"),
    "hasMember": ("Members", "in"),
    "parentOf": ("Children", "in"),
    "ownerOf": ("Owns", "in"),
}
GRAPH_EDGE = {
    "providesApi": "provides",
    "consumesApi": "consumes",
    "dependsOn": "depends on",
    "partOf": "part of",
    "memberOf": "member of",
    "childOf": "child of",
    "ownedBy": "owned by",
    "apiProvidedBy": "provides",
    "apiConsumedBy": "consumes",
    "dependencyOf": "depends on",
    "hasPart": "part of",
    "hasMember": "member of",
    "parentOf": "child of",
    "ownerOf": "owned by",
}
# What the graph says about its two sides, per kind (group and user graphs show the org).
GRAPH_TEXT: dict[str, tuple[str, str, str]] = {
    "group": (
        "Members, child teams and what it owns (left); its parent team (right)",
        "No members and owns nothing",
        "No parent team",
    ),
    "user": (
        "What they own (left) and the teams they belong to (right)",
        "Owns nothing",
        "In no team",
    ),
}
GRAPH_TEXT_DEFAULT = (
    "Who uses it (left) and what it uses, provides or belongs to (right)",
    "Nothing uses it",
    "It uses nothing",
)
GRAPH_MAX = 10  # nodes per side
NAME_MAX = 253  # a route argument longer than any Backstage kind, namespace or name
METHOD_INTENT = {
    "GET": "info",
    "POST": "success",
    "PUT": "warning",
    "PATCH": "warning",
    "DELETE": "error",
}


MANAGED_BY = "backstage.io/managed-by-location"
SOURCE_LOCATION = "backstage.io/source-location"
EDIT_URL = "backstage.io/edit-url"


def edit_url_of(url: str) -> str:
    """The edit form of a descriptor's URL where the host's form is known (GitHub's and
    GitLab's ``/blob/`` becomes ``/edit/``), else "": a plain file server edits nothing."""
    parts = urlsplit(url)
    if "/blob/" not in parts.path:
        return ""
    return urlunsplit(parts._replace(path=parts.path.replace("/blob/", "/edit/", 1)))


def source_links(annotations: dict[str, Any]) -> tuple[str, str]:
    """(View source, Edit) URLs of an entity, as Backstage's About card derives them: the
    ``source-location`` and ``edit-url`` annotations, else the managed-by location's URL."""
    managed = web_url(str(annotations.get(MANAGED_BY) or ""))
    view = web_url(str(annotations.get(SOURCE_LOCATION) or "")) or managed
    edit = web_url(str(annotations.get(EDIT_URL) or "")) or (
        edit_url_of(managed) if managed else ""
    )
    return view, edit


def location_label(location_key: str, managed_by: str) -> tuple[str, str, str]:
    """(label, url, full text) of where an entity's descriptor is.

    A file shows relative to the imported root (``demo-catalog/repos/a/catalog-info.yaml``,
    not a machine's absolute or temporary path); an http(s) URL shows as itself and links there
    (any other ``url:`` target shows unlinked); a provider shows as ``provider ldap``.
    """
    kind, _, where = managed_by.partition(":")
    if location_key.startswith("provider:"):
        return f"provider {location_key.removeprefix('provider:')}", "", location_key
    if kind == "url" or where.startswith(("http://", "https://")):
        return where[:URL_MAX], web_url(where), where[:URL_MAX]
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
    e_source_url: str = ""  # View source (http/https only, see ``source_links``)
    e_edit_url: str = ""  # Edit
    e_path: str = ""  # this page's path without the query: the tabs link to it
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
    graph_subtitle: str = GRAPH_TEXT_DEFAULT[0]
    graph_empty_in: str = GRAPH_TEXT_DEFAULT[1]
    graph_empty_out: str = GRAPH_TEXT_DEFAULT[2]
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

    _shown_key: str = ""  # the entity the vars show (backend only)

    def _tab_of(self, query_tab: str) -> str:
        """The tab ``?tab=`` names when this entity has it, else the first."""
        allowed = {"overview", "relations", *(["api"] if self.is_api else []), *self.plugin_tab_ids}
        return query_tab if query_tab in allowed else "overview"

    @guarded
    async def load(self):  # type: ignore[no-untyped-def]
        """Read the entity and open the tab the URL names. The tabs are links to ``?tab=``, so
        a tab, a reload, a shared link and Back all come through here."""
        params = self.router.page.params
        kind, namespace, name = (
            str(params.get("kind", ""))[:NAME_MAX],
            str(params.get("namespace", ""))[:NAME_MAX],
            str(params.get("name", ""))[:NAME_MAX],
        )
        query_tab = str(self.router.url.query_parameters.get("tab", "") or "")[:40]
        key = f"{kind}:{namespace}/{name}".lower()
        if self.found and self._shown_key == key:
            # Another tab of the entity shown: switch at once, refresh the data below.
            self.tab = self._tab_of(query_tab)
            yield
        else:
            self.loaded = False
        try:
            view, body = await self._run(_entity_view, kind, namespace, name)
        except DomainError as exc:
            self.found, self.loaded, self.error, self._shown_key = False, True, str(exc), ""
            self.e_name, self.e_kind = name, kind
            return
        self.error = ""
        self._publish(view)
        self.e_path = "/catalog/" + "/".join(quote(p, safe="") for p in (kind, namespace, name))
        tabs = _visible_tabs(body)
        self._publish({"plugin_tab_ids": [t.id for t in tabs]})
        self.found, self.loaded, self._shown_key = True, True, key
        self.tab = self._tab_of(query_tab)
        events: list[Any] = [t.on_load for t in tabs if t.on_load is not None]
        if self.e_kind == "user":
            events.append(UserState.load)
        if query_tab and query_tab != self.tab:  # an unknown tab: the URL says what is shown
            events.append(
                rx.call_script(f"window.history.replaceState(null, '', {json.dumps(self.e_path)})")
            )
        yield events


def _entity_view(kind: str, namespace: str, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the page's vars, the entity body) of one entity, read and shaped in the UI's thread
    pool (an API's definition can take a while to parse)."""
    view = entity_view(kind, namespace, name)
    return _shown(view.detail, view.scorecard, view.domain_ref), dict(view.detail.entity.body)


def _display_name(spec: dict[str, Any]) -> str:
    profile = spec.get("profile")
    name = profile.get("displayName") if isinstance(profile, dict) else None
    return str(name)[:200] if name else ""


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
        # People and teams are named by their directory profile, as on their team page.
        "e_title": e.title or _display_name(spec) or e.name,
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
    v["e_source_url"], v["e_edit_url"] = source_links(annotations)
    v["links"] = safe_links(meta.get("links"))
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
    v.update(_relations(detail.relations, e.kind))
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


def _relations(relations: list[Any], kind: str) -> dict[str, Any]:
    """The Relations tab's groups and the graph's two sides (in the order of
    ``RELATION_LABELS``: what the entity provides and uses before its owner)."""
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
            graph[side].append({**item, "type": r.type, "edge": GRAPH_EDGE.get(r.type, r.type)})
    order = list(RELATION_LABELS)
    for items in graph.values():
        items.sort(key=lambda it: order.index(it["type"]))
    subtitle, empty_in, empty_out = GRAPH_TEXT.get(kind, GRAPH_TEXT_DEFAULT)
    return {
        "graph_subtitle": subtitle,
        "graph_empty_in": empty_in,
        "graph_empty_out": empty_out,
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
        "graph_in": _capped(graph["in"]),
        "graph_more_in": max(0, len(graph["in"]) - GRAPH_MAX),
        "graph_out": _capped(graph["out"]),
        "graph_more_out": max(0, len(graph["out"]) - GRAPH_MAX),
    }


def _capped(items: list[dict[str, str]]) -> list[dict[str, str]]:
    """At most ``GRAPH_MAX`` nodes of one side, shared between its relation types (a team's
    twenty members must not hide what it owns), in the order they came."""
    by_type: dict[str, list[dict[str, str]]] = {}
    for item in items:
        by_type.setdefault(item["type"], []).append(item)
    taken = dict.fromkeys(by_type, 0)
    left = min(GRAPH_MAX, len(items))
    while left:
        for rtype, group in by_type.items():
            if left and taken[rtype] < len(group):
                taken[rtype] += 1
                left -= 1
    return [item for rtype, group in by_type.items() for item in group[: taken[rtype]]]
