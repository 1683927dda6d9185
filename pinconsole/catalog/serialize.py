"""Entities shaped as Backstage's catalog API serves them, so its scripts port easily.

``{apiVersion, kind, metadata: {..., namespace, uid, etag}, spec, relations: [{type, targetRef,
target}]}``. ``target`` (the ref as an object) is deprecated in Backstage but still served; we
keep it for scripts that read it. Orphaned entities carry ``backstage.io/orphan: "true"`` as
Backstage marks them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pinconsole.catalog.refs import DEFAULT_NAMESPACE
from pinconsole.models.catalog import Entity

__all__ = [
    "ENTITY_OBJECT_SQL",
    "ITEM_SQL_POSTGRES",
    "ITEM_SQL_RENDER",
    "entity_to_api",
    "item_sql",
    "project_fields",
    "relations_agg_sql",
    "to_json",
]

ORPHAN_ANNOTATION = "backstage.io/orphan"


def _target(ref: str) -> dict[str, str]:
    kind, _, rest = ref.partition(":")
    namespace, _, name = rest.partition("/")
    return {"kind": kind, "namespace": namespace, "name": name}


def entity_to_api(
    entity: Entity, relations: Iterable[tuple[str, str]] | None = None
) -> dict[str, Any]:
    """One entity in Backstage's shape; ``relations`` are its outgoing ``(type, target_ref)``."""
    body: Mapping[str, Any] = entity.body or {}
    metadata = dict(body.get("metadata") or {})
    metadata.setdefault("namespace", entity.namespace or DEFAULT_NAMESPACE)
    metadata["uid"] = entity.uid
    metadata["etag"] = entity.etag
    if entity.status == "orphaned":
        metadata["annotations"] = {**(metadata.get("annotations") or {}), ORPHAN_ANNOTATION: "true"}
    out: dict[str, Any] = {**body, "metadata": metadata}
    out.setdefault("apiVersion", "backstage.io/v1alpha1")
    out.setdefault("kind", entity.kind)
    out["relations"] = [
        {"type": rtype, "targetRef": target, "target": _target(target)}
        for rtype, target in (relations or ())
    ]
    return out


def to_json(data: Any) -> str:
    """Compact JSON text as the API serves it (non-ASCII kept, other values as ``str``)."""
    return json.dumps(data, separators=(",", ":"), default=str, ensure_ascii=False)


def project_fields(item: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """Keep only dotted ``fields`` (Backstage's ``fields=kind,metadata.name`` parameter)."""
    out: dict[str, Any] = {}
    for path in fields:
        parts = [p for p in path.strip().split(".") if p]
        if not parts:
            continue
        src: Any = item
        for part in parts:
            if not isinstance(src, Mapping) or part not in src:
                break
            src = src[part]
        else:
            dst = out
            for part in parts[:-1]:
                dst = dst.setdefault(part, {})
            dst[parts[-1]] = src
    return out


# ``entity_to_api`` done by PostgreSQL, as JSON text: the API's cold path then moves no descriptor
# through Python objects at all (no JSON parse, no dict building, no re-encode). One jsonb
# concatenation per level (cheaper than a chain of jsonb_set) and the relations appended as
# text (``json``, not ``jsonb``: no binary round trip); the body never has a "relations" key
# (the write side drops it from input). Kept equal to ``entity_to_api`` by a parity test (key
# order aside, which JSON does not define).
# The entity's object without its closing brace, so the relations can follow as text.
ENTITY_OBJECT_SQL = """left((entity.body || jsonb_build_object(
    'apiVersion', coalesce(entity.body->'apiVersion', '"backstage.io/v1alpha1"'::jsonb),
    'kind', coalesce(entity.body->'kind', to_jsonb(entity.kind)),
    'metadata', coalesce(entity.body->'metadata', '{}'::jsonb)
      || jsonb_build_object(
           'namespace', coalesce(entity.body->'metadata'->'namespace', to_jsonb(entity.namespace)),
           'uid', entity.uid,
           'etag', entity.etag)
      || CASE WHEN entity.status = 'orphaned'
           THEN jsonb_build_object('annotations',
                  coalesce(entity.body->'metadata'->'annotations', '{}'::jsonb)
                  || '{"backstage.io/orphan": "true"}'::jsonb)
           ELSE '{}'::jsonb END
  ))::text, -1)"""


def relations_agg_sql(alias: str) -> str:
    """``json_agg`` of the (distinct) relation rows named ``alias``, in a stable order."""
    return f"""json_agg(json_build_object(
                'type', {alias}.type,
                'targetRef', {alias}.target_ref,
                'target', json_build_object(
                   'kind', split_part({alias}.target_ref, ':', 1),
                   'namespace', split_part(split_part({alias}.target_ref, ':', 2), '/', 1),
                   'name', split_part({alias}.target_ref, '/', 2)))
              ORDER BY {alias}.type COLLATE "C", {alias}.target_ref COLLATE "C")"""


def item_sql(relations_json: str) -> str:
    """The whole item, given an SQL expression of its relations as ``json`` (or NULL)."""
    return f"""(
  {ENTITY_OBJECT_SQL}
  || ', "relations": '
  || coalesce(({relations_json})::text, '[]')
  || '}}'
)"""


ITEM_SQL_RENDER = item_sql(
    f"""SELECT {relations_agg_sql("r")}
       FROM (SELECT DISTINCT type, target_ref FROM relation
             WHERE relation.source_ref = entity.ref) AS r"""
)

# What readers select: the stored rendering (``catalog.materialize``), or the rendering itself
# while it is not stored (COALESCE evaluates the second argument only then).
ITEM_SQL_POSTGRES = f"""coalesce(
  (SELECT stored.rendered FROM entity_api_json AS stored WHERE stored.ref = entity.ref),
  {ITEM_SQL_RENDER})"""
