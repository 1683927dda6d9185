"""Browser tests against a real production build of PinConsole, driven with Debian's Chromium.

One console per test session: a temp data dir with a migrated and demo-seeded SQLite database,
the production frontend built once into its own REFLEX_WEB_WORKDIR, and the app served on one
free port. Every test in this folder is marked ``e2e`` and put in one xdist group, so under
``pytest -n 2 --dist loadgroup`` the frontend is still built only once.

Reflex prod mode prerenders pages: the first HTML shows default state values until the
websocket delivers real state, so tests wait for content that only the backend can provide.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    VENV_BIN,
    Console,
    first_user,
    free_port,
    save_screenshot,
    seed,
    sign_in,
    stop,
    wait_ready,
)

E2E_DIR = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every browser test ``e2e`` and keep them in one xdist worker (one build)."""
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.xdist_group("e2e"))


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """A migrated, demo-seeded PinConsole served from a production build on a free port."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (`make test` as root installs it)")
    data_dir = tmp_path_factory.mktemp("console")
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
        subprocess.run(
            [sys.executable, "-m", "pinconsole.cli", "db", "upgrade"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=300,
        )
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


@pytest.fixture
def shot() -> Callable[..., Path]:
    """``shot(page, "home")`` saves ``screenshots/home.png``."""
    return save_screenshot


@pytest.fixture
def signed_in_page(page: Any) -> Any:
    """A Playwright page signed in as the first demo user /signin lists, an administrator."""
    sign_in(page)
    return page
