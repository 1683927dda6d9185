"""Guardrails of the PinApp actions: the replica range a PinScaler owns, and what each action
changes and touches, as the confirmation shows it before anything is written.

Pure (no I/O): ``actions.scale_pinapp`` applies ``check_range`` to the PinScalers it reads from
the cluster, and the PinApp page to the one it shows, so a count it already knows is out of
range is refused at the form without asking for a confirmation first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pinconsole.compute.constants import RESTARTED_AT
from pinconsole.errors import Invalid

MAX_REPLICAS = 1000


@dataclass(frozen=True)
class ScalerRange:
    """The replica count a PinScaler owns: from ``low`` to ``high``, both included."""

    namespace: str
    name: str
    low: int
    high: int

    @property
    def label(self) -> str:
        return f"PinScaler {self.namespace}/{self.name}"


def scaler_range(scaler: dict[str, Any] | None) -> ScalerRange | None:
    """The range of a PinScaler object, or None when it has no readable bounds."""
    if not scaler:
        return None
    meta, spec = scaler.get("metadata") or {}, scaler.get("spec") or {}
    try:
        # minReplicas is optional: autoscaling/v2 (and so its HPA) defaults it to 1
        low, high = int(spec.get("minReplicas", 1)), int(spec["maxReplicas"])
    except (KeyError, TypeError, ValueError):
        return None
    return ScalerRange(str(meta.get("namespace", "")), str(meta.get("name", "")), low, high)


def targets(scaler: dict[str, Any], name: str) -> bool:
    """Whether PinScaler ``scaler`` scales the PinApp ``name`` (of its own namespace)."""
    return ((scaler.get("spec") or {}).get("targetRef") or {}).get("name") == name


def check_range(namespace: str, name: str, replicas: int, ranges: Iterable[ScalerRange]) -> None:
    """``Invalid`` naming the PinScaler when ``replicas`` is outside the count it owns: its HPA
    would undo a manual scale there, so the way is to change the scaler's limits."""
    for scaler in ranges:
        if not scaler.low <= replicas <= scaler.high:
            raise Invalid(
                f"{scaler.label} owns the replica count of PinApp {namespace}/{name} between "
                f"{scaler.low} and {scaler.high}: {replicas} is outside that range, and the "
                "scaler would undo it. Change the PinScaler's min/max instead.",
                where="replicas",
            )


def parse_replicas(text: str) -> int:
    """The replica count typed into a form."""
    try:
        replicas = int(str(text).strip())
    except ValueError:
        replicas = -1
    if not 0 <= replicas <= MAX_REPLICAS:
        raise Invalid(f"replicas must be a whole number from 0 to {MAX_REPLICAS}", where="replicas")
    return replicas


@dataclass(frozen=True)
class Preview:
    """What a confirmation shows: the change, what it touches, and its button's label;
    ``action``: what confirming does (``scale``, ``restart``, ``pause`` or ``resume``)."""

    action: str
    title: str
    lines: tuple[str, ...]
    confirm: str


def preview(
    action: str,
    namespace: str,
    name: str,
    *,
    replicas: str,
    current: str,
    pods: int,
    paused: bool,
    restarted: str,
    scaler: ScalerRange | None,
) -> Preview:
    """What the PinApp page's ``action`` (``scale``, ``restart``, or ``pause``: pause or resume,
    the opposite of ``paused``) would change, from what the page showed: ``replicas`` typed,
    ``current`` desired count, ``pods``, ``restarted`` (the last restart's stamp). ``Invalid``
    for a count that is no number or outside ``scaler``'s range (nothing to confirm)."""
    if action == "scale":
        count = parse_replicas(replicas)
        check_range(namespace, name, count, [scaler] if scaler else [])
        now = int(current) if current.isdigit() else 0
        return scale_preview(namespace, name, now, count, scaler)
    if action == "restart":
        return restart_preview(namespace, name, pods, paused, restarted)
    if action == "pause":
        return pause_preview(namespace, name, pods, not paused)
    raise Invalid(f"{action!r} is no action of a PinApp", where="action")


def _pods(n: int) -> str:
    return f"{n} pod{'' if n == 1 else 's'}"


def scale_preview(
    namespace: str, name: str, current: int, replicas: int, scaler: ScalerRange | None
) -> Preview:
    """Scaling from the ``current`` desired count (what the form stood on) to ``replicas``."""
    app = f"{namespace}/{name}"
    noun = "replica" if replicas == 1 else "replicas"
    lines = [f"Deployment {app}: replicas {current} → {replicas}."]
    change = abs(replicas - current)
    if change:
        verb = "added" if replicas > current else "removed"
        lines.append(f"{_pods(change)} {'is' if change == 1 else 'are'} {verb}.")
        if replicas == 0:
            lines.append("No pod is left running: the service stops answering.")
    else:
        lines.append("No pod is added or removed.")
    if scaler is not None:
        lines.append(
            f"{scaler.label} owns the count between {scaler.low} and {scaler.high}: it may "
            "change it again as the load changes."
        )
    title = f"Scale {app} from {current} to {replicas} {noun}"
    return Preview("scale", title, tuple(lines), f"Scale to {replicas}")


def restart_preview(namespace: str, name: str, pods: int, paused: bool, last: str) -> Preview:
    """A rolling restart of the ``pods`` the PinApp runs (``last``: the previous restart)."""
    app = f"{namespace}/{name}"
    lines = [
        f"A rolling restart of {_pods(pods)} of Deployment {app}: each is replaced by a new "
        "one, a few at a time.",
        f"Pod template annotation {RESTARTED_AT}: {last or 'never set'} → now.",
    ]
    if paused:
        lines.append("The PinApp is paused: the new pods roll out once it is resumed.")
    return Preview("restart", f"Restart {app}", tuple(lines), "Restart")


def pause_preview(namespace: str, name: str, pods: int, pause: bool) -> Preview:
    """Pausing (``pause``) or resuming the PinApp's Deployment."""
    app = f"{namespace}/{name}"
    if pause:
        lines = (
            f"Deployment {app}: paused no → yes. Its controller stops reconciling it: changes "
            "to the pod template (a new image, a restart) wait until it is resumed.",
            f"Its {_pods(pods)} keep running; scaling still applies.",
        )
        return Preview("pause", f"Pause {app}", lines, "Pause")
    lines = (
        f"Deployment {app}: paused yes → no. Its controller reconciles it again: template "
        "changes made while it was paused roll out now.",
        f"It runs {_pods(pods)}.",
    )
    return Preview("resume", f"Resume {app}", lines, "Resume")
