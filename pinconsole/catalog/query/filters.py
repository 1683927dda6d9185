"""Catalog filters: what a list, a facet count or a search is narrowed by, as SQL conditions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select

from pinconsole.catalog.refs import RefError, ref_for_field
from pinconsole.errors import Invalid
from pinconsole.models.catalog import Entity, EntityTag

FACET_FIELDS: tuple[str, ...] = ("kind", "type", "owner", "lifecycle", "namespace", "tag", "system")


def _values(raw: str | Iterable[str] | None) -> tuple[str, ...]:
    """Accept one value, a list, or comma-separated text (as URLs carry them)."""
    if raw is None:
        return ()
    items = [raw] if isinstance(raw, str) else list(raw)
    out: list[str] = []
    for item in items:
        out.extend(part.strip() for part in str(item).split(",") if part.strip())
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class EntityFilter:
    """Server-side catalog filters; each field is multi-valued (OR within, AND across).

    ``owner`` and ``system`` take refs in any Backstage spelling (``team-a``,
    ``group:team-a``, ``group:default/team-a``); they are compared in the stored lowercase form.
    ``text`` matches every word against name, title, description and tags.
    ``owned_by`` is Backstage's "Owned" switch: the refs of a user and of their groups (see
    ``owned_by``), AND-ed with ``owner``; it is per user, so no URL carries it (``as_params``).
    """

    kind: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    owner: tuple[str, ...] = ()
    lifecycle: tuple[str, ...] = ()
    namespace: tuple[str, ...] = ()
    tag: tuple[str, ...] = ()
    system: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    owned_by: tuple[str, ...] = ()
    text: str = ""

    @classmethod
    def build(cls, **values: str | Iterable[str] | None) -> EntityFilter:
        """From loose input (query params, URL state): lists or comma-separated strings."""
        text = values.pop("text", None) or ""
        unknown = set(values) - set(FACET_FIELDS) - {"status"}
        if unknown:
            raise Invalid(f"unknown filter {sorted(unknown)[0]!r}")
        return cls(text=str(text).strip(), **{k: _values(v) for k, v in values.items()})

    def without(self, name: str) -> EntityFilter:
        """This filter minus one field (facet counts ignore their own field)."""
        return EntityFilter(**{**self.__dict__, name: ()})

    def owned_by_any(self, refs: Iterable[str]) -> EntityFilter:
        """This filter narrowed to what ``refs`` own (a user's ref and their groups' refs,
        ancestors included), in one sorted stored form: equal sets make equal filters, so a
        read cache keyed by the filter serves the same owners the same answer, and only them."""
        owners = tuple(sorted({_norm_ref("owner", r) for r in refs if r and r.strip()}))
        if not owners:
            raise Invalid("owned by whom: no user or group ref given", where="owned")
        return EntityFilter(**{**self.__dict__, "owned_by": owners})

    def is_empty(self) -> bool:
        return not any(getattr(self, f) for f in (*FACET_FIELDS, "status", "owned_by", "text"))

    def as_params(self) -> dict[str, str]:
        """URL query parameters for this filter (comma-joined), for shareable views."""
        out = {f: ",".join(getattr(self, f)) for f in (*FACET_FIELDS, "status") if getattr(self, f)}
        if self.text:
            out["text"] = self.text
        return out

    def stored_values(self) -> dict[str, tuple[str, ...]]:
        """Each field's values in stored form (lowercase kinds, normalised refs)."""
        return {
            "kind": tuple(k.lower() for k in self.kind),
            "type": self.type,
            "owner": tuple(_norm_ref("owner", v) for v in self.owner),
            "lifecycle": self.lifecycle,
            "namespace": self.namespace,
            "system": tuple(_norm_ref("system", v) for v in self.system),
            "status": self.status,
            "tag": self.tag,
            "owned_by": self.owned_by,  # stored form already (``owned_by_any``)
        }


def _norm_ref(field_name: str, value: str) -> str:
    try:
        return ref_for_field(field_name, value, "default")
    except RefError as exc:
        raise Invalid(str(exc), where=field_name) from exc


def like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def text_conditions(text: str) -> list[ColumnElement[bool]]:
    """Every word must occur in ``search_text`` (a pg_trgm GIN index serves this on PostgreSQL)."""
    return [
        Entity.search_text.like(f"%{like_escape(word)}%", escape="\\")  # type: ignore[attr-defined]
        for word in text.lower().split()
    ]


def conditions(flt: EntityFilter) -> list[ColumnElement[bool]]:
    """``flt`` as WHERE conditions on ``entity``."""
    conds: list[ColumnElement[bool]] = []

    def one_of(column: Any, values: Sequence[str]) -> None:
        if len(values) == 1:
            conds.append(column == values[0])
        elif values:
            conds.append(column.in_(values))

    stored = flt.stored_values()
    one_of(Entity.kind, stored["kind"])
    one_of(Entity.spec_type, stored["type"])
    one_of(Entity.owner_ref, stored["owner"])
    one_of(Entity.lifecycle, stored["lifecycle"])
    one_of(Entity.namespace, stored["namespace"])
    one_of(Entity.system_ref, stored["system"])
    one_of(Entity.status, stored["status"])
    one_of(Entity.owner_ref, stored["owned_by"])
    if flt.tag:
        tagged = select(EntityTag.entity_uid).where(
            EntityTag.tag.in_(flt.tag)  # type: ignore[attr-defined]
        )
        conds.append(Entity.uid.in_(tagged))  # type: ignore[attr-defined]
    if flt.text:
        conds.extend(text_conditions(flt.text))
    return conds
