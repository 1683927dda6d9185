"""Outbound catalog reads against real HTTP servers on loopback: the attacks the allow-list stops.

Each test first sets up what an attacker (a descriptor author, a signed-in user registering a URL)
can do, then checks that nothing internal is read and that errors tell nothing about what
answered. Loopback stands in for the internal network: it is denied unless listed, like 10/8.
"""

from __future__ import annotations

import gzip
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, suppress
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from fixtures.web import allow_reading, base_url, host_port, serving
from sqlmodel import select

from pinconsole.access.tokens import create_token
from pinconsole.api.app import create_api
from pinconsole.catalog.ingest import import_locations
from pinconsole.catalog.locations import register_location
from pinconsole.db import session_scope
from pinconsole.errors import Invalid
from pinconsole.models import Entity, Location
from pinconsole.outbound.allowlist import Allowlist, is_public, parse_rule
from pinconsole.outbound.fetcher import Fetcher, FetchError, FetchLimits
from pinconsole.plugins.registry import get_registry
from pinconsole.settings import MB, get_settings

SECRET = "TOP-SECRET internal document"

Route = Callable[[BaseHTTPRequestHandler], None]


def _api_doc(definition: str, name: str = "orders-api") -> str:
    return f"""\
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {{name: {name}}}
spec: {{type: openapi, lifecycle: production, owner: team-a, definition: {{$text: {definition}}}}}
"""


COMPONENT = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: lured-svc}
spec: {type: service, lifecycle: production, owner: team-a}
"""


def text(body: str | bytes, status: int = 200, headers: dict[str, str] | None = None) -> Route:
    data = body.encode() if isinstance(body, str) else body

    def route(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        for key, value in {"Content-Length": str(len(data)), **(headers or {})}.items():
            h.send_header(key, value)
        h.end_headers()
        h.wfile.write(data)

    return route


def redirect(location: str) -> Route:
    return text("", 302, {"Location": location})


class Site:
    """A real HTTP server answering ``routes`` (path -> handler) and recording what it was asked."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = routes
        self.requests: list[tuple[str, str | None]] = []  # (path, Host header)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real servers

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                site.requests.append((self.path, self.headers.get("Host")))
                route = site.routes.get(self.path)
                if route is None:
                    text("not here", 404)(self)
                    return
                with suppress(BrokenPipeError, ConnectionResetError):
                    route(self)  # a broken pipe: the client stopped reading, as limits do

        return Handler


@contextmanager
def site(routes: dict[str, Route], host: str = "127.0.0.1") -> Iterator[tuple[Site, str]]:
    s = Site(routes)
    with serving(s.handler(), host) as server:
        yield s, base_url(server)


@pytest.fixture
def nothing_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped default: the variable unset, no rule."""
    monkeypatch.delenv("PINCONSOLE_CATALOG_READING_ALLOW", raising=False)
    get_settings.cache_clear()


def _bodies() -> list[str]:
    with session_scope() as s:
        return [str(e.body) for e in s.exec(select(Entity)).all()]


def _free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _private_interface_address() -> str | None:
    """This machine's own non-loopback address when it is in a private range (no packet sent)."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)) as sock:
        try:
            sock.connect(("10.255.255.255", 9))
            address = sock.getsockname()[0]
        except OSError:
            return None
    import ipaddress

    ip = ipaddress.ip_address(address)
    return None if ip.is_loopback or is_public(ip) else address


# --- URL locations ---------------------------------------------------------------------------


def test_a_url_location_on_unlisted_loopback_is_refused(
    sqlite_db: str, nothing_allowed: None
) -> None:
    with site({"/catalog-info.yaml": text(COMPONENT)}) as (internal, base):
        port = base.rsplit(":", 1)[1]
        for url in (f"{base}/catalog-info.yaml", f"http://localhost:{port}/catalog-info.yaml"):
            summary = import_locations([url])
            assert summary.added == 0
            assert [e.message for e in summary.errors] == [
                f"cannot fetch {url}: not in the reading allow-list (setting "
                "catalog_reading_allow); an administrator can add its host"
            ]
            with pytest.raises(Invalid, match="not in the reading allow-list") as refused:
                register_location(url, actor="mallory")
            assert refused.value.where == "target"
        assert internal.requests == []  # not even connected to
    assert _bodies() == []
    with session_scope() as s:
        assert s.exec(select(Location)).all() == []


def test_registering_an_unlisted_url_through_the_api_is_refused(
    sqlite_db: str, nothing_allowed: None
) -> None:
    with site({"/catalog-info.yaml": text(COMPONENT)}) as (internal, base):
        with TestClient(create_api(get_registry())) as api:
            token = create_token("mallory", description="test")
            r = api.post(
                "/api/v1/locations",
                json={"type": "url", "target": f"{base}/catalog-info.yaml"},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert r.status_code == 422, r.text
        assert "not in the reading allow-list" in r.json()["detail"]
        assert internal.requests == []


def test_a_listed_host_allows_only_its_port_and_paths(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    routes = {"/team-a/catalog-info.yaml": text(COMPONENT), "/admin/x.yaml": text(COMPONENT)}
    with site(routes) as (server, base):
        allow_reading(monkeypatch, {"host": base.removeprefix("http://"), "paths": ["/team-a/"]})
        assert import_locations([f"{base}/team-a/catalog-info.yaml"]).added == 1
        for url in (
            f"{base}/admin/x.yaml",
            f"{base}/team-a/%2e%2e/admin/x.yaml",  # a decoding server would serve /admin
            f"http://127.0.0.1:{_free_port()}/team-a/catalog-info.yaml",
        ):
            summary = import_locations([url])
            assert "not in the reading allow-list" in summary.errors[0].message, url
        assert [p for p, _ in server.requests] == ["/team-a/catalog-info.yaml"]


# --- substitutions and redirects -------------------------------------------------------------


def _internal_hosts() -> list[object]:
    private = _private_interface_address()
    return [
        "127.0.0.2",
        pytest.param(
            private,
            id="private-interface",
            marks=pytest.mark.skipif(private is None, reason="no private-range interface"),
        ),
    ]


@pytest.mark.parametrize("internal_host", _internal_hosts())
def test_text_redirected_to_a_private_address_is_refused(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch, internal_host: str
) -> None:
    with site({"/secret": text(SECRET)}, host=internal_host) as (internal, internal_base):
        routes = {
            "/catalog-info.yaml": text(_api_doc("./openapi.yaml") + "---\n" + COMPONENT),
            "/openapi.yaml": redirect(f"{internal_base}/secret"),
        }
        with site(routes) as (_, base):
            allow_reading(monkeypatch, host_port_of(base))
            summary = import_locations([f"{base}/catalog-info.yaml"])
        assert internal.requests == []
    assert summary.added == 1  # the component; the API is reported and skipped
    assert [e.message for e in summary.errors] == [
        f"$text ./openapi.yaml: cannot fetch {base}/openapi.yaml: "
        "it redirects outside the reading allow-list"
    ]
    assert not any(SECRET in body for body in _bodies())


def host_port_of(base: str) -> str:
    return base.removeprefix("http://")


def test_redirects_stay_within_the_allow_list_and_the_location_root(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    other_routes = {"/catalog-info.yaml": text(COMPONENT), "/secret": text(SECRET)}
    with site(other_routes, host="127.0.0.2") as (other, other_base):
        routes = {
            "/moved.yaml": redirect(f"{other_base}/catalog-info.yaml"),
            "/catalog-info.yaml": text(_api_doc("./openapi.yaml")),
            "/openapi.yaml": redirect(f"{other_base}/secret"),
            "/loop.yaml": redirect("/loop.yaml"),
            "/hop.yaml": redirect("/openapi-here.yaml"),
            "/openapi-here.yaml": text("openapi: 3.0.0"),
        }
        with site(routes) as (_, base):
            # The location itself redirects to a host nobody listed.
            allow_reading(monkeypatch, host_port_of(base))
            moved = import_locations([f"{base}/moved.yaml"])
            assert "redirects outside the reading allow-list" in moved.errors[0].message
            # Both hosts listed: still, a location's reads stay under its own root.
            allow_reading(monkeypatch, host_port_of(base), host_port_of(other_base))
            summary = import_locations([f"{base}/catalog-info.yaml"])
            assert [e.message for e in summary.errors] == [
                f"$text ./openapi.yaml: cannot fetch {base}/openapi.yaml: "
                "it redirects outside the location root"
            ]
            assert other.requests == []
            # Within the root a redirect is followed; a loop ends after the limit.
            fetcher = Fetcher.from_settings()
            assert fetcher.get_text(f"{base}/hop.yaml") == "openapi: 3.0.0"
            with pytest.raises(FetchError, match="more than 5 redirects"):
                fetcher.get_text(f"{base}/loop.yaml")
            fetcher.close()
    assert not any(SECRET in body for body in _bodies())


# --- what errors reveal ----------------------------------------------------------------------


@contextmanager
def tcp_server(on_accept: Callable[[socket.socket], None]) -> Iterator[int]:
    """A raw TCP listener on loopback (something that is not HTTP) calling ``on_accept``."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []

    def loop() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            held.append(conn)
            on_accept(conn)

    threading.Thread(target=loop, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
        for conn in held:
            conn.close()


def _same_message(summaries: dict[str, object]) -> set[str]:
    return {
        e.message.replace(url, "<url>")  # type: ignore[attr-defined]
        for url, summary in summaries.items()
        for e in summary.errors  # type: ignore[attr-defined]
    }


def test_errors_do_not_tell_open_ports_from_closed_ones(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PINCONSOLE_CATALOG_READING_TIMEOUT_SECONDS", "1")
    closed = _free_port()
    with (
        tcp_server(lambda conn: conn.close()) as hangs_up,  # open, not HTTP
        tcp_server(lambda conn: None) as silent,  # open, never answers
        site({"/catalog-info.yaml": text(COMPONENT)}) as (_, web),
    ):
        ports = [closed, hangs_up, silent]
        urls = [f"http://127.0.0.1:{p}/catalog-info.yaml" for p in ports]
        urls.append(f"{web}/catalog-info.yaml")
        # Nothing listed: one answer for all, and nothing was connected to.
        allow_reading(monkeypatch)
        unlisted = {url: import_locations([url]) for url in urls}
        assert _same_message(unlisted) == {
            "cannot fetch <url>: not in the reading allow-list (setting catalog_reading_allow); "
            "an administrator can add its host"
        }
        # Listed by an administrator (a mistake, or a host being down): still one answer.
        allow_reading(monkeypatch, *(f"127.0.0.1:{p}" for p in ports))
        listed = {url: import_locations([url]) for url in urls[:3]}
        assert _same_message(listed) == {"cannot fetch <url>: not allowed or not reachable"}
    # The server's log keeps what happened.
    assert "Connection refused" in caplog.text


# --- limits ----------------------------------------------------------------------------------


TOTAL = 48 * MB


def endless(sent: dict[str, int]) -> Route:
    """A body of ``TOTAL`` bytes without Content-Length, counting in ``sent`` what was written."""

    def route(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Connection", "close")  # no Content-Length: the body ends with the connection
        h.end_headers()
        h.close_connection = True
        chunk = b"x" * 65536
        while sent["bytes"] < TOTAL:
            h.wfile.write(chunk)
            sent["bytes"] += len(chunk)
        sent["finished"] = True

    return route


def test_an_oversized_body_is_cut_at_the_limit(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PINCONSOLE_CATALOG_READING_MAX_BYTES", "300000")
    sent = {"bytes": 0, "finished": False}
    bomb = gzip.compress(b"a" * (16 * MB))  # 16 MB in ~16 KB
    doc = "\n---\n".join(
        [_api_doc("./big.txt", "big"), _api_doc("./bomb.txt", "bomb"), _api_doc("./l.txt", "l")]
    )
    routes = {
        "/catalog-info.yaml": text(doc),
        "/big.txt": endless(sent),
        "/bomb.txt": text(bomb, headers={"Content-Encoding": "gzip"}),
        "/l.txt": text("small", headers={"Content-Length": str(10**9)}),
    }
    with site(routes) as (_, base):
        allow_reading(monkeypatch, host_port_of(base))
        started = time.monotonic()
        summary = import_locations([f"{base}/catalog-info.yaml"])
        elapsed = time.monotonic() - started
    too_large = "the response is more than the limit of 0.3 MB (catalog_reading_max_bytes); refused"
    assert sorted(e.message for e in summary.errors) == [
        f"$text ./big.txt: cannot fetch {base}/big.txt: {too_large}",
        f"$text ./bomb.txt: cannot fetch {base}/bomb.txt: {too_large}",
        f"$text ./l.txt: cannot fetch {base}/l.txt: {too_large}",
    ]
    assert not sent["finished"] and sent["bytes"] < TOTAL / 2  # we stopped reading
    assert _bodies() == [] and elapsed < 10


def test_a_body_stops_at_the_file_limit_the_parser_would_refuse(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # catalog_reading_max_bytes keeps its default (20 MB); the file limit is lower.
    monkeypatch.delenv("PINCONSOLE_CATALOG_READING_MAX_BYTES", raising=False)
    monkeypatch.setenv("PINCONSOLE_CATALOG_MAX_FILE_BYTES", "300000")
    sent = {"bytes": 0, "finished": False}
    with site({"/catalog-info.yaml": endless(sent)}) as (_, base):
        allow_reading(monkeypatch, host_port_of(base))
        summary = import_locations([f"{base}/catalog-info.yaml"])
    assert [e.message for e in summary.errors] == [
        f"cannot fetch {base}/catalog-info.yaml: the response is more than the limit of "
        "0.3 MB (catalog_max_file_bytes); refused"
    ]
    # Not the 20 MB the reading limit alone would allow; what the server pushed into socket
    # buffers before the client hung up varies with the machine's load (6 MB seen).
    assert sent["bytes"] < 12 * MB


def test_a_slow_body_hits_the_time_limit(sqlite_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINCONSOLE_CATALOG_READING_TIMEOUT_SECONDS", "1")

    def trickle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "40")
        h.end_headers()
        for _ in range(40):  # 4 s in all, each byte well within any per-read timeout
            h.wfile.write(b"x")
            h.wfile.flush()
            time.sleep(0.1)

    routes = {"/catalog-info.yaml": text(_api_doc("./slow.txt")), "/slow.txt": trickle}
    with site(routes) as (_, base):
        allow_reading(monkeypatch, host_port_of(base))
        started = time.monotonic()
        summary = import_locations([f"{base}/catalog-info.yaml"])
        elapsed = time.monotonic() - started
    assert [e.message for e in summary.errors] == [
        f"$text ./slow.txt: cannot fetch {base}/slow.txt: not allowed or not reachable"
    ]
    assert elapsed < 3.5  # the trickle alone takes 4 s; room for a loaded machine


# --- where the client connects: DNS answers are checked and pinned ---------------------------


class Resolver:
    """DNS answers for made-up names (the names reach no real resolver); counts lookups."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host not in self.answers:
            raise OSError(f"{host}: no such name")
        return self.answers[host]


def test_a_wildcard_never_reaches_an_internal_address() -> None:
    with site({"/x": text(SECRET)}) as (internal, base):
        port = base.rsplit(":", 1)[1]
        rules = Allowlist([parse_rule(f"*.corp.test:{port}")])
        dns = Resolver(
            {
                "docs.corp.test": ["127.0.0.1"],
                # One public answer beside an internal one: every answer is checked.
                "mixed.corp.test": ["93.184.216.34", "127.0.0.1"],
            }
        )
        with Fetcher(rules, resolve=dns) as fetcher:
            for host in ("docs.corp.test", "mixed.corp.test", "gone.corp.test"):
                with pytest.raises(FetchError) as failed:
                    fetcher.get_text(f"http://{host}:{port}/x")
                assert str(failed.value) == (
                    f"cannot fetch http://{host}:{port}/x: not allowed or not reachable"
                )
        assert internal.requests == []


def test_connections_go_to_the_checked_address_with_the_name_kept() -> None:
    with site({"/x": text("hello")}) as (server, base):
        port = base.rsplit(":", 1)[1]
        dns = Resolver({"docs.corp.test": ["127.0.0.1"]})
        rules = Allowlist([parse_rule(f"docs.corp.test:{port}")])  # listed by name: may be inside
        with Fetcher(rules, resolve=dns) as fetcher:
            assert fetcher.get_text(f"http://docs.corp.test:{port}/x") == "hello"
            assert fetcher.get_text(f"http://docs.corp.test:{port}/x") == "hello"
        # Resolved once, for the one connection both reads used; the Host header is the name.
        assert dns.lookups == ["docs.corp.test"]
        assert server.requests == [("/x", f"docs.corp.test:{port}")] * 2


def _certificate(directory: Path, name: str) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-nodes", "-days", "1", "-subj", f"/CN={name}"),
            *("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-addext", f"subjectAltName=DNS:{name}", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_tls_checks_the_name_while_connecting_to_the_pinned_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ssl

    cert, key = _certificate(tmp_path, "docs.corp.test")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # how a deployment trusts its own CA
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    s = Site({"/x": text("over tls")})
    with serving(s.handler()) as server:
        server.socket = context.wrap_socket(server.socket, server_side=True)
        port = host_port(server).rsplit(":", 1)[1]
        rules = Allowlist([parse_rule(f"docs.corp.test:{port}"), parse_rule(f"127.0.0.1:{port}")])
        with Fetcher(
            rules,
            FetchLimits(timeout_seconds=5),
            resolve=Resolver({"docs.corp.test": ["127.0.0.1"], "127.0.0.1": ["127.0.0.1"]}),
        ) as fetcher:
            assert fetcher.get_text(f"https://docs.corp.test:{port}/x") == "over tls"
            # The certificate is for the name: by address the verification fails.
            with pytest.raises(FetchError, match="not allowed or not reachable"):
                fetcher.get_text(f"https://127.0.0.1:{port}/x")
