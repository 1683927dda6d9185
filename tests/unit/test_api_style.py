"""The API's one style (docs/api.md), read from its OpenAPI document so that it holds for every
route added later: camelCase field and parameter names, a declared schema for every JSON
answer, and every list paged by ``limit`` + ``cursor`` in Backstage's envelope
``{items, totalItems, pageInfo: {nextCursor, prevCursor}}``."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Query
from pydantic import BaseModel

from pinconsole.api.app import create_api
from pinconsole.plugins.registry import Registry

CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")
PAGING_PARAMETERS = {"limit", "cursor"}
ENVELOPE = {"items", "totalItems", "pageInfo"}
PAGE_INFO = {"nextCursor", "prevCursor"}
POSITION_PARAMETERS = {"offset", "page", "skip", "after", "before", "start"}

# Where an external format dictates a shape, and only there.
LISTS_IN_ANOTHER_SHAPE = {
    # Backstage's GET /locations answers a bare array of {data: location}; its clients (the
    # Backstage CLI, catalog-import) read it so.
    ("get", "/api/v1/locations"),
}
FREE_FORM_ANSWERS = {
    # One Backstage entity, as its descriptor was written (Backstage's own routes).
    ("get", "/api/v1/entities/by-ref/{kind}/{namespace}/{name}"),
    ("get", "/api/v1/entities/by-name/{kind}/{namespace}/{name}"),
    ("get", "/api/v1/entities/by-uid/{uid}"),
}
# Empty: Kubernetes objects and Backstage entities pass through as free-form objects
# (``dict[str, Any]``), so none of their field names is declared. A declared property whose
# name an outside format fixes would be listed here, with the format.
NAMES_OF_OTHERS: set[str] = set()
# Query parameters named by Backstage's catalog API (``filter``, ``fullTextFilterTerm``) are
# camelCase already; nothing else needs an exception.


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _property_names(doc: dict[str, Any], schema: dict[str, Any], seen: set[str]) -> set[str]:
    """Every property name declared anywhere in ``schema`` (through refs, arrays, unions)."""
    if "$ref" in schema:
        name = schema["$ref"]
        if name in seen:
            return set()
        seen.add(name)
    schema = _resolve(doc, schema)
    names = set(schema.get("properties", {}))
    children: list[dict[str, Any]] = list(schema.get("properties", {}).values())
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            children.append(schema[key])
    for key in ("anyOf", "oneOf", "allOf"):
        children.extend(schema.get(key, []))
    for child in children:
        names |= _property_names(doc, child, seen)
    return names


def _free_form(doc: dict[str, Any], schema: dict[str, Any]) -> bool:
    """Nothing declared: any value (``Any``), or an object of any fields (``dict[str, Any]``)."""
    shape = set(_resolve(doc, schema)) - {"title", "description"}
    return shape <= {"type", "additionalProperties"} and schema.get("type") in (None, "object")


def _json_schema(content: dict[str, Any] | None) -> dict[str, Any] | None:
    return (content or {}).get("application/json", {}).get("schema")


def style_violations(doc: dict[str, Any]) -> list[str]:
    """What in an OpenAPI document breaks the API's style, one line per finding."""
    found: list[str] = []
    for path, item in doc["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            params = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
            for name in sorted(params - NAMES_OF_OTHERS):
                if not CAMEL.match(name):
                    found.append(f"{where}: query parameter {name!r} is not camelCase")
            body = _json_schema(op.get("requestBody", {}).get("content"))
            schemas = [body] if body else []
            for status, answer in op.get("responses", {}).items():
                if not status.startswith("2"):
                    continue
                schema = _json_schema(answer.get("content"))
                if schema is None:
                    continue  # no body (204) or not JSON (the audit CSV)
                if _free_form(doc, schema) and (method, path) not in FREE_FORM_ANSWERS:
                    found.append(f"{where}: {status} answer declares no schema")
                schemas.append(schema)
                if status == "200" and method == "get":
                    found += _paging_violations(doc, where, (method, path), schema, params)
            for schema in schemas:
                for name in sorted(_property_names(doc, schema, set()) - NAMES_OF_OTHERS):
                    if not CAMEL.match(name):
                        found.append(f"{where}: field {name!r} is not camelCase")
    return found


def _paging_violations(
    doc: dict[str, Any],
    where: str,
    route: tuple[str, str],
    schema: dict[str, Any],
    params: set[str],
) -> list[str]:
    """A list (an array, or an object with an ``items`` array) pages the common way."""
    resolved = _resolve(doc, schema)
    props = resolved.get("properties", {})
    is_array = resolved.get("type") == "array"
    is_list = is_array or _resolve(doc, props.get("items", {})).get("type") == "array"
    if not is_list or route in LISTS_IN_ANOTHER_SHAPE:
        return []
    found = []
    if missing := PAGING_PARAMETERS - params:
        found.append(f"{where}: a list without the paging parameters {sorted(missing)}")
    if positional := POSITION_PARAMETERS & params:
        found.append(f"{where}: a list paged by {sorted(positional)}, not by cursor")
    if is_array:
        found.append(f"{where}: a list answers a bare array, not the page envelope")
        return found
    if missing := ENVELOPE - set(props):
        found.append(f"{where}: the page envelope lacks {sorted(missing)}")
    info = _resolve(doc, props.get("pageInfo", {})).get("properties", {})
    if "pageInfo" in props and set(info) != PAGE_INFO:
        found.append(f"{where}: pageInfo is {sorted(info)}, not {sorted(PAGE_INFO)}")
    return found


def test_every_route_of_the_api_keeps_the_style() -> None:
    registry = Registry()
    registry.load_builtin()
    assert style_violations(create_api(registry).openapi()) == []


def test_the_check_finds_what_breaks_the_style() -> None:
    """The checks themselves: a route in the old styles is reported on every count."""

    class Run(BaseModel):
        started_at: str

    class OldPage(BaseModel):
        items: list[Run]
        total: int

    app = FastAPI()

    @app.get("/api/v1/runs", response_model=OldPage)
    def runs(limit: int = 20, offset: int = 0) -> Any:
        return {}

    @app.get("/api/v1/names", response_model=list[str])
    def names(name_prefix: str = Query("")) -> Any:
        return []

    @app.get("/api/v1/anything")
    def anything() -> Any:
        return {}

    assert style_violations(app.openapi()) == [
        "GET /api/v1/runs: a list without the paging parameters ['cursor']",
        "GET /api/v1/runs: a list paged by ['offset'], not by cursor",
        "GET /api/v1/runs: the page envelope lacks ['pageInfo', 'totalItems']",
        "GET /api/v1/runs: field 'started_at' is not camelCase",
        "GET /api/v1/names: query parameter 'name_prefix' is not camelCase",
        "GET /api/v1/names: a list without the paging parameters ['cursor', 'limit']",
        "GET /api/v1/names: a list answers a bare array, not the page envelope",
        "GET /api/v1/anything: 200 answer declares no schema",
    ]
