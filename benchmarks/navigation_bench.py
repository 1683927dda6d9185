"""Client-side navigation benchmark: from the workloads list to a PinApp's header, in Chromium.

An on-call engineer clicks a PinApp in /workloads; what counts is how soon the page shows that
PinApp's name (its header), without a full page load. The benchmark starts the console as the
browser tests do (production build, demo data on the embedded SQLite database, one port),
signs in, and then ``--rounds`` times: opens /workloads, waits for the table, clicks the next
PinApp's link and times, in the browser (``performance.now()``), from the click to the moment
``#pinapp-name`` shows that name. For comparison it times a full load of the same PinApp's URL
(``page.goto`` to the header). It prints p50, p95 and max of both; it never fails on a figure.

Run: ``make bench`` (every benchmark) or ``.venv/bin/python benchmarks/navigation_bench.py
[--rounds 20]``. The first build of the frontend takes a minute or two.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from e2e_harness import CHROMIUM, CHROMIUM_ARGS, running_console, sign_in  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

# Resolves when the header names the PinApp; the time is taken in the page.
_HEADER_SHOWN = """name => new Promise(resolve => {
    const shown = () => {
        const el = document.getElementById('pinapp-name');
        return el && el.textContent.trim() === name;
    };
    if (shown()) return resolve(performance.now());
    const obs = new MutationObserver(() => {
        if (shown()) { obs.disconnect(); resolve(performance.now()); }
    });
    obs.observe(document.body, {subtree: true, childList: true, characterData: true});
})"""


def _figures(name: str, ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return (
        f"{name:<28} n={len(ms):>3}  p50 {statistics.median(ms):7.0f} ms  "
        f"p95 {p95:7.0f} ms  max {ms[-1]:7.0f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=12)
    args = parser.parse_args()
    client_ms: list[float] = []
    full_ms: list[float] = []
    with tempfile.TemporaryDirectory(prefix="pc-nav-bench-") as data_dir:
        started = time.monotonic()
        with running_console(Path(data_dir)) as console, sync_playwright() as pw:
            print(f"console ready in {time.monotonic() - started:.0f} s at {console.url}")
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 900}, base_url=console.url)
            sign_in(page)
            for i in range(args.rounds):
                page.goto("/workloads")
                links = page.locator("#workloads-table tbody tr td:first-child a")
                links.first.wait_for(timeout=60_000)
                link = links.nth(i % links.count())
                name = link.inner_text().strip()
                href = str(link.get_attribute("href"))
                t0 = page.evaluate("() => performance.now()")
                link.click()
                t1 = page.evaluate(_HEADER_SHOWN, name)
                client_ms.append(t1 - t0)
                page.goto("about:blank")
                t0 = time.monotonic()
                page.goto(href)
                page.evaluate(_HEADER_SHOWN, name)
                full_ms.append((time.monotonic() - t0) * 1000)
            browser.close()
    print(_figures("workloads -> PinApp (client)", client_ms))
    print(_figures("PinApp full load", full_ms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
