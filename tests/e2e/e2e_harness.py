"""Process and browser helpers of the e2e harness (tests: ``from e2e_harness import ...``).

conftest.py holds the fixtures; this module holds what both it and tests call directly.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
SCREENSHOTS = ROOT / "screenshots"
CHROMIUM = os.environ.get("PINCONSOLE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A fresh machine runs `npm install` for the first build; later builds take seconds.
START_TIMEOUT = float(os.environ.get("PINCONSOLE_E2E_START_TIMEOUT", "900"))
E2E_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Console:
    """A running PinConsole: where to reach it and which data it serves."""

    url: str
    data_dir: Path
    database_url: str
    log_path: Path
    process: subprocess.Popen[bytes]
    admin: str | None  # the demo user configured as administrator (first in the sign-in list)
    env: dict[str, str]  # the server's environment, for more processes on the same data

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(env: dict[str, str], log: Any, *args: str, timeout: float) -> None:
    subprocess.run(
        [sys.executable, "-m", "pinconsole.cli", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=log,
        stderr=subprocess.STDOUT,
        timeout=timeout,
    )


def seed(env: dict[str, str], log: Any) -> None:
    """Fill the database with the demo organisation (`pinconsole demo seed`)."""
    _cli(env, log, "demo", "seed", timeout=600)


def first_user(database_url: str) -> str | None:
    """The demo user /signin lists first; the console makes them an administrator."""
    path = database_url.removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(path)) as conn:
        row = conn.execute(
            "SELECT name FROM entity WHERE kind = 'user' ORDER BY lower(name), ref LIMIT 1"
        ).fetchone()
    return str(row[0]) if row else None


def websocket_ready(port: int) -> bool:
    """The backend answers the socket.io websocket handshake with 101."""
    request = (
        f"GET /_event/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(request.encode())
            return sock.recv(64).startswith(b"HTTP/1.1 101")
    except OSError:
        return False


def wait_ready(
    url: str, process: subprocess.Popen[bytes], log_path: Path, *, page: bool = True
) -> None:
    """Until ``url`` serves its page (unless ``page=False``), /ping and the websocket."""
    port = int(url.rsplit(":", 1)[1])

    def tail() -> str:
        text = log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-60:])

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args!r} exited with {process.returncode}:\n{tail()}")
        with contextlib.suppress(httpx.HTTPError):
            ok = not page or httpx.get(url + "/", timeout=5).status_code == 200
            ping = httpx.get(url + "/ping", timeout=5)
            if ok and ping.status_code == 200 and websocket_ready(port):
                return
        time.sleep(1)
    pytest.fail(f"{url} not ready after {START_TIMEOUT:.0f}s:\n{tail()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server's whole process group (reflex forks workers and a build process)."""
    if process.poll() is not None:
        return
    # Graceful shutdown waits for open websockets; a throwaway server need not wait long.
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 10)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@contextlib.contextmanager
def running_console(data_dir: Path) -> Iterator[Console]:
    """A migrated, demo-seeded PinConsole in ``data_dir`` served from a production build on
    a free port, stopped on exit."""
    # Outside pytest's tmp dirs: a web dir of a few hundred MB should not outlive the session.
    web_dir = Path(tempfile.mkdtemp(prefix="pinconsole-e2e-web-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database_url = f"sqlite:///{data_dir / 'pinconsole.db'}"
    env = {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PINCONSOLE_DATA_DIR": str(data_dir),
        "PINCONSOLE_DATABASE_URL": database_url,
        "PINCONSOLE_CONFIG": str(data_dir / "pinconsole.toml"),  # none: ignore a dev's file
        "PINCONSOLE_AUTH_MODE": "demo",
        "PINCONSOLE_API_URL": url,
        "PINCONSOLE_FRONTEND_PORT": str(port),
        "PINCONSOLE_BACKEND_PORT": str(port),
        "REFLEX_WEB_WORKDIR": str(web_dir / "web"),
        "REFLEX_STATES_WORKDIR": str(web_dir / "states"),
        "REFLEX_USE_NPM": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("PINCONSOLE_REDIS_URL", None)
    log_path = data_dir / "console.log"
    with log_path.open("wb") as log:
        # The README's commands as a user runs them: `pinconsole db upgrade`, `demo seed`, `serve`.
        _cli(env, log, "db", "upgrade", timeout=300)
        seed(env, log)
        admin = first_user(database_url)
        env["PINCONSOLE_ADMINS"] = json.dumps([admin] if admin else [])
        # The demo's platform team administers the console (access tests rely on the group).
        env["PINCONSOLE_ADMIN_GROUP"] = "group:default/platform"
        command = [sys.executable, "-m", "pinconsole.cli", "serve", "--port", str(port)]
        log.write(f"e2e: {' '.join(command)}\n".encode())
        log.flush()
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Console(url, data_dir, database_url, log_path, process, admin, env)
    try:
        wait_ready(url, process, log_path)
        yield running
    finally:
        stop(process)
        shutil.rmtree(web_dir, ignore_errors=True)


# What a page shows while its data is on the way: skeleton_rows() (aria-busy) and rx.skeleton.
LOADING = '[aria-busy="true"], .rt-Skeleton'


def wait_loaded(page: Any, *, timeout: float = 30_000) -> None:
    """Until no placeholder is left on the page: prerendered pages show skeletons until the
    websocket delivered the state, and a screenshot taken before that shows no data."""
    try:
        page.wait_for_function("sel => !document.querySelector(sel)", arg=LOADING, timeout=timeout)
    except Exception as exc:  # playwright's TimeoutError: say what was still loading
        busy = page.locator(LOADING).count()
        raise AssertionError(f"{page.url}: {busy} placeholder(s) still loading") from exc


# Finite animations (CSS transitions such as a theme change's colours) that are still running,
# awaited for at most 3 s; endless ones (spinners) are left alone.
_SETTLE = """() => Promise.race([
    Promise.all(document.getAnimations()
        .filter(a => a.effect && a.effect.getTiming().iterations !== Infinity)
        .map(a => a.finished.catch(() => null))),
    new Promise(resolve => setTimeout(resolve, 3000)),
])"""
TOASTS = "[data-sonner-toast]"  # transient messages (c.toast), fixed over the page's content


def _settle(page: Any) -> None:
    """Take the mouse off the page (a hovered button or chart toolbar is no part of the view),
    let toasts go (a few seconds; one that stays is shot as it is) and transitions end."""
    page.mouse.move(0, 0)  # the side navigation's padding: nothing reacts there
    with contextlib.suppress(Exception):
        page.wait_for_function("sel => !document.querySelector(sel)", arg=TOASTS, timeout=15_000)
    page.evaluate(_SETTLE)


def save_screenshot(page: Any, name: str, *, full_page: bool = False) -> Path:
    """Save a PNG of the loaded page (no skeleton or toast left, transitions finished) as
    ``screenshots/<name>.png`` (gitignored) and return its path.

    A full-page shot is taken from the top in a window as tall as the page: in the real window
    the fixed side navigation would end after one screen and a scrolled page would show the
    sticky top bar in the middle.
    """
    wait_loaded(page)
    _settle(page)
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    size = page.viewport_size
    if not full_page or size is None:
        page.screenshot(path=str(path))
        return path
    page.evaluate("() => window.scrollTo(0, 0)")
    height = int(page.evaluate("() => document.documentElement.scrollHeight"))
    page.set_viewport_size({"width": size["width"], "height": max(height, size["height"])})
    try:
        _settle(page)
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(size)
    return path


def sign_in(page: Any, person: str | None = None, *, base: str = "") -> str:
    """Sign in through ``/signin`` in demo mode; returns the display name shown in the menu.

    ``person`` is searched for (name, title or email); without it the first listed user is taken.
    ``base`` is another origin than the console's (the nginx deployment test).
    """
    page.goto(f"{base}/signin")
    people = page.locator(".pc-signin-person")
    people.first.wait_for(timeout=60_000)  # rendered only once the websocket delivered users
    if person:
        page.locator("#signin-search").fill(person)
        people = page.locator(".pc-signin-person", has_text=person)
        people.first.wait_for(timeout=30_000)
    people.first.click()
    menu = page.get_by_role("button", name="User menu")
    menu.wait_for(timeout=60_000)
    # The button holds the avatar's initials, the name (its text element, hidden on a phone's
    # width but still there) and, for screen readers, ", user menu".
    return str(menu.locator("p").first.text_content() or "").strip()
