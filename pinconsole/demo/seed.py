"""``pinconsole demo seed``: write the demo organisation as catalog-info.yaml files and import them.

The demo goes through ``import_locations`` exactly like a user's repository would: a directory
of ``catalog-info.yaml`` files, a root Location pulling in the org chart, and API definitions
pulled in with ``$text``. Re-seeding rewrites only files whose content changed, so a second seed
reports every entity unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pinconsole.catalog.ingest import ImportSummary, import_locations
from pinconsole.demo.orgchart import API_VERSION, ORG, DemoOrg, generate_org
from pinconsole.settings import DATA_DIR

DEFAULT_DIR_NAME = "demo-catalog"


def _dump(docs: list[dict[str, Any]]) -> str:
    return yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True, width=100)


def _write(path: Path, text: str, written: set[Path]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    written.add(path)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def write_demo_files(root: Path, org: DemoOrg | None = None) -> set[Path]:
    """Lay the demo organisation out as a repository of descriptors under ``root``."""
    org = org or generate_org()
    written: set[Path] = set()
    location = {
        "apiVersion": API_VERSION,
        "kind": "Location",
        "metadata": {"name": f"{ORG}-org", "description": "Org chart, domains and systems"},
        "spec": {
            "type": "file",
            "targets": [
                "./org/groups.yaml",
                "./org/users.yaml",
                "./org/domains.yaml",
                "./org/systems.yaml",
            ],
        },
    }
    _write(root / "catalog-info.yaml", _dump([location]), written)
    _write(root / "org" / "groups.yaml", _dump(org.groups), written)
    _write(root / "org" / "users.yaml", _dump(org.users), written)
    _write(root / "org" / "domains.yaml", _dump(org.domains), written)
    _write(root / "org" / "systems.yaml", _dump(org.systems), written)
    teams = [g["metadata"]["name"] for g in org.groups if g["spec"]["type"] == "team"]
    for team in teams:
        docs: list[dict[str, Any]] = []
        for entity in org.owned_by(team):
            if entity["kind"] == "System":
                continue
            if entity["kind"] == "API":
                name = entity["metadata"]["name"]
                ext = {"openapi": "yaml", "grpc": "proto", "asyncapi": "yaml"}.get(
                    entity["spec"]["type"], "txt"
                )
                rel = f"apis/{name}.{ext}"
                _write(root / "repos" / team / rel, org.api_definitions[name], written)
                entity = {**entity, "spec": {**entity["spec"], "definition": {"$text": f"./{rel}"}}}
            docs.append(entity)
        if docs:
            _write(root / "repos" / team / "catalog-info.yaml", _dump(docs), written)
    return written


def seed_demo(path: Path | None = None) -> ImportSummary:
    """Write the demo descriptors (default ``<data dir>/demo-catalog``) and import them."""
    root = (path or DATA_DIR / DEFAULT_DIR_NAME).resolve()
    written = write_demo_files(root)
    for stale in root.rglob("*"):
        if stale.is_file() and stale not in written:
            stale.unlink()
    return import_locations([str(root)], actor="demo")
