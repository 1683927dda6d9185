"""The Kubernetes API's wire conventions the emulator follows, independent of any store.

``Status`` failures (``ApiError``), JSON merge patch (RFC 7386, also the stand-in for strategic
merge), the JSON patch operations clients send (RFC 6902), field selectors and timestamps.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any


def now_iso() -> str:
    """A timestamp as the API server writes one (RFC 3339, seconds, UTC)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(stamp: str | None) -> datetime:
    """The inverse of ``now_iso``; no stamp means now."""
    if not stamp:
        return datetime.now(UTC)
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


class ApiError(Exception):
    """A failure the API answers with a ``Status`` object and its HTTP code."""

    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message

    def status(self) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Status",
            "metadata": {},
            "status": "Failure",
            "code": self.code,
            "reason": self.reason,
            "message": self.message,
        }


def merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """RFC 7386 JSON merge patch (also our stand-in for strategic merge)."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            merge_patch(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


def json_patch(target: dict[str, Any], ops: list[dict[str, Any]]) -> dict[str, Any]:
    """The RFC 6902 operations clients send for simple edits: add, replace, remove, test."""
    for op in ops:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent: Any = target
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent.setdefault(part, {})
        last = parts[-1]
        kind = op["op"]
        if kind == "test":
            current = parent[int(last)] if isinstance(parent, list) else parent.get(last)
            if current != op.get("value"):
                raise ApiError(422, "Invalid", f"test failed at {op['path']}")
        elif kind == "remove":
            if isinstance(parent, list):
                parent.pop(int(last))
            else:
                parent.pop(last, None)
        elif isinstance(parent, list):
            if last == "-":
                parent.append(op["value"])
            elif kind == "add":
                parent.insert(int(last), op["value"])
            else:
                parent[int(last)] = op["value"]
        else:
            parent[last] = op["value"]
    return target


def fields_match(obj: dict[str, Any], field_selector: str | None) -> bool:
    """Whether ``obj`` passes a field selector (``metadata.name=x,status.phase!=Running``)."""
    if not field_selector:
        return True
    for part in field_selector.split(","):
        negate = "!=" in part
        key, _, value = part.replace("!=", "=").replace("==", "=").partition("=")
        current: Any = obj
        for step in key.strip().split("."):
            current = current.get(step) if isinstance(current, dict) else None
        if (str(current) == value.strip()) == negate:
            return False
    return True
