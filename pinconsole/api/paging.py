"""The one paging style and field-name style of every list under ``/api/v1`` (docs/api.md).

A list takes ``limit`` and ``cursor`` and answers Backstage's by-query envelope,
``{items, totalItems, pageInfo: {nextCursor?, prevCursor?}}``: a script written for Backstage's
catalog pages ours, and the workloads, audit, token and sync lists, the same way. A cursor is
opaque; it is absent when there is no such page. Field names are camelCase (``ApiModel``).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer
from pydantic.alias_generators import to_camel

from pinconsole.api.params import MAX_OFFSET
from pinconsole.errors import Invalid

__all__ = ["ApiModel", "Cursor", "Page", "PageInfo", "offset_page", "read_cursor"]

T = TypeVar("T")

CURSOR_MAX_CHARS = 2000
Cursor = Annotated[
    str | None,
    Query(
        max_length=CURSOR_MAX_CHARS,
        description="pageInfo.nextCursor or prevCursor of the previous answer (opaque)",
    ),
]


class ApiModel(BaseModel):
    """A JSON body of the API: Python's snake_case attributes, camelCase on the wire (and
    accepted either way, so a route may hand it the domain's dicts and rows)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class PageInfo(ApiModel):
    """Backstage's ``pageInfo``: a cursor is left out when there is no page that way."""

    next_cursor: str | None = Field(default=None, description="The next page's cursor")
    prev_cursor: str | None = Field(default=None, description="The previous page's cursor")

    # No return annotation: pydantic then documents the fields, not a free-form object.
    @model_serializer(mode="wrap")
    def _without_absent_cursors(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        return {k: v for k, v in handler(self).items() if v is not None}


class Page(ApiModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    total_items: int = Field(description="How many items match, on every page")
    page_info: PageInfo


def _encode(scope: str, offset: int) -> str:
    raw = json.dumps([scope, offset], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read_cursor(scope: str, cursor: str | None) -> int:
    """The position a cursor of this list (``scope``) points at; 0 without one."""
    if not cursor:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise Invalid("cursor is not valid", where="cursor") from exc
    if (
        not isinstance(data, list)
        or len(data) != 2
        or data[0] != scope
        or type(data[1]) is not int
        or not 0 <= data[1] <= MAX_OFFSET
    ):
        raise Invalid("cursor belongs to another list", where="cursor")
    return int(data[1])


def offset_page(
    scope: str, items: list[Any], total: int, offset: int, limit: int
) -> dict[str, Any]:
    """The envelope of ``items``, the page at ``offset`` of ``total`` (``Page``'s fields)."""
    info: dict[str, str] = {}
    if offset + len(items) < total:
        info["nextCursor"] = _encode(scope, offset + len(items))
    if offset > 0:
        info["prevCursor"] = _encode(scope, max(0, offset - limit))
    return {"items": items, "totalItems": total, "pageInfo": info}
