"""What an API entity's OpenAPI or Swagger definition declares: its operations, in file order,
and its info (title, version, spec).

A definition is text from a descriptor, so anyone who can register a location wrote it: it is
read with the descriptors' bounded loader (sizes, nodes with aliases expanded, depth), and a
broken one is a message, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from pinconsole.catalog.descriptors import load_all

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class ApiDefinition:
    """Operations (method in capitals, path, summary, operation_id), the error that stopped
    reading them (``""`` if none) and the info block."""

    operations: list[dict[str, str]] = field(default_factory=list)
    error: str = ""
    info: dict[str, str] = field(default_factory=dict)


def _document(definition: str) -> Any:
    documents = load_all(definition)
    return documents[0] if documents else None


def describe(definition: str) -> ApiDefinition:
    """The operations and info of an OpenAPI/Swagger text (YAML or JSON)."""
    try:
        doc = _document(definition)
    except yaml.YAMLError as exc:
        return ApiDefinition(error=f"The definition is not valid YAML/JSON: {exc}")
    info = _info(doc)
    if not isinstance(doc, dict) or not isinstance(doc.get("paths"), dict):
        return ApiDefinition(error="The definition has no paths.", info=info)
    ops: list[dict[str, str]] = []
    for path, item in doc["paths"].items():
        if not isinstance(item, dict):
            continue
        for method, op in item.items():
            if str(method).lower() not in HTTP_METHODS:
                continue
            op = op if isinstance(op, dict) else {}
            ops.append(
                {
                    "method": str(method).upper(),
                    "path": str(path),
                    "summary": str(op.get("summary") or op.get("description") or ""),
                    "operation_id": str(op.get("operationId") or ""),
                }
            )
    return ApiDefinition(ops, "", info)


def _info(doc: Any) -> dict[str, str]:
    info = doc.get("info") if isinstance(doc, dict) else None
    if not isinstance(info, dict):
        return {}
    version = doc.get("openapi") or doc.get("swagger") or ""
    return {
        "title": str(info.get("title") or ""),
        "version": str(info.get("version") or ""),
        "spec": f"OpenAPI {version}" if version else "",
    }
