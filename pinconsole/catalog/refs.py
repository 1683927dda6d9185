"""Entity references: ``[kind:][namespace/]name`` with Backstage's defaulting rules.

Backstage resolves a reference written inside a descriptor against the field it appears in (an
``owner`` is a Group unless it says otherwise) and against the namespace of the entity that writes
it (not always ``default``). Stored refs are lowercase ``kind:namespace/name`` so equality is a
plain string comparison in SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_NAMESPACE = "default"

# The kind a bare name in a spec field stands for, per Backstage's BuiltinKindsEntityProcessor.
# ``None``: the reference must carry its kind (dependsOn/dependencyOf point at components,
# resources or anything else, so Backstage refuses to guess).
FIELD_DEFAULT_KINDS: dict[str, str | None] = {
    "owner": "group",
    "system": "system",
    "domain": "domain",
    "subdomainOf": "domain",
    "subcomponentOf": "component",
    "providesApis": "api",
    "consumesApis": "api",
    "dependsOn": None,
    "dependencyOf": None,
    "memberOf": "group",
    "parent": "group",
    "children": "group",
    "members": "user",
}


class RefError(ValueError):
    """A reference that cannot be parsed (empty parts, missing kind where one is required)."""


@dataclass(frozen=True, slots=True)
class EntityRef:
    """A parsed reference; ``str()`` gives the stored lowercase form."""

    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.namespace}/{self.name}".lower()

    @property
    def key(self) -> str:
        """The stored form, ``kind:namespace/name`` in lowercase."""
        return str(self)


def format_ref(kind: str, namespace: str | None, name: str) -> str:
    """The stored form of a reference: ``kind:namespace/name`` in lowercase."""
    return f"{kind}:{namespace or DEFAULT_NAMESPACE}/{name}".lower()


def parse_ref(
    ref: str | Mapping[str, Any],
    *,
    default_kind: str | None = None,
    default_namespace: str = DEFAULT_NAMESPACE,
) -> EntityRef:
    """Parse ``[kind:][namespace/]name`` (or a ``{kind, namespace, name}`` mapping).

    Raises ``RefError`` when the reference is empty, malformed, or has no kind and no default.
    Case is kept in the returned parts (for display); ``str()`` lowercases.
    """
    if isinstance(ref, Mapping):
        kind = ref.get("kind") or default_kind
        namespace = ref.get("namespace") or default_namespace
        name = ref.get("name")
        if not isinstance(name, str) or not name:
            raise RefError("entity reference has no name")
        if not kind:
            raise RefError(f"entity reference {name!r} has no kind")
        return EntityRef(str(kind), str(namespace), name)
    if not isinstance(ref, str):
        raise RefError(f"entity reference must be a string, got {type(ref).__name__}")
    text = ref.strip()
    if not text:
        raise RefError("entity reference is empty")
    kind: str | None
    kind, sep, rest = text.partition(":")
    if not sep:
        kind, rest = None, text
    elif not kind:
        raise RefError(f"entity reference {ref!r} has an empty kind")
    namespace, sep, name = rest.partition("/")
    if not sep:
        namespace, name = default_namespace, rest
    elif not namespace:
        raise RefError(f"entity reference {ref!r} has an empty namespace")
    if not name:
        raise RefError(f"entity reference {ref!r} has an empty name")
    if "/" in name or ":" in name:
        raise RefError(f"entity reference {ref!r} is malformed")
    kind = kind or default_kind
    if not kind:
        raise RefError(
            f"entity reference {ref!r} has no kind (write it as e.g. component:{rest} or "
            f"resource:{rest})"
        )
    return EntityRef(kind, namespace or DEFAULT_NAMESPACE, name)


def ref_for_field(field: str, value: str | Mapping[str, Any], namespace: str) -> str:
    """The stored ref of ``value`` written in spec field ``field`` of an entity in ``namespace``."""
    return str(
        parse_ref(value, default_kind=FIELD_DEFAULT_KINDS.get(field), default_namespace=namespace)
    )


def entity_ref(body: Mapping[str, Any]) -> str:
    """The stored ref of a descriptor (its kind, metadata.namespace or default, metadata.name)."""
    meta = body.get("metadata") or {}
    return format_ref(str(body.get("kind", "")), meta.get("namespace"), str(meta.get("name", "")))
