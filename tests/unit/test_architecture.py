"""The one-way data flow of the architecture, checked on the imports of every module.

Domain packages (and the models) never import Reflex, a page, a state or the app assembly (their
own ``api.py`` routers may use the API's dependencies, as Dispatch's views sit beside the
service); components never import a State, pages or the API: they take Vars and event handlers
as arguments. Domain boundaries: the sandbox stays outside every domain, the catalog's tables are
queried only by the catalog (and a listed few), and PinCompute's names are spelled once.
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


# ---- domain boundaries ------------------------------------------------------------------------
# The sandbox (the emulated Kubernetes API of the demo and the tests) sits outside every domain:
# only the compute plugin seam wires it in (the demo's cluster); PinCompute reaches it through a
# kubeconfig like any cluster.
SANDBOX_USERS = {"pinconsole/compute/plugin.py"}


def test_only_the_compute_plugin_seam_imports_the_sandbox() -> None:
    bad = _violations(PACKAGE, ("pinconsole.sandbox",), SANDBOX_USERS)
    assert [b for b in bad if not b.startswith("pinconsole/sandbox/")] == []


def test_the_sandbox_never_imports_the_ui_the_api_or_the_plugins() -> None:
    forbidden = (*UI, "pinconsole.api", "pinconsole.plugins", "pinconsole.pinconsole")
    assert not _violations(PACKAGE / "sandbox", forbidden, set())


CATALOG_TABLES = {"Entity", "EntityTag", "Relation", "Location", "CatalogError", "EntityApiJson"}
# Modules outside the catalog that query its tables, each for what no catalog function answers.
# Everything else (compute, the sandbox, states, pages, the API) calls catalog functions.
CATALOG_TABLE_READERS = {
    "pinconsole/access/principal.py": "a user and the ancestry of their groups, at each sign-in",
    "pinconsole/access/directory.py": "the people directory: search and existence of users",
    "pinconsole/org/sync.py": "the rows its provider keys own, to notice edits by others",
    "pinconsole/org/auth.py": "the raw LDAP name a user's entity keeps, to re-check sessions",
}


def _catalog_table_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "pinconsole.models.catalog":
            found.append(f"{node.lineno}: {node.module}")
        elif isinstance(node, ast.ImportFrom) and node.module == "pinconsole.models":
            found += [f"{node.lineno}: {a.name}" for a in node.names if a.name in CATALOG_TABLES]
        elif isinstance(node, ast.Import):
            found += [
                f"{node.lineno}: {a.name}"
                for a in node.names
                if a.name.startswith("pinconsole.models.catalog")
            ]
    return found


def test_only_listed_modules_outside_the_catalog_query_its_tables() -> None:
    readers: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).as_posix()
        if rel.startswith(("pinconsole/catalog/", "pinconsole/models/")):
            continue
        if found := _catalog_table_imports(path):
            readers[rel] = found
    assert {r: f for r, f in readers.items() if r not in CATALOG_TABLE_READERS} == {}
    assert set(CATALOG_TABLE_READERS) <= set(readers), "a listed reader no longer needs it"


def _string_literals(path: Path) -> list[tuple[int, str, bool]]:
    """(line, text, is a dict key) of every string constant but docstrings and bare strings."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bare = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
    keys = {id(k) for n in ast.walk(tree) if isinstance(n, ast.Dict) for k in n.keys if k}
    return [
        (n.lineno, n.value, id(n) in keys)
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in bare
    ]


def test_pincompute_names_are_spelled_only_in_compute_constants() -> None:
    """Group, version, plurals, labels and annotations: a copy would drift from the CRDs."""
    from pinconsole.compute import constants

    values = {
        v
        for name, value in vars(constants).items()
        if name.isupper()
        for v in (value if isinstance(value, tuple) else (value,))
    }
    keys = {v for v in values if "." in v or "/" in v}  # found inside any longer text too
    words = values - keys  # "v1alpha1", "pinapps": only alone (backstage.io/v1alpha1 is not ours)
    assert keys and words
    home = Path(constants.__file__).resolve()
    roots = [PACKAGE, PACKAGE.parent / "benchmarks", PACKAGE.parent / "scripts"]
    copies = []
    for path in sorted(p for root in roots for p in root.rglob("*.py")):
        if path.resolve() == home:
            continue
        for line, text, is_key in _string_literals(path):
            # A bare word as a dict key names a field of an answer (cache.status()'s "pinapps").
            if any(k in text for k in keys) or (text in words and not is_key):
                copies.append(f"{path.relative_to(PACKAGE.parent)}:{line} {text!r}")
    assert copies == []
