"""RFC 9457 problem documents: what every error of the API answers, and how routes declare it.

Every error is ``application/problem+json`` (``{type, title, status, detail}``, plus ``where``
when a field is to blame and ``errors`` for request validation). Routes list the statuses they
may answer with ``responses=problems(...)``; the protected router declares 401, 422 and 503 for
every route under it, so a plugin's routes document those too. The ``Problem`` schema itself is
added to the OpenAPI document by ``add_problem_schema``.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

PROBLEM_BASE = "https://pinconsole.dev/problems/"
PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = 5

# What each status means in this API (the description shown in the OpenAPI document).
_MEANING = {
    400: "The request body could not be parsed",
    401: "No valid credentials (a Bearer token, or a trusted proxy's user header)",
    403: "The caller may not do this",
    404: "Nothing found at this address",
    405: "The path exists, the method does not",
    409: "The resource changed since it was read (a stale resourceVersion), or already exists",
    422: "A parameter or the body is invalid; `where` names it",
    503: "The database, Redis or a cluster is unavailable right now; try again after Retry-After",
    504: "A cluster did not answer a write in time: it may or may not have been applied",
}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {
            "description": "The scheme to authenticate with",
            "schema": {"type": "string"},
            "required": True,
        }
    },
    405: {
        "Allow": {
            "description": "The methods the path accepts",
            "schema": {"type": "string"},
            "required": True,
        }
    },
    503: {
        "Retry-After": {
            "description": "Seconds to wait before trying again",
            "schema": {"type": "integer"},
        }
    },
}


class ValidationIssue(BaseModel):
    """One thing wrong with a request, as request validation reports it."""

    loc: list[str | int]
    msg: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A URI naming the kind of problem")
    title: str = Field(description="Short, the same for every problem of this type")
    status: int = Field(description="The HTTP status")
    detail: str = Field(description="What went wrong, for a person")
    where: str | None = Field(default=None, description="The field or parameter to blame")
    errors: list[ValidationIssue] | None = Field(
        default=None, description="Every validation error (422 from request validation)"
    )


def problem(
    status: int, title: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """An RFC 9457 problem document."""
    slug = title.lower().replace(" ", "-")
    body = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries for a route or router: each status as a problem document."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {
            "description": _MEANING[status],
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        if status in _HEADERS:
            entry["headers"] = _HEADERS[status]
        out[status] = entry
    return out


def add_problem_schema(document: dict[str, Any]) -> dict[str, Any]:
    """Put ``Problem`` (and what it refers to) into the document's component schemas."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components.update(schema.pop("$defs", {}))
    components["Problem"] = schema
    return document
