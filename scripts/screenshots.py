"""Regenerates the README's screenshots (docs/screenshots/) from the browser test harness.

The shell tests build the production frontend, sign in as a demo user and save PNGs under
screenshots/ (gitignored); this copies the ones the README shows into docs/screenshots/.

    python scripts/screenshots.py      (or: make screenshots)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOWN = ("home-light", "home-dark", "design-light", "design-dark")


def main() -> int:
    tests = ["tests/e2e/test_shell.py"]
    code = subprocess.call(
        [sys.executable, "-m", "pytest", *tests, "-q", "-p", "no:cacheprovider", "-n", "0"],
        cwd=ROOT,
    )
    if code != 0:
        print("screenshots: the shell tests failed; docs/screenshots/ left as it was")
        return code
    target = ROOT / "docs" / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    for name in SHOWN:
        shutil.copyfile(ROOT / "screenshots" / f"{name}.png", target / f"{name}.png")
        print(f"screenshots: docs/screenshots/{name}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
