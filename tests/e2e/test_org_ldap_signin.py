"""Sign-in with a directory password through the browser, and the admins' /admin/org page.

A console of its own (auth mode ``ldap``) against a throwaway slapd holding the org test
directory, synced once with ``pinconsole org sync`` before the server starts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_harness import VENV_BIN, free_port, save_screenshot, stop, wait_ready
from fixtures.ldap import running_slapd
from fixtures.ldap_org_data import CONFIG, DIRECTORY, READER_PW

ROOT = Path(__file__).resolve().parents[2]

# Services owned by directory groups: alice is a direct member of engineering, and bob, in
# platform (a sub-group of engineering), owns what engineering owns too.
SERVICES = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: checkout, title: Checkout service, description: Takes the money}
spec: {type: service, lifecycle: production, owner: group:default/engineering}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: build-farm, title: Build farm}
spec: {type: service, lifecycle: production, owner: group:default/platform}
"""


@pytest.fixture(scope="module")
def ldap_console() -> Iterator[str]:
    tmp = Path(tempfile.mkdtemp(prefix="pc-e2e-ldap-"))
    web_dir = Path(tempfile.mkdtemp(prefix="pc-e2e-ldap-web-"))
    with running_slapd(tmp / "slapd", ldif=DIRECTORY) as server:
        config = tmp / "app-config.yaml"
        config.write_text(CONFIG, encoding="utf-8")
        services = tmp / "services" / "catalog-info.yaml"
        services.parent.mkdir()
        services.write_text(SERVICES, encoding="utf-8")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "PINCONSOLE_DATA_DIR": str(tmp),
            "PINCONSOLE_DATABASE_URL": f"sqlite:///{tmp / 'pinconsole.db'}",
            "PINCONSOLE_CONFIG": str(tmp / "pinconsole.toml"),
            "PINCONSOLE_AUTH_MODE": "ldap",
            "PINCONSOLE_SESSION_SECRET": "e2e-ldap-" + "s" * 23,
            "PINCONSOLE_ORG_CONFIG": str(config),
            "PINCONSOLE_ADMIN_GROUP": "admins",
            "PINCONSOLE_ADMINS": "[]",
            "LDAP_URL": server.url,
            "LDAP_SECRET": READER_PW,
            "PINCONSOLE_API_URL": url,
            "PINCONSOLE_FRONTEND_PORT": str(port),
            "PINCONSOLE_BACKEND_PORT": str(port),
            "REFLEX_WEB_WORKDIR": str(web_dir / "web"),
            "REFLEX_STATES_WORKDIR": str(web_dir / "states"),
            "REFLEX_USE_NPM": "1",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("PINCONSOLE_REDIS_URL", None)
        cli = [sys.executable, "-m", "pinconsole.cli"]
        log_path = tmp / "console.log"
        with log_path.open("wb") as log:
            for args in (["db", "upgrade"], ["org", "sync"], ["catalog", "import", str(services)]):
                subprocess.run(
                    [*cli, *args], cwd=ROOT, env=env, check=True, stdout=log,
                    stderr=subprocess.STDOUT, timeout=300,
                )  # fmt: skip
            process = subprocess.Popen(
                [*cli, "serve", "--port", str(port)],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_ready(url, process, log_path)
            yield url
        finally:
            stop(process)
            shutil.rmtree(web_dir, ignore_errors=True)
            shutil.rmtree(tmp, ignore_errors=True)


def _try(page: Any, user: str, password: str) -> None:
    page.locator("input[name=username]").fill(user)
    page.locator("input[name=password]").fill(password)
    page.locator("form button[type=submit]").click()


def test_directory_password_sign_in(ldap_console: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{ldap_console}/signin")
    page.locator("input[name=password]").wait_for()  # the form appears once ldap mode is known

    _try(page, "alice", "not-her-password")
    wrong = page.get_by_text("Wrong user name or password.")
    wrong.wait_for()
    _try(page, "mallory", "whatever")
    page.locator("form button[type=submit]").wait_for()
    wrong.wait_for()  # an unknown user reads exactly the same
    save_screenshot(page, "org-ldap-signin-wrong")

    _try(page, "alice", "pw-alice")
    page.get_by_role("button", name="User menu").wait_for()
    assert "Alice Adams" in page.get_by_role("button", name="User menu").inner_text()

    # Home follows her directory groups: her team and the services it owns, not platform's.
    page.get_by_text("Checkout service").first.wait_for()
    assert page.get_by_text("Build farm").count() == 0
    # Her team is the group that owns her services, not admins or ops (which own nothing).
    team_link = page.get_by_role("link", name="Open team page")
    team_link.wait_for()
    assert team_link.get_attribute("href") == "/teams/engineering"
    save_screenshot(page, "org-ldap-home")

    # alice is in the admins group: the org page and its sync button are hers
    page.goto(f"{ldap_console}/admin/org")
    page.get_by_text("Sync history").wait_for()
    page.get_by_text("+6 ~0 -0").first.wait_for()  # the CLI sync's row
    page.get_by_role("button", name="Sync now").click()
    page.get_by_text("Synced in").wait_for()
    save_screenshot(page, "org-admin-page")

    # Sign out: the session cookie no longer signs anyone in.
    page.get_by_role("button", name="User menu").click()
    page.get_by_text("Sign out").click()
    page.locator("input[name=password]").wait_for()
    page.goto(f"{ldap_console}/admin/org")
    page.locator("input[name=password]").wait_for()  # sent back to sign in

    # bob signs in by mail; he is in platform, a sub-team of engineering: he owns what
    # platform owns and, through the nesting, what engineering owns. He is no admin.
    _try(page, "bob@example.org", "pw-bob")
    page.get_by_role("button", name="User menu").wait_for()
    assert "Bob Brown" in page.get_by_role("button", name="User menu").inner_text()
    # Signing in goes back to the page that sent him there, which is not his to see.
    page.get_by_text("Administrators only").first.wait_for()
    assert page.url.rstrip("/").endswith("/admin/org")
    page.goto(f"{ldap_console}/")
    page.get_by_text("Build farm").first.wait_for()  # in My services and Workload health
    page.get_by_text("Checkout service").first.wait_for()
    assert page.get_by_role("link", name="Open team page").get_attribute("href") == (
        "/teams/platform"
    )
    assert page.get_by_role("link", name="Organisation").count() == 0
    context.close()
