"""requirements.lock pins every dependency pyproject.toml declares (else: `make lock`)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    """``psycopg[binary]>=3.2`` -> ``psycopg`` (PEP 503 normalised)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def test_every_declared_dependency_is_locked() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {_name(r) for r in project["dependencies"]}
    declared |= {_name(r) for r in project["optional-dependencies"]["test"]}
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    locked = {_name(line) for line in lock.splitlines() if re.match(r"^[A-Za-z0-9]", line)}
    missing = sorted(declared - locked)
    assert not missing, f"not in requirements.lock: {missing}; run `make lock`"
