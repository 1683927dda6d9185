"""The Plugin object is the only seam: importing a module registers nothing, and the plugins
load without Reflex (only the app assembly asks for pages and entity tabs).

Both run in a fresh interpreter, as a process that has imported nothing yet would.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "pinconsole"
UI = ("pinconsole.state", "pinconsole.pages", "pinconsole.components")
ASSEMBLY = "pinconsole.pinconsole"  # builds the app at import: that is its whole job

# Imports every pinconsole module (but the assembly), noting the size of each module-level
# dict, set and list right after its own module ran; a container that grew afterwards was
# filled by another module's import: a registration at import time.
_IMPORT_ALL = """
import importlib, importlib.abc, importlib.machinery, json, sys

names, skip = json.loads(sys.argv[1]), sys.argv[2]
sizes = {}

class Snapshots(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != "pinconsole" and not name.startswith("pinconsole."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module, run=run):
            run(module)
            for key, value in vars(module).items():
                if not key.startswith("__") and isinstance(value, (dict, set, list)):
                    sizes[f"{module.__name__}.{key}"] = (value, len(value))

        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, Snapshots())
for name in names:
    if name != skip:
        importlib.import_module(name)
from pinconsole.plugins.registry import is_assembled

grown = [f"{k}: {n} -> {len(v)}" for k, (v, n) in sorted(sizes.items()) if len(v) != n]
print(json.dumps({"grown": grown, "assembled": is_assembled()}))
"""

# Imports every module outside the UI, then loads every built-in plugin and reads every
# contribution but pages and tabs; Reflex must not be imported until pages are asked for.
_LOAD_PLUGINS = """
import importlib, json, sys

for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
after_imports = "reflex" in sys.modules
from pinconsole.plugins.registry import Registry

registry = Registry()
registry.load_builtin()
for part in ("api_routers", "public_api_routers", "jobs", "cli", "home_modules",
             "authenticators", "health_checks", "open_actions"):
    getattr(registry, part)
after_plugins = "reflex" in sys.modules
pages = [p.route for p in registry.pages]
print(json.dumps({"after_imports": after_imports, "after_plugins": after_plugins,
                  "plugins": sorted(registry.plugins), "pages": pages,
                  "after_pages": "reflex" in sys.modules}))
"""


def _modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts).removesuffix(".__init__"))
    return names


def _run(script: str, *args: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_importing_every_module_registers_nothing() -> None:
    result = _run(_IMPORT_ALL, json.dumps(_modules()), ASSEMBLY)
    assert result["grown"] == [], "filled at import by another module"
    assert result["assembled"] is False, "a module built the plugin registry at import"


def test_domains_and_plugins_load_without_reflex() -> None:
    """Every module outside the UI imports no Reflex, nor does loading every built-in plugin:
    their pages and tabs are built when the app asks for them."""
    outside_ui = [n for n in _modules() if n != ASSEMBLY and not any(n.startswith(u) for u in UI)]
    result = _run(_LOAD_PLUGINS, json.dumps(outside_ui))
    assert result["after_imports"] is False, (
        "a module outside state/pages/components imports Reflex"
    )
    assert {"core", "access", "catalog", "org", "compute"} <= set(result["plugins"])  # type: ignore[arg-type]
    assert result["after_plugins"] is False, "a plugin() imports its pages or states"
    assert "/catalog" in result["pages"] and result["after_pages"] is True  # type: ignore[operator]


def test_pages_are_added_by_the_assembly_only() -> None:
    """No ``@rx.page``: a decorated page registers at import (and is lost when an app is built
    twice in one process); pages are ``PageSpec`` fields the assembly adds."""
    decorated = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for deco in node.decorator_list:
                    target = deco.func if isinstance(deco, ast.Call) else deco
                    if isinstance(target, ast.Attribute) and target.attr == "page":
                        decorated.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert decorated == []


def test_a_cli_command_loads_no_web_framework_and_no_cluster_client() -> None:
    """Loading the built-in plugins (every CLI command does, for their command groups) must
    not import the REST API, FastAPI or the Kubernetes client: they load when the API is
    assembled, so ``pinconsole org sync`` starts its work within a second."""
    import subprocess
    import sys

    code = (
        "import sys; from pinconsole.plugins import get_registry; r = get_registry(); r.cli; "
        "print(','.join(m for m in ('fastapi', 'kubernetes', 'psycopg', 'reflex') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "", out.stdout
