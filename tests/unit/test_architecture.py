"""The one-way data flow of the architecture, checked on the imports of every module.

Domain packages (and the models) never import Reflex, a page, a state or the app assembly (their
own ``api.py`` routers may use the API's dependencies, as Dispatch's views sit beside the
service); components never import a State, pages or the API: they take Vars and event handlers
as arguments.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "pinconsole"
DOMAINS = ("access", "catalog", "compute", "org", "models", "demo", "delivery", "observability")
UI = ("reflex", "pinconsole.pages", "pinconsole.state")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _violations(folder: Path, forbidden: tuple[str, ...], allowed: set[str]) -> list[str]:
    bad = []
    for path in sorted(folder.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).as_posix()
        if rel in allowed:
            continue
        for line, module in _imports(path):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                bad.append(f"{rel}:{line} imports {module}")
    return bad


# A plugin module is the seam where a feature hands its pages and states to the registry.
PLUGIN_SEAMS = {f"pinconsole/{d}/plugin.py" for d in DOMAINS}


@pytest.mark.parametrize("domain", [d for d in DOMAINS if (PACKAGE / d).is_dir()])
def test_domain_packages_never_import_the_ui(domain: str) -> None:
    forbidden = (*UI, "pinconsole.api.app", "pinconsole.pinconsole")
    assert not _violations(PACKAGE / domain, forbidden, PLUGIN_SEAMS)


def test_components_never_import_a_state_a_page_or_the_api() -> None:
    forbidden = ("pinconsole.state", "pinconsole.pages", "pinconsole.api", "pinconsole.plugins")
    assert not _violations(PACKAGE / "components", forbidden, set())
