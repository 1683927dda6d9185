"""Entities shaped as Backstage's catalog API serves them, so its scripts port easily.

``{apiVersion, kind, metadata: {..., namespace, uid, etag}, spec, relations: [{type, targetRef,
target}]}``. ``target`` (the ref as an object) is deprecated in Backstage but still served; we
keep it for scripts that read it. Orphaned entities carry ``backstage.io/orphan: "true"`` as
Backstage marks them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pinconsole.catalog.refs import DEFAULT_NAMESPACE
from pinconsole.models.catalog import Entity

__all__ = ["entity_to_api", "project_fields"]

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
    out: dict[str, Any] = {
        "apiVersion": body.get("apiVersion", "backstage.io/v1alpha1"),
        "kind": body.get("kind", entity.kind),
        "metadata": metadata,
    }
    if "spec" in body:
        out["spec"] = body["spec"]
    out["relations"] = [
        {"type": rtype, "targetRef": target, "target": _target(target)}
        for rtype, target in (relations or ())
    ]
    return out


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
