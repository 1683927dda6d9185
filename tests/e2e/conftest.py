"""Browser tests against a real production build of PinConsole, driven with Debian's Chromium.

One console per test session: a temp data dir with a migrated and demo-seeded SQLite database,
the production frontend built once into its own REFLEX_WEB_WORKDIR, and the app served on one
free port. Every test in this folder is marked ``e2e`` and put in one xdist group, so under
``pytest -n 2 --dist loadgroup`` the frontend is still built only once.

Reflex prod mode prerenders pages: the first HTML shows default state values until the
websocket delivers real state, so tests wait for content that only the backend can provide.
"""

from __future__ import annotations

import contextlib
import importlib.util
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
from collections.abc import Callable, Iterator
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every browser test ``e2e`` and keep them in one xdist worker (one build)."""
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.xdist_group("e2e"))


@dataclass(frozen=True)
class Console:
    """A running PinConsole: where to reach it and which data it serves."""

    url: str
    data_dir: Path
    database_url: str
    log_path: Path
    process: subprocess.Popen[bytes]
    admin: str | None  # the demo user configured as administrator (first in the sign-in list)

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def _has_cli_command(*args: str) -> bool:
    """True when the `pinconsole` CLI exists and knows this (sub)command."""
    if not _module_exists("pinconsole.cli"):
        return False
    probe = subprocess.run(
        [sys.executable, "-m", "pinconsole.cli", *args, "--help"],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    return probe.returncode == 0


def _seed(env: dict[str, str], log: Any) -> None:
    """Fill the database with the demo organisation (skipped until the seed exists)."""
    if not _module_exists("pinconsole.demo.seed"):
        log.write(b"e2e: pinconsole.demo.seed does not exist yet, console runs unseeded\n")
        return
    subprocess.run(
        [sys.executable, "-m", "pinconsole.cli", "demo", "seed"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=log,
        stderr=subprocess.STDOUT,
        timeout=600,
    )


def _first_user(database_url: str) -> str | None:
    """The demo user /signin lists first; the console makes them an administrator."""
    path = database_url.removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(path)) as conn:
        row = conn.execute(
            "SELECT name FROM entity WHERE kind = 'user' ORDER BY lower(name), ref LIMIT 1"
        ).fetchone()
    return str(row[0]) if row else None


def _websocket_ready(port: int) -> bool:
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


def _wait_ready(console: Console, port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if console.process.poll() is not None:
            pytest.fail(
                f"PinConsole exited with {console.process.returncode}:\n{console.log_tail()}"
            )
        with contextlib.suppress(httpx.HTTPError):
            page = httpx.get(console.url + "/", timeout=5)
            ping = httpx.get(console.url + "/ping", timeout=5)
            if page.status_code == 200 and ping.status_code == 200 and _websocket_ready(port):
                return
        time.sleep(1)
    pytest.fail(f"PinConsole not ready after {START_TIMEOUT:.0f}s:\n{console.log_tail()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
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


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """A migrated, demo-seeded PinConsole served from a production build on a free port."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (`make test` as root installs it)")
    data_dir = tmp_path_factory.mktemp("console")
    # Outside pytest's tmp dirs: a web dir of a few hundred MB should not outlive the session.
    web_dir = Path(tempfile.mkdtemp(prefix="pinconsole-e2e-web-"))
    port = _free_port()
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
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from pinconsole.migrations import upgrade_database;"
                " upgrade_database(sys.argv[1])",
                database_url,
            ],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=300,
        )
        _seed(env, log)
        admin = _first_user(database_url)
        env["PINCONSOLE_ADMINS"] = json.dumps([admin] if admin else [])
        # The demo's platform team administers the console (access tests rely on the group).
        env["PINCONSOLE_ADMIN_GROUP"] = "group:default/platform"
        if _has_cli_command("serve"):
            command = [sys.executable, "-m", "pinconsole.cli", "serve", "--port", str(port)]
        else:
            command = [
                str(VENV_BIN / "reflex"),
                "run",
                "--env",
                "prod",
                "--single-port",
                "--frontend-port",
                str(port),
                "--backend-port",
                str(port),
            ]
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
    running = Console(url, data_dir, database_url, log_path, process, admin)
    try:
        _wait_ready(running, port)
        yield running
    finally:
        _stop(process)
        shutil.rmtree(web_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def base_url(console: Console) -> str:
    """pytest-playwright resolves `page.goto("/x")` against the running console."""
    return console.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium, never a downloaded browser."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """A laptop-sized window, so screenshots look like what a person sees."""
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}}


def save_screenshot(page: Any, name: str, *, full_page: bool = False) -> Path:
    """Save a PNG of the page as ``screenshots/<name>.png`` (gitignored) and return its path."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


@pytest.fixture
def shot() -> Callable[..., Path]:
    """``shot(page, "home")`` saves ``screenshots/home.png``."""
    return save_screenshot


def sign_in(page: Any, person: str | None = None) -> str:
    """Sign in through ``/signin`` in demo mode; returns the display name shown in the menu.

    ``person`` is searched for (name, title or email); without it the first listed user is taken.
    """
    page.goto("/signin")
    people = page.locator(".pc-signin-person")
    people.first.wait_for(timeout=60_000)  # rendered only once the websocket delivered users
    if person:
        page.locator("#signin-search").fill(person)
        people = page.locator(".pc-signin-person", has_text=person)
        people.first.wait_for(timeout=30_000)
    people.first.click()
    menu = page.get_by_role("button", name="User menu")
    menu.wait_for(timeout=60_000)
    # The button holds the avatar's initials and then the name.
    return [line for line in menu.inner_text().splitlines() if line.strip()][-1].strip()


@pytest.fixture
def signed_in_page(page: Any) -> Any:
    """A Playwright page signed in as the first demo user /signin lists, an administrator."""
    sign_in(page)
    return page
