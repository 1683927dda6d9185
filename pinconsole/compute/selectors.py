"""Kubernetes label selectors, parsed once and matched in Python.

Used by the cache (``backstage.io/kubernetes-label-selector`` annotations) and by the sandbox
emulator (``labelSelector`` query parameters), so both agree on the grammar.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from pinconsole.errors import Invalid

_SET_RE = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_EQ_RE = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|=|!=)\s*([A-Za-z0-9_.-]*)\s*$")
_EXISTS_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*$")


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!exists"
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        value = labels.get(self.key)
        if self.op == "=":
            return value is not None and value in self.values
        if self.op == "!=":
            return value is None or value not in self.values
        if self.op == "in":
            return value is not None and value in self.values
        if self.op == "notin":
            return value is None or value not in self.values
        if self.op == "exists":
            return value is not None
        return value is None


def _split(selector: str) -> list[str]:
    """Split on commas that are not inside ``( )`` of a set requirement."""
    parts, depth, current = [], 0, []
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p for p in (part.strip() for part in parts) if p]


def parse_selector(selector: str | None) -> tuple[Requirement, ...]:
    """Parse ``a=b,c!=d,e in (f,g),!h`` into requirements; raises ``Invalid`` with the part."""
    if not selector:
        return ()
    reqs: list[Requirement] = []
    for part in _split(selector):
        if m := _SET_RE.match(part):
            values = frozenset(v.strip() for v in m.group(3).split(",") if v.strip())
            reqs.append(Requirement(m.group(1), m.group(2), values))
        elif m := _EQ_RE.match(part):
            op = "!=" if m.group(2) == "!=" else "="
            reqs.append(Requirement(m.group(1), op, frozenset([m.group(3)])))
        elif m := _EXISTS_RE.match(part):
            reqs.append(Requirement(m.group(2), "!exists" if m.group(1) else "exists"))
        else:
            raise Invalid(f"cannot parse label selector part {part!r}", where="labelSelector")
    return tuple(reqs)


def matches(requirements: tuple[Requirement, ...], labels: Mapping[str, str] | None) -> bool:
    """True when every requirement holds (an empty selector matches everything)."""
    labels = labels or {}
    return all(req.matches(labels) for req in requirements)
