"""Browser tests against a real production build of PinConsole, driven with Debian's Chromium.

One console per test session: a temp data dir with a migrated and demo-seeded SQLite database,
the production frontend built once into its own REFLEX_WEB_WORKDIR, and the app served on one
free port. Every test in this folder is marked ``e2e`` and put in one xdist group, so under
``pytest -n 2 --dist loadgroup`` the frontend is still built only once.

Reflex prod mode prerenders pages: the first HTML shows default state values until the
websocket delivers real state, so tests wait for content that only the backend can provide.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Console,
    running_console,
    save_screenshot,
    sign_in,
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
    with running_console(tmp_path_factory.mktemp("console")) as running:
        yield running


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
