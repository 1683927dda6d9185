"""The README's production deployment, for real: the static export behind nginx (deploy/nginx.conf)
in front of a backend-only server with Redis state and two workers, on the console's data."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_harness import ROOT, Console, free_port, sign_in, stop, wait_ready
from fixtures.cli import pinconsole
from playwright.sync_api import Page, expect

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS_URL = "redis://127.0.0.1:6379/13"


@dataclass(frozen=True)
class Deployment:
    url: str  # nginx
    backend_url: str


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def _nginx_conf(work: Path, www: Path, port: int, backend_port: int) -> Path:
    """deploy/nginx.conf as shipped, pointed at temp ports and paths."""
    site = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    for old, new in (
        ("listen 80;", f"listen 127.0.0.1:{port};"),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{backend_port};"),
        ("root /srv/pinconsole/www;", f"root {www};"),
    ):
        assert old in site, f"deploy/nginx.conf no longer has {old!r}: update this test"
        site = site.replace(old, new)
    (work / "site.conf").write_text(site, encoding="utf-8")
    main = work / "nginx.conf"
    main.write_text(
        f"pid {work}/nginx.pid;\nerror_log {work}/error.log;\ndaemon off;\n"
        "events { worker_connections 256; }\n"
        "http {\n  include /etc/nginx/mime.types;\n  default_type application/octet-stream;\n"
        f"  access_log off;\n  client_body_temp_path {work}/body;\n"
        f"  proxy_temp_path {work}/proxy;\n  fastcgi_temp_path {work}/fcgi;\n"
        f"  uwsgi_temp_path {work}/uwsgi;\n  scgi_temp_path {work}/scgi;\n"
        f"  include {work}/site.conf;\n}}\n",
        encoding="utf-8",
    )
    return main


# Session scope: pytest-playwright reorders browser tests, so a module fixture would be built
# twice (once per side of the other modules' tests).
@pytest.fixture(scope="session")
def deployment(console: Console) -> Iterator[Deployment]:
    if not Path(NGINX).exists():
        pytest.skip("nginx is missing (`make test` as root installs nginx-light)")
    if not _redis_up():
        pytest.skip(f"no Redis at {REDIS_URL}")
    work = Path(tempfile.mkdtemp(prefix="pinconsole-e2e-deploy-"))
    work.chmod(0o755)  # nginx's workers run as www-data and must read the export
    port, backend_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**console.env, "PINCONSOLE_API_URL": url}
    env["REFLEX_WEB_WORKDIR"] = str(work / "web")
    env["REFLEX_STATES_WORKDIR"] = str(work / "states")
    log_path = work / "deploy.log"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with log_path.open("wb") as log:
            # README step 4: the static frontend with the public URL baked in.
            subprocess.run(
                [sys.executable, "-m", "reflex", "export", "--frontend-only", "--no-zip"],
                cwd=ROOT,
                env=env,
                check=True,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=900,
            )
            www = work / "web" / "build" / "client"
            assert (www / "__spa-fallback.html").is_file()
            # README step 3: backend only, Redis state manager, several workers.
            backend_env = {
                **env,
                "PINCONSOLE_REDIS_URL": REDIS_URL,
                "GRANIAN_WORKERS": "2",
                "PINCONSOLE_JOBS_ENABLED": "false",
            }
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "pinconsole.cli",
                        "serve",
                        "--backend-only",
                        "--port",
                        str(backend_port),
                    ],
                    cwd=ROOT,
                    env=backend_env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            backend_url = f"http://127.0.0.1:{backend_port}"
            wait_ready(backend_url, processes[-1], log_path, page=False)
            conf = _nginx_conf(work, www, port, backend_port)
            processes.append(
                subprocess.Popen(
                    [NGINX, "-p", str(work), "-c", str(conf)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        wait_ready(url, processes[-1], work / "error.log")
        yield Deployment(url, backend_url)
    finally:
        for process in reversed(processes):
            stop(process)
        shutil.rmtree(work, ignore_errors=True)


def _health_count(base: str) -> float:
    """``pinconsole_http_requests_total`` of ``/api/v1/health`` as one scrape reports it."""
    text = httpx.get(f"{base}/metrics", timeout=10).text
    pattern = r'^pinconsole_http_requests_total\{[^}]*route="/api/v1/health"[^}]*\} (\S+)$'
    return sum(float(v) for v in re.findall(pattern, text, re.M))


def test_nginx_serves_the_export_and_proxies_the_backend(deployment: Deployment) -> None:
    health = httpx.get(f"{deployment.url}/api/v1/health", timeout=10)
    assert health.status_code == 200
    assert health.json()["checks"]["redis"] == {"status": "ok"}  # the public answer: no details
    assert (
        "text/plain" in httpx.get(f"{deployment.url}/metrics", timeout=10).headers["content-type"]
    )
    # Two workers answer; every scrape, whichever worker takes it, counts both workers' requests.
    before = _health_count(deployment.backend_url)
    for _ in range(20):
        httpx.get(f"{deployment.backend_url}/api/v1/health", timeout=10)
    for _ in range(4):
        assert _health_count(deployment.backend_url) >= before + 20
    assert httpx.get(f"{deployment.url}/api/v1/me", timeout=10).status_code == 401
    # A dynamic route nobody prerendered: the SPA fallback answers, not a 404.
    deep = httpx.get(f"{deployment.url}/workloads/sandbox/default/nothing-here", timeout=10)
    assert deep.status_code == 200 and "<html" in deep.text.lower()
    home = httpx.get(f"{deployment.url}/", timeout=10)
    assert home.headers.get("cache-control") == "no-cache"


def test_nginx_caches_hashed_assets_compresses_and_passes_etags(
    deployment: Deployment, console: Console
) -> None:
    home = httpx.get(f"{deployment.url}/", timeout=10).text
    asset = re.search(r'(?:src|href)="(/assets/[^"]+\.(?:js|css))"', home)
    assert asset, "no hashed asset linked from the home page"
    plain = httpx.get(f"{deployment.url}{asset.group(1)}", timeout=10)
    assert plain.status_code == 200
    # One Cache-Control, a year, never revalidated (an `expires` beside it added a second).
    assert plain.headers.get_list("cache-control") == ["public, max-age=31536000, immutable"]
    zipped = httpx.get(
        f"{deployment.url}{asset.group(1)}", headers={"Accept-Encoding": "gzip"}, timeout=10
    )
    assert zipped.headers["content-encoding"] == "gzip" and zipped.content == plain.content
    # The API: compressed on the way through, and its ETags answered with 304.
    created = pinconsole(
        console.env, "token", "create", "--user", "etag-check", "--service-account"
    )
    auth = {"Authorization": f"Bearer {created.split()[-1]}", "Accept-Encoding": "gzip"}
    page = f"{deployment.url}/api/v1/entities"
    first = httpx.get(page, params={"limit": 50}, headers=auth, timeout=10)
    assert first.status_code == 200 and first.headers["content-encoding"] == "gzip"
    assert first.headers["etag"].startswith('W/"')
    again = httpx.get(
        page, params={"limit": 50}, headers={**auth, "If-None-Match": first.headers["etag"]}
    )
    assert (again.status_code, again.content) == (304, b"")


def test_nginx_never_passes_a_client_sent_user_header(deployment: Deployment) -> None:
    """The finding: the shipped nginx.conf passed a client's X-Forwarded-User to the backends,
    where header mode would have signed the client in as whoever it named. Reflex echoes the
    websocket request's headers in its first state update, so the backend's view is visible."""
    import socketio

    updates: list[dict[str, Any]] = []
    done = threading.Event()
    client = socketio.Client(reconnection=False)

    @client.on("event", namespace="/_event")
    def on_event(message: dict[str, Any]) -> None:
        updates.append(message)
        done.set()

    client.connect(
        f"{deployment.url}?token={uuid.uuid4()}",
        socketio_path="/_event",
        transports=["websocket"],
        namespaces=["/_event"],
        headers={"X-Forwarded-User": "margaret"},
        wait_timeout=10,
    )
    try:
        route = {"pathname": "/", "query": {}, "asPath": "/"}
        name = "reflex___state____state.pinconsole___state___base____app_state.ensure_signed_in"
        client.emit("event", {"name": name, "payload": {}, "router_data": route}, "/_event")
        assert done.wait(30), "no state update through nginx"
    finally:
        client.disconnect()
    root = updates[0]["delta"]["reflex___state____state"]
    headers = root["rx_router_headers_rx_state_"]["raw_headers"]
    assert headers.get("x-forwarded-for") == "127.0.0.1"  # nginx did forward this request
    assert "x-forwarded-user" not in headers and "margaret" not in repr(updates)


def test_a_person_uses_the_console_through_nginx(
    deployment: Deployment, page: Page, shot: Any
) -> None:
    name = sign_in(page, base=deployment.url)
    page.goto(f"{deployment.url}/")
    # The greeting's name arrives over the proxied websocket from a Redis-backed worker.
    expect(page.locator("main h1")).to_contain_text(f", {name.split()[0]}", timeout=30_000)
    page.goto(f"{deployment.url}/design")
    expect(page.get_by_text("1\u20138 of 47")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name=re.compile("next", re.I)).last.click()
    expect(page.get_by_text("9\u201316 of 47")).to_be_visible()
    # A reload of a prerendered deep link comes from nginx and picks up its state again: the
    # tab's state lives in Redis, whichever worker answers (the prerendered HTML shows the
    # first page until the websocket delivers the second).
    page.reload()
    expect(page.get_by_text("9\u201316 of 47")).to_be_visible(timeout=30_000)
    shot(page, "deploy-nginx-design")
