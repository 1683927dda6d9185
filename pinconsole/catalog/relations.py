"""Relations a descriptor states, in both directions, as Backstage's built-in processor does."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pinconsole.catalog.descriptors import FieldPath
from pinconsole.catalog.refs import DEFAULT_NAMESPACE, RefError, entity_ref, ref_for_field

Triple = tuple[str, str, str]  # (source_ref, type, target_ref)
MAX_REF_LENGTH = 400  # the width of the ref columns
_BAD_REF_CHARS = re.compile(r"[\x00-\x20\x7f\\]")  # whitespace, control characters, backslash

# kind -> [(spec field, outgoing relation, incoming relation)]
RULES: dict[str, list[tuple[str, str, str]]] = {
    "Component": [
        ("owner", "ownedBy", "ownerOf"),
        ("subcomponentOf", "partOf", "hasPart"),
        ("providesApis", "providesApi", "apiProvidedBy"),
        ("consumesApis", "consumesApi", "apiConsumedBy"),
        ("dependsOn", "dependsOn", "dependencyOf"),
        ("dependencyOf", "dependencyOf", "dependsOn"),
        ("system", "partOf", "hasPart"),
    ],
    "API": [("owner", "ownedBy", "ownerOf"), ("system", "partOf", "hasPart")],
    "Resource": [
        ("owner", "ownedBy", "ownerOf"),
        ("dependsOn", "dependsOn", "dependencyOf"),
        ("dependencyOf", "dependencyOf", "dependsOn"),
        ("system", "partOf", "hasPart"),
    ],
    "System": [("owner", "ownedBy", "ownerOf"), ("domain", "partOf", "hasPart")],
    "Domain": [("owner", "ownedBy", "ownerOf"), ("subdomainOf", "partOf", "hasPart")],
    "User": [("memberOf", "memberOf", "hasMember")],
    "Group": [
        ("parent", "childOf", "parentOf"),
        ("children", "parentOf", "childOf"),
        ("members", "hasMember", "memberOf"),
    ],
    "Template": [("owner", "ownedBy", "ownerOf"), ("system", "partOf", "hasPart")],
}

INVERSE: dict[str, str] = {}
for _rules in RULES.values():
    for _field, _out, _in in _rules:
        INVERSE[_out], INVERSE[_in] = _in, _out


def compute_relations(body: Mapping[str, Any]) -> tuple[list[Triple], list[tuple[FieldPath, str]]]:
    """All relations stated by ``body`` (both directions, deduplicated) and bad references."""
    rules = RULES.get(str(body.get("kind")))
    if not rules:
        return [], []
    spec = body.get("spec") or {}
    namespace = (body.get("metadata") or {}).get("namespace") or DEFAULT_NAMESPACE
    self_ref = entity_ref(body)
    triples: dict[Triple, None] = {}
    problems: list[tuple[FieldPath, str]] = []
    for field, outgoing, incoming in rules:
        value = spec.get(field)
        if value is None:
            continue
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            path: FieldPath = ("spec", field, i) if isinstance(value, list) else ("spec", field)
            try:
                target = ref_for_field(field, item, namespace)
            except RefError as exc:
                problems.append((path, str(exc)))
                continue
            if len(target) > MAX_REF_LENGTH:
                problems.append((path, f"entity reference is longer than {MAX_REF_LENGTH}"))
                continue
            if _BAD_REF_CHARS.search(target):
                problems.append((path, f"entity reference {item!r} has invalid characters"))
                continue
            triples[(self_ref, outgoing, target)] = None
            triples[(target, incoming, self_ref)] = None
    return list(triples), problems
