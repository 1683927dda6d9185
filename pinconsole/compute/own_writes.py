"""A page's own PinApp writes that the watch-fed cache has not shown yet.

After a write the page shows what it wrote at once (the action's answer), but the cache lags the
write by a watch event, so a refresh in between would show the old object and flip the page back
(a Pause button back to "Pause", so that a second click resumes). The page therefore keeps its
written values (``remember_write``) while the cache serves a version the page already knew before it
wrote: a watch delivers an object's versions in order, and each write stood on the newest
version the page had seen (a write on an older one is a Conflict), so every version the cache
can still show that is older than the write is among those. Any other version is the written one
or newer (a controller's, someone else's): it is shown as it is, and the pending write dropped.
No resourceVersion is ever compared for order, as Kubernetes asks of clients.
"""

from __future__ import annotations

import copy
from typing import Any

from pinconsole.compute.cache import health_of
from pinconsole.compute.constants import RESTARTED_AT
from pinconsole.compute.display import app_header, spec_rows

KNOWN_VERSIONS = 32  # versions remembered as older than the last write; a page writes few


def rv_of(obj: dict[str, Any] | None) -> str:
    return str(((obj or {}).get("metadata") or {}).get("resourceVersion") or "")


def remember_write(
    pending: dict[str, Any], shown: str, old_rv: str, new_rv: str, key: str, value: Any
) -> dict[str, Any]:
    """``pending`` after the page's write of form ``key`` (``replicas``, ``paused`` or
    ``restarted``) from ``old_rv`` to ``new_rv``; ``shown``: the version the page showed last
    (the cache's; ``old_rv`` may be newer, read just before the write, or the page's own)."""
    older = [*pending.get("older", []), shown, old_rv, pending.get("rv", "")]
    older = list(dict.fromkeys(v for v in older if v and v != new_rv))[-KNOWN_VERSIONS:]
    values = {**pending.get("values", {}), key: value}
    return {"rv": new_rv, "older": older, "values": values}


def lags(pending: dict[str, Any], obj: dict[str, Any] | None) -> bool:
    """Whether ``obj`` (the cache's PinApp) is older than the page's pending write."""
    return bool(pending) and rv_of(obj) in pending["older"]


def follow_writes(
    pending: dict[str, Any], obj: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(obj as the page wrote it, pending)`` while the cache lags; once it shows the written
    version or a newer one, ``(obj, {})``: the pending write is done."""
    if lags(pending, obj):
        return as_written(obj, pending), pending
    return obj, {}


def as_written(obj: dict[str, Any], pending: dict[str, Any]) -> dict[str, Any]:
    """The PinApp ``obj`` with the page's pending write applied, at the written version."""
    out = copy.deepcopy(obj)
    spec = out.setdefault("spec", {})
    values = pending["values"]
    if "replicas" in values:
        spec["replicas"] = int(values["replicas"])
    if "paused" in values:
        spec["paused"] = bool(values["paused"])
    if "restarted" in values:
        template = spec.setdefault("template", {}).setdefault("metadata", {})
        template.setdefault("annotations", {})[RESTARTED_AT] = values["restarted"]
    out.setdefault("metadata", {})["resourceVersion"] = pending["rv"]
    return out


def row_as_written(row: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    """A cache row of the PinApp with the desired count and pause of ``obj`` (``as_written``)."""
    spec = obj.get("spec") or {}
    desired, paused = int(spec.get("replicas") or 0), bool(spec.get("paused"))
    health = health_of(desired, int(row.get("ready") or 0), paused)
    return {**row, "desired": desired, "paused": paused, "health": health}


def written_view(
    row: dict[str, Any], obj: dict[str, Any], status: dict[str, Any]
) -> dict[str, Any]:
    """The PinApp page's header and spec rows of ``obj`` (``as_written``), with the rest of
    ``row`` and ``status`` as the cache last had them."""
    return {
        "app": app_header(row_as_written(row, obj)),
        "spec_rows": spec_rows(obj.get("spec") or {}, status),
    }
