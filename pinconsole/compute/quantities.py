"""Kubernetes resource quantities (``250m`` CPU, ``512Mi`` memory) as numbers, and what a
PinApp's pods request and are limited to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def parse_cpu(value: str | None) -> float:
    """CPU quantity to millicores (``250m``, ``1``, ``12345n``)."""
    if not value:
        return 0.0
    if value.endswith("n"):
        return float(value[:-1]) / 1e6
    if value.endswith("u"):
        return float(value[:-1]) / 1e3
    if value.endswith("m"):
        return float(value[:-1])
    return float(value) * 1000


_MEM = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 1e3, "M": 1e6, "G": 1e9}


def parse_memory(value: str | None) -> float:
    """Memory quantity to bytes."""
    if not value:
        return 0.0
    for suffix in ("Ki", "Mi", "Gi", "Ti", "k", "M", "G"):
        if value.endswith(suffix):
            return float(value[: -len(suffix)]) * _MEM[suffix]
    return float(value)


@dataclass(frozen=True)
class PodResources:
    """One pod's requests and limits summed over its containers (None: some container sets
    none, so the pod as a whole has no such bound)."""

    cpu_request: float | None  # millicores
    cpu_limit: float | None
    memory_request: float | None  # MiB
    memory_limit: float | None


def pod_resources(spec: dict[str, Any]) -> PodResources:
    """From a PinApp's spec: its ``containers`` (or the single ``resources`` of the one
    container a spec without them runs)."""
    containers = spec.get("containers") or [{"resources": spec.get("resources") or {}}]

    def total(kind: str, key: str, parse: Any, scale: float) -> float | None:
        values = [((c.get("resources") or {}).get(kind) or {}).get(key) for c in containers]
        if not values or any(v in (None, "") for v in values):
            return None
        try:
            return sum(parse(str(v)) for v in values) / scale
        except ValueError:  # a quantity the API would have refused: no line rather than a wrong one
            return None

    return PodResources(
        total("requests", "cpu", parse_cpu, 1),
        total("limits", "cpu", parse_cpu, 1),
        total("requests", "memory", parse_memory, 2**20),
        total("limits", "memory", parse_memory, 2**20),
    )
