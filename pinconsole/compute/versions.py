"""Optimistic concurrency of the PinApp page: which version of its object each form stands on.

Each form or button stands on one version of its object: the resourceVersion it sends, and the
value it showed there. Forms: "replicas" (the scale input), "limits" (the PinScaler's min and
max), "schedules" (its YAML); buttons: "paused" and "restarted" (the PinApp's pause state and
last restart stamp). A write sends the version its form stands on, so someone else's change of
the value being edited is a ``Conflict`` (``actions``), never silently overwritten.
"""

from __future__ import annotations

from typing import Any

import yaml

from pinconsole.compute.constants import RESTARTED_AT

PINAPP_FORMS = ("replicas", "paused", "restarted")  # the PinApp's; the rest are its PinScaler's


def form_values(pinapp: dict[str, Any], scaler: dict[str, Any] | None) -> dict[str, tuple]:
    """Per form or button: ``(resourceVersion, the value it shows)`` in these objects."""
    spec = pinapp.get("spec") or {}
    rv = str((pinapp.get("metadata") or {}).get("resourceVersion", ""))
    template = ((spec.get("template") or {}).get("metadata") or {}).get("annotations") or {}
    values: dict[str, tuple] = {
        "replicas": (rv, str(spec.get("replicas", ""))),
        "paused": (rv, bool(spec.get("paused"))),
        "restarted": (rv, str(template.get(RESTARTED_AT, ""))),
    }
    if scaler:
        sspec = scaler.get("spec") or {}
        srv = str((scaler.get("metadata") or {}).get("resourceVersion", ""))
        limits = [str(sspec.get("minReplicas", "")), str(sspec.get("maxReplicas", ""))]
        values["limits"] = (srv, limits)
        values["schedules"] = (srv, yaml.safe_dump(sspec.get("schedules", []), sort_keys=False))
    return values


def follow_versions(
    basis: dict[str, dict[str, Any]], values: dict[str, tuple], touched: set[str]
) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """The versions the forms stand on after reading ``values``, and the forms to refill.

    A form the user has not touched follows its object (refilled with what it holds now). A
    touched one moves on to a newer version only while that version still holds what the form
    was filled from (a controller wrote status, someone edited another field): if someone else
    changed the value the user is editing, the form stays on the version the user saw and its
    save gets a Conflict instead of silently overwriting the other change.
    """
    new: dict[str, dict[str, Any]] = {}
    refill: set[str] = set()
    for key, (rv, value) in values.items():
        old = basis.get(key)
        if old is None or key not in touched:
            new[key] = {"rv": rv, "value": value}
            refill.add(key)
        elif old["value"] == value:
            new[key] = {"rv": rv, "value": value}
        else:
            new[key] = old
    return new, refill


def after_write(
    basis: dict[str, dict[str, Any]], key: str, old_rv: str, new_rv: str, value: Any
) -> dict[str, dict[str, Any]]:
    """The versions after this page's own write of ``key`` (from ``old_rv`` to ``new_rv``): the
    other forms on the same version of that object stand on the new one (the write changed only
    ``key``'s field), so the next action does not conflict with the user's own write."""
    new = {k: ({**b, "rv": new_rv} if b["rv"] == old_rv else b) for k, b in basis.items()}
    new[key] = {"rv": new_rv, "value": value}
    return new
