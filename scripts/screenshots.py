"""Regenerates the documentation's screenshots (docs/screenshots/) from the browser tests.

The shell, catalog and workload browser tests build the production frontend once, sign in as
demo users and save PNGs under screenshots/ (gitignored); this copies the ones the docs show
into docs/screenshots/. Every shot is taken only once the page has its data: the harness's
``save_screenshot`` waits until no skeleton is left (prerendered pages show skeletons until the
websocket delivered the state) and running transitions have finished.

    python scripts/screenshots.py      (or: make screenshots)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = (
    "tests/e2e/test_shell.py",
    "tests/e2e/test_catalog_pages.py",
    "tests/e2e/test_catalog_filters.py",
    "tests/e2e/test_workloads.py",
)
# docs/screenshots/<key>.png <- screenshots/<value>.png
SHOWN = {
    "home-light": "home-light",
    "home-dark": "home-dark",
    "design-light": "design-light",
    "design-dark": "design-dark",
    "catalog-list": "catalog-list",
    "catalog-filtered": "catalog-filtered",
    "catalog-no-match": "catalog-no-match",
    "catalog-service": "catalog-service",
    "catalog-api": "catalog-api",
    "catalog-team": "catalog-team",
    "compute-workloads": "workloads",
    "compute-entity-workloads-tab": "entity-workloads-tab",
    "compute-pinapp": "pinapp",
    "compute-pinapp-logs": "pinapp-logs",
    "compute-pinapp-other-team": "pinapp-other-team",
}


def main() -> int:
    source = ROOT / "screenshots"
    # A failed run must not leave an older run's PNGs to be copied as if they were new.
    for name in SHOWN.values():
        (source / f"{name}.png").unlink(missing_ok=True)
    code = subprocess.call(
        [sys.executable, "-m", "pytest", *TESTS, "-q", "-p", "no:cacheprovider", "-n", "0"],
        cwd=ROOT,
    )
    if code != 0:
        print("screenshots: the browser tests failed; docs/screenshots/ left as it was")
        return code
    missing = [name for name in SHOWN.values() if not (source / f"{name}.png").exists()]
    if missing:  # a skipped test (e.g. no Chromium) saves nothing
        print(f"screenshots: not taken: {', '.join(missing)}; docs/screenshots/ left as it was")
        return 1
    target = ROOT / "docs" / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    for doc_name, name in SHOWN.items():
        shutil.copyfile(source / f"{name}.png", target / f"{doc_name}.png")
        print(f"screenshots: docs/screenshots/{doc_name}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
