"""The OCI client against a real docker-registry: tags, manifests, configs, errors, token auth."""

from __future__ import annotations

import hashlib
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from fixtures.registry import DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST, PASSWORD, USER, Registry

from pinconsole.delivery.registry import REVISION, SOURCE, RegistryClient
from pinconsole.errors import Invalid, NotFound, Unauthenticated, Unavailable
from pinconsole.outbound.allowlist import Allowlist, parse_rule
from pinconsole.settings import RegistrySettings

NOBODY = Allowlist([])


class CountingTransport(httpx.HTTPTransport):
    """The real transport, remembering each request's path and query (to see the pages)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request.url.raw_path.decode())
        return super().handle_request(request)


def client(url: str, transport: httpx.BaseTransport | None = None, **kw: Any) -> RegistryClient:
    settings = RegistrySettings(name="local", url=url, **kw)
    return RegistryClient(settings, allowlist=NOBODY, transport=transport)


@pytest.fixture(scope="module")
def images(registry: Registry) -> dict[str, Any]:
    labels = {REVISION: "0123abcd" * 5, SOURCE: "https://git.example.com/pins/api"}
    v1, _ = registry.push_image("pins/api", "v1", labels=labels)
    docker, _ = registry.push_image("pins/api", "docker", labels={REVISION: "d0c"}, docker=True)
    amd64, _ = registry.push_image(
        "pins/api", "amd", labels={REVISION: "amd"}, architecture="amd64"
    )
    arm64, _ = registry.push_image(
        "pins/api", "arm", labels={REVISION: "arm"}, architecture="arm64"
    )
    size = len(registry_raw(registry, "pins/api", amd64))
    arm_size = len(registry_raw(registry, "pins/api", arm64))
    index = registry.push_index(
        "pins/api", "multi", [(arm64, "arm64", arm_size), (amd64, "amd64", size)]
    )
    for n in range(7):
        registry.push_image("pins/paged", f"t{n}", created=None)
    return {"v1": v1, "docker": docker, "amd64": amd64, "index": index, "labels": labels}


def registry_raw(registry: Registry, repository: str, digest: str) -> bytes:
    response = httpx.get(
        f"{registry.url}/v2/{repository}/manifests/{digest}",
        headers={"Accept": OCI_MANIFEST},
        trust_env=False,
    )
    response.raise_for_status()
    return response.content


def test_v2_check_and_pages_followed_through_link_headers(registry: Registry, images: dict) -> None:
    transport = CountingTransport()
    with client(registry.url, transport) as c:
        c.check()
        for n in range(3):
            registry.push_blob(f"pins/repo{n}", b"x")  # a repository exists once it has data
        registry.push_image("pins/repo2", "v1")
        # distribution 2.8 pages its catalog (tags/list ignores n): the same pager serves both.
        repositories = c.repositories(page_size=2)
        assert repositories == sorted(repositories)
        assert {"pins/api", "pins/paged", "pins/repo2"} <= set(repositories)
        pages = [p for p in transport.seen if "/_catalog" in p]
        assert len(pages) >= -(-len(repositories) // 2) > 1
        assert "n=2" in pages[0] and "last=" in pages[1]
        assert sorted(c.tags("pins/paged", page_size=2)) == [f"t{n}" for n in range(7)]
        assert sorted(c.tags("pins/paged")) == [f"t{n}" for n in range(7)]


def test_manifest_by_tag_and_by_digest_oci_and_docker(registry: Registry, images: dict) -> None:
    with client(registry.url) as c:
        by_tag = c.manifest("pins/api", "v1")
        assert by_tag.digest == images["v1"]
        assert by_tag.media_type == OCI_MANIFEST
        assert hashlib.sha256(by_tag.raw).hexdigest() == images["v1"].removeprefix("sha256:")
        by_digest = c.manifest("pins/api", images["v1"])
        assert by_digest.raw == by_tag.raw and by_digest.digest == images["v1"]
        docker = c.manifest("pins/api", "docker")
        assert docker.media_type == DOCKER_MANIFEST and docker.digest == images["docker"]
        index = c.manifest("pins/api", "multi")
        assert index.media_type == OCI_INDEX and index.is_index and index.config is None
        assert [m.platform["architecture"] for m in index.manifests] == ["arm64", "amd64"]


def test_config_created_time_and_labels(registry: Registry, images: dict) -> None:
    with client(registry.url) as c:
        manifest, config = c.image("pins/api", "v1")
        assert manifest.digest == images["v1"]
        assert config.created == datetime(2026, 11, 30, 10, 20, 30, 123456, tzinfo=UTC)
        assert config.revision == images["labels"][REVISION]
        assert config.source == "https://git.example.com/pins/api"
        _, docker = c.image("pins/api", "docker")
        assert docker.revision == "d0c"
        # An index pins its own digest; the linux/amd64 image gives the config.
        index, multi = c.image("pins/api", "multi")
        assert index.digest == images["index"] and multi.revision == "amd"
        with pytest.raises(Invalid, match="is an index"):
            c.image_config("pins/api", index)
        _, no_created = c.image("pins/paged", "t0")
        assert no_created.created is None and no_created.labels == {}


def test_unknown_repository_and_manifest_are_typed_and_named(
    registry: Registry, images: dict
) -> None:
    with client(registry.url) as c:
        with pytest.raises(NotFound) as name:
            c.tags("pins/missing")
        assert name.value.code == "NAME_UNKNOWN"  # type: ignore[attr-defined]
        assert "registry local" in str(name.value) and "repository pins/missing" in str(name.value)
        with pytest.raises(NotFound) as manifest:
            c.manifest("pins/api", "v404")
        assert manifest.value.code == "MANIFEST_UNKNOWN"  # type: ignore[attr-defined]
        assert "repository pins/api" in str(manifest.value)
        with pytest.raises(NotFound, match="MANIFEST_UNKNOWN"):
            c.manifest("pins/api", "sha256:" + "0" * 64)
        with pytest.raises(Invalid, match="not a tag"):
            c.manifest("pins/api", "bad tag")
        with pytest.raises(Invalid, match="not a repository path"):
            c.tags("Pins/API")


@pytest.fixture()
def tampering_proxy(registry: Registry) -> Iterator[str]:
    """A loopback proxy in front of the real registry that changes one byte of manifests, as a
    broken cache would: the client must notice, by tag and by digest."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            upstream = httpx.get(
                registry.url + self.path,
                headers={"Accept": self.headers.get("Accept", "")},
                trust_env=False,
            )
            body = upstream.content
            if "/manifests/" in self.path:
                body = body.replace(b'"schemaVersion": 2', b'"schemaVersion":  2')
            self.send_response(upstream.status_code)
            for name in ("Content-Type", "Docker-Content-Digest"):
                if name in upstream.headers:
                    self.send_header(name, upstream.headers[name])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_digest_verified_against_the_body(tampering_proxy: str, images: dict) -> None:
    with client(tampering_proxy) as c:
        with pytest.raises(Invalid, match=f"not {images['v1']}"):
            c.manifest("pins/api", images["v1"])
        with pytest.raises(Invalid, match="hashes to"):
            c.manifest("pins/api", "v1")


def test_closed_port_is_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with client(f"http://127.0.0.1:{port}") as c, pytest.raises(Unavailable) as error:
        c.check()
    assert "unreachable" in str(error.value) and f"127.0.0.1:{port}" in str(error.value)


def test_token_flow_caches_the_bearer_token(token_registry: Registry) -> None:
    digest, _ = token_registry.push_image("pins/secure", "v1", labels={REVISION: "cafe"})
    tokens = token_registry.tokens
    assert tokens is not None
    tokens.issued.clear()
    with client(token_registry.url, username=USER, password=PASSWORD) as c:
        c.check()
        manifest, config = c.image("pins/secure", "v1")
        assert manifest.digest == digest and config.revision == "cafe"
        assert c.tags("pins/secure") == ["v1"]
    # One token for /v2/, one for the repository, reused for the manifest, blob and tags.
    assert tokens.issued == ["", "repository:pins/secure:pull"]


def test_token_flow_refusals(token_registry: Registry) -> None:
    wrong = client(token_registry.url, username=USER, password="wrong")
    with wrong as c, pytest.raises(Unauthenticated, match="refused the configured credentials"):
        c.tags("pins/secure")
    with client(token_registry.url) as c, pytest.raises(Unauthenticated):
        c.check()
    # The registry at "localhost" names a realm on 127.0.0.1: another host, so only an
    # allow-list entry lets the client go there.
    assert token_registry.tokens is not None
    realm_host = httpx.URL(token_registry.tokens.realm)
    local = token_registry.url.replace("127.0.0.1", "localhost")
    elsewhere = client(local, username=USER, password=PASSWORD)
    with elsewhere as c, pytest.raises(Unavailable, match=r"token realm \S+ is not on the"):
        c.check()
    allowed = Allowlist([parse_rule(f"127.0.0.1:{realm_host.port}")])
    settings = RegistrySettings(name="local", url=local, username=USER, password=PASSWORD)
    with RegistryClient(settings, allowlist=allowed) as c:
        c.check()


def test_a_token_without_access_is_unauthorized_naming_the_repository(
    token_registry: Registry,
) -> None:
    assert token_registry.tokens is not None
    token_registry.push_image("pins/private", "v1")
    token_registry.push_image("pins/visible", "v2")
    token_registry.tokens.denied.add("pins/private")
    try:
        with client(token_registry.url, username=USER, password=PASSWORD) as c:
            with pytest.raises(Unauthenticated) as error:
                c.manifest("pins/private", "v1")
            assert c.tags("pins/visible") == ["v2"]  # other repositories still answer
    finally:
        token_registry.tokens.denied.clear()
    assert error.value.code == "UNAUTHORIZED"  # type: ignore[attr-defined]
    assert "repository pins/private" in str(error.value)


def test_basic_auth_registry(basic_registry: Registry) -> None:
    digest, _ = basic_registry.push_image("pins/basic", "v1", labels={SOURCE: "https://src"})
    with client(basic_registry.url, username=USER, password=PASSWORD) as c:
        c.check()
        manifest, config = c.image("pins/basic", "v1")
        assert manifest.digest == digest and config.source == "https://src"
    wrong = client(basic_registry.url, username=USER, password="wrong")
    with wrong as c, pytest.raises(Unauthenticated, match="UNAUTHORIZED") as refused:
        c.check()
    assert refused.value.code == "UNAUTHORIZED"  # type: ignore[attr-defined]
    with client(basic_registry.url) as c, pytest.raises(Unauthenticated, match="needs credentials"):
        c.tags("pins/basic")
