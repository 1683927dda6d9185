"""An OCI distribution v2 client: tags, manifests, image configs, over httpx.

Registries come from settings (admin-configured), so their own host is trusted. Anything the
registry points us at elsewhere (a token realm, a blob redirect) must be on the registry's host
or allowed by the reading allow-list, so a registry cannot make the console call internal
services. Credentials go only to the registry and its checked realm, never across a redirect.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from pinconsole.delivery.repository import check_repository
from pinconsole.errors import (
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    Unauthenticated,
    Unavailable,
)
from pinconsole.outbound.allowlist import Allowlist, reading_allowlist
from pinconsole.settings import MB, RegistrySettings, size_text

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFEST_TYPES = (OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST)
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
REVISION = "org.opencontainers.image.revision"
SOURCE = "org.opencontainers.image.source"

MAX_MANIFEST_BYTES = 4 * MB  # distribution's own limit on manifests
MAX_CONFIG_BYTES = 8 * MB
MAX_PAGES = 10_000
MAX_REDIRECTS = 3
USER_AGENT = "PinConsole-delivery/0.1"
_DIGEST = re.compile(r"^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')
_LINK_NEXT = re.compile(r'<([^>]+)>\s*;[^,]*rel="?next"?')


class RateLimited(Unavailable):
    """The registry answered TOOMANYREQUESTS (or 429); ``retry_after`` in seconds when given."""

    status = 429
    title = "Too many requests"

    def __init__(self, message: str, *, where: str | None = None, retry_after: float | None = None):
        super().__init__(message, where=where)
        self.retry_after = retry_after


# Registry error codes (distribution spec) -> our types. Unlisted codes go by HTTP status.
ERROR_TYPES: dict[str, type[DomainError]] = {
    "NAME_UNKNOWN": NotFound,
    "MANIFEST_UNKNOWN": NotFound,
    "BLOB_UNKNOWN": NotFound,
    "BLOB_UPLOAD_UNKNOWN": NotFound,
    "UNAUTHORIZED": Unauthenticated,
    "DENIED": Forbidden,
    "TOOMANYREQUESTS": RateLimited,
    "NAME_INVALID": Invalid,
    "TAG_INVALID": Invalid,
    "DIGEST_INVALID": Invalid,
    "MANIFEST_INVALID": Invalid,
    "MANIFEST_BLOB_UNKNOWN": Invalid,
    "SIZE_INVALID": Invalid,
    "UNSUPPORTED": Invalid,
}
STATUS_TYPES: dict[int, type[DomainError]] = {
    401: Unauthenticated,
    403: Forbidden,
    404: NotFound,
    429: RateLimited,
}


@dataclass(frozen=True, slots=True)
class Descriptor:
    """An entry of an index (or a manifest's config): what it points at and for which platform."""

    digest: str
    media_type: str
    size: int
    platform: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Manifest:
    """A manifest as served: its digest, media type, raw bytes and parsed body."""

    digest: str
    media_type: str
    raw: bytes = field(repr=False)
    body: dict[str, Any] = field(repr=False)

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES

    @property
    def config(self) -> Descriptor | None:
        """The config blob of an image manifest (None for an index)."""
        config = self.body.get("config")
        if self.is_index or not isinstance(config, dict):
            return None
        return _descriptor(config)

    @property
    def manifests(self) -> list[Descriptor]:
        """The images of an index (empty for an image manifest)."""
        entries = self.body.get("manifests") if self.is_index else None
        return [_descriptor(e) for e in entries or () if isinstance(e, dict)]


@dataclass(frozen=True, slots=True)
class ImageConfig:
    """What the config blob says about an image: when built, from which commit and source."""

    digest: str
    created: datetime | None
    labels: dict[str, str]

    @property
    def revision(self) -> str | None:
        return self.labels.get(REVISION)

    @property
    def source(self) -> str | None:
        return self.labels.get(SOURCE)


def _descriptor(entry: dict[str, Any]) -> Descriptor:
    size = entry.get("size")
    platform = entry.get("platform")
    return Descriptor(
        digest=str(entry.get("digest", "")),
        media_type=str(entry.get("mediaType", "")),
        size=size if isinstance(size, int) else 0,
        platform=platform if isinstance(platform, dict) else {},
    )


def compute_digest(data: bytes, algorithm: str = "sha256") -> str:
    """``sha256:<hex>`` (or sha512) of ``data``, as registries name content."""
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """``WWW-Authenticate: Bearer realm="...",service="..."`` -> ("bearer", {realm, service})."""
    scheme, _, rest = header.strip().partition(" ")
    return scheme.lower(), {k.lower(): v for k, v in _CHALLENGE_PARAM.findall(rest)}


def next_link(header: str | None) -> str | None:
    """The ``rel="next"`` target of a ``Link`` header, or None on the last page."""
    match = _LINK_NEXT.search(header or "")
    return match.group(1) if match else None


def parse_created(value: Any) -> datetime | None:
    """An RFC 3339 ``created`` (nanoseconds and ``Z`` accepted), or None when absent/garbled."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("z", "Z")
    text = re.sub(r"(\.\d{6})\d+", r"\1", text).replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


class RegistryClient:
    """One registry's client, for one caller at a time (not thread-safe); close when done."""

    def __init__(
        self,
        registry: RegistrySettings,
        *,
        allowlist: Allowlist | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.registry = registry
        self.base = httpx.URL(registry.url.rstrip("/") + "/")
        self._allowlist = allowlist
        self._tokens: dict[str, tuple[str, float]] = {}  # scope -> (token, monotonic expiry)
        self._basic = False  # the registry asked for Basic auth once: send it from then on
        timeout = httpx.Timeout(
            registry.read_timeout_seconds, connect=registry.connect_timeout_seconds
        )
        self._http = httpx.Client(
            timeout=timeout,
            follow_redirects=False,
            transport=transport,
            headers={"User-Agent": USER_AGENT},
            trust_env=False,
        )

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- the API -------------------------------------------------------------------------

    def check(self) -> None:
        """``GET /v2/``: the registry answers and our credentials are accepted."""
        self._read(self._request("v2/", scope="", repository=None), None, MAX_MANIFEST_BYTES)

    def tags(self, repository: str, *, page_size: int | None = None) -> list[str]:
        """Every tag of ``repository``, in the registry's order, following ``Link`` pages."""
        return list(self.iter_tags(repository, page_size=page_size))

    def iter_tags(self, repository: str, *, page_size: int | None = None) -> Iterator[str]:
        """Tags page by page (``n`` per page when given; the registry's default otherwise).

        Registries that page (distribution 3, Harbor, GHCR...) send a ``Link`` to the next
        page; distribution 2.8 ignores ``n`` here and answers every tag at once.
        """
        check_repository(repository, where=self._where(repository))
        url = f"v2/{repository}/tags/list"
        yield from self._paged(url, "tags", repository, f"repository:{repository}:pull", page_size)

    def repositories(self, *, page_size: int | None = None) -> list[str]:
        """The registry's catalog (``/v2/_catalog``), following ``Link`` pages."""
        return list(
            self._paged("v2/_catalog", "repositories", None, "registry:catalog:*", page_size)
        )

    def _paged(
        self, url: str, key: str, repository: str | None, scope: str, page_size: int | None
    ) -> Iterator[str]:
        """The strings under ``key`` of every page, ``Link rel="next"`` after ``Link``."""
        next_url: str | None = url
        params: dict[str, Any] | None = {"n": page_size} if page_size else None
        for _ in range(MAX_PAGES):
            if next_url is None:
                return
            response = self._request(next_url, repository=repository, scope=scope, params=params)
            link = response.headers.get("Link")
            body = self._json(response, repository, MAX_MANIFEST_BYTES)
            items = body.get(key) if isinstance(body, dict) else None
            yield from (t for t in items or () if isinstance(t, str))
            next_url, params = self._same_origin(next_link(link), repository), None
        raise Unavailable(f"more than {MAX_PAGES} pages of {key}", where=self._where(repository))

    def manifest(self, repository: str, reference: str) -> Manifest:
        """The manifest for a tag or a digest (OCI or Docker, image or index).

        The digest is the registry's ``Docker-Content-Digest``, checked against the body; by
        digest, the body must hash to the digest asked for, whatever the headers say.
        """
        where = self._where(repository)
        check_repository(repository, where=where)
        by_digest = reference.startswith(("sha256:", "sha512:"))
        if by_digest and not _DIGEST.match(reference):
            raise Invalid(f"{reference!r} is not a sha256/sha512 digest", where=where)
        if not by_digest and not _TAG.match(reference):
            raise Invalid(f"{reference!r} is not a tag", where=where)
        headers = {"Accept": ", ".join(MANIFEST_TYPES)}
        url = f"v2/{repository}/manifests/{reference}"
        response = self._request(url, repository=repository, headers=headers)
        header_digest = response.headers.get("Docker-Content-Digest")
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        raw = self._read(response, repository, MAX_MANIFEST_BYTES)
        try:
            body = json.loads(raw)
        except ValueError:
            raise Unavailable(f"manifest {reference} is not JSON", where=where) from None
        if not isinstance(body, dict):
            raise Unavailable(f"manifest {reference} is not a JSON object", where=where)
        expected = reference if by_digest else header_digest
        digest = compute_digest(raw, (expected or "sha256").split(":")[0])
        if by_digest and header_digest and header_digest != reference:
            raise Invalid(
                f"asked for {reference}, the registry answered {header_digest}", where=where
            )
        if expected and digest != expected:
            raise Invalid(
                f"manifest {reference}: its content hashes to {digest}, not {expected}",
                where=where,
            )
        media_type = str(body.get("mediaType") or content_type)
        if media_type not in MANIFEST_TYPES:
            raise Invalid(
                f"manifest {reference}: unsupported media type {media_type!r}", where=where
            )
        return Manifest(digest=digest, media_type=media_type, raw=raw, body=body)

    def blob(self, repository: str, digest: str, *, max_bytes: int = MAX_CONFIG_BYTES) -> bytes:
        """A blob's bytes (for configs: small), verified against its digest."""
        where = self._where(repository)
        if not _DIGEST.match(digest):
            raise Invalid(f"{digest!r} is not a sha256/sha512 digest", where=where)
        response = self._request(f"v2/{repository}/blobs/{digest}", repository=repository)
        data = self._read(response, repository, max_bytes)
        actual = compute_digest(data, digest.split(":")[0])
        if actual != digest:
            raise Invalid(f"blob {digest}: its content hashes to {actual}", where=where)
        return data

    def image_config(self, repository: str, manifest: Manifest) -> ImageConfig:
        """The config of an image manifest: created time and labels."""
        config = manifest.config
        if config is None:
            raise Invalid(
                f"manifest {manifest.digest} is an index: pick one of its images",
                where=self._where(repository),
            )
        try:
            body = json.loads(self.blob(repository, config.digest))
        except ValueError:
            raise Unavailable(
                f"config {config.digest} is not JSON", where=self._where(repository)
            ) from None
        body = body if isinstance(body, dict) else {}
        inner = body.get("config") if isinstance(body.get("config"), dict) else {}
        labels = inner.get("Labels") if isinstance(inner.get("Labels"), dict) else {}
        return ImageConfig(
            digest=config.digest,
            created=parse_created(body.get("created")),
            labels={str(k): str(v) for k, v in labels.items()},
        )

    def image(self, repository: str, reference: str) -> tuple[Manifest, ImageConfig]:
        """A tag or digest's manifest and config; for an index, its linux/amd64 image (or the
        first image) gives the config, and the index's digest is the one to pin."""
        manifest = self.manifest(repository, reference)
        image = manifest
        if manifest.is_index:
            images = [m for m in manifest.manifests if m.media_type not in INDEX_TYPES]
            if not images:
                raise Invalid(
                    f"index {manifest.digest} lists no image", where=self._where(repository)
                )
            amd64 = [
                m
                for m in images
                if m.platform.get("os") == "linux" and m.platform.get("architecture") == "amd64"
            ]
            image = self.manifest(repository, (amd64 or images)[0].digest)
        return manifest, self.image_config(repository, image)

    # --- plumbing ------------------------------------------------------------------------

    def _where(self, repository: str | None) -> str:
        name = f"registry {self.registry.name} ({self.base})"
        return f"{name}, repository {repository}" if repository else name

    def _on_registry_host(self, url: httpx.URL) -> bool:
        return url.scheme in ("http", "https") and url.host == self.base.host

    def _outside_allowed(self, url: httpx.URL) -> str | None:
        """Why the registry may not send us to ``url`` (None: allowed)."""
        if self._on_registry_host(url):
            return None
        allowlist = self._allowlist if self._allowlist is not None else reading_allowlist()
        return allowlist.refusal(str(url))

    def _same_origin(self, link: str | None, repository: str) -> str | None:
        if link is None:
            return None
        url = self.base.join(link)
        if (url.scheme, url.host, url.port) != (self.base.scheme, self.base.host, self.base.port):
            raise Unavailable(
                f"the next page {link} is not on the registry", where=self._where(repository)
            )
        return str(url)

    def _auth_header(self, scope: str) -> dict[str, str]:
        if self.registry.token:
            return {"Authorization": f"Bearer {self.registry.token}"}
        cached = self._tokens.get(scope)
        if cached and cached[1] > time.monotonic():
            return {"Authorization": f"Bearer {cached[0]}"}
        if self._basic and self.registry.username is not None:
            return {"Authorization": _basic(self.registry.username, self.registry.password)}
        return {}

    def _send(
        self, method: str, url: httpx.URL, repository: str | None, **kwargs: Any
    ) -> httpx.Response:
        with self._transport_errors(repository, "did not answer in time", "is unreachable"):
            request = self._http.build_request(method, url, **kwargs)
            return self._http.send(request, stream=True)

    def _request(
        self,
        path: str,
        *,
        repository: str | None,
        scope: str | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """GET ``path`` with auth (one challenge answered), redirects checked; typed errors."""
        scope = f"repository:{repository}:pull" if scope is None else scope
        url = self.base.join(path)
        extra = dict(headers or {})
        response = self._send(
            "GET", url, repository, params=params, headers={**extra, **self._auth_header(scope)}
        )
        if response.status_code == 401 and not self.registry.token:
            challenge = response.headers.get("WWW-Authenticate", "")
            response.close()
            self._answer(challenge, scope, repository)
            response = self._send(
                "GET", url, repository, params=params, headers={**extra, **self._auth_header(scope)}
            )
        for _ in range(MAX_REDIRECTS):
            if response.status_code not in (301, 302, 303, 307, 308):
                break
            location = response.headers.get("Location", "")
            response.close()
            target = url.join(location)
            refusal = self._outside_allowed(target)
            if refusal:
                raise Unavailable(
                    f"the registry redirected to {target.host}, which is {refusal}",
                    where=self._where(repository),
                )
            # Credentials stay with the registry's own host.
            auth = self._auth_header(scope) if self._on_registry_host(target) else {}
            url = target
            response = self._send("GET", target, repository, headers={**extra, **auth})
        if response.is_success:
            return response
        response.read()
        response.close()
        raise self._error(response, repository)

    def _answer(self, challenge: str, scope: str, repository: str | None) -> None:
        """Answer a 401: Basic -> credentials from now on; Bearer -> a token from the realm."""
        where = self._where(repository)
        kind, params = parse_challenge(challenge)
        if kind == "basic":
            if self.registry.username is None:
                raise Unauthenticated(
                    "the registry needs credentials (username/password)", where=where
                )
            if self._basic:
                raise Unauthenticated(
                    "the registry refused the configured credentials", where=where
                )
            self._basic = True
            return
        if kind != "bearer" or not params.get("realm"):
            raise Unauthenticated(
                f"the registry asks for unsupported auth {challenge!r}", where=where
            )
        realm = httpx.URL(params["realm"])
        refusal = self._outside_allowed(realm)
        if refusal:
            raise Unavailable(
                f"the token realm {params['realm']} is not on the registry's host and is {refusal}",
                where=where,
            )
        if self.base.scheme == "https" and realm.scheme != "https":
            # The credentials would travel in clear although the registry itself is on TLS.
            raise Unavailable(f"the token realm {params['realm']} is not https", where=where)
        query: dict[str, str] = {}
        if params.get("service"):
            query["service"] = params["service"]
        wanted = params.get("scope") or scope
        if wanted:
            query["scope"] = wanted
        headers = {}
        if self.registry.username is not None:
            headers["Authorization"] = _basic(self.registry.username, self.registry.password)
        response = self._send("GET", realm, repository, params=query, headers=headers)
        try:
            if response.status_code in (401, 403):
                response.read()
                raise Unauthenticated(
                    f"the token service {realm.host} refused the configured credentials "
                    f"(HTTP {response.status_code})",
                    where=where,
                )
            if not response.is_success:
                response.read()
                raise Unavailable(
                    f"the token service {realm.host} answered HTTP {response.status_code}",
                    where=where,
                )
            body = self._json(response, repository, 1 * MB)
        finally:
            response.close()
        token = (body.get("token") or body.get("access_token")) if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise Unavailable(f"the token service {realm.host} gave no token", where=where)
        expires_in = body.get("expires_in")
        lifetime = (
            float(expires_in) if isinstance(expires_in, (int, float)) and expires_in > 0 else 60.0
        )
        # A little early, so a token does not expire between our check and the registry's.
        self._tokens[scope] = (token, time.monotonic() + max(lifetime - 5.0, 1.0))

    def _read(self, response: httpx.Response, repository: str | None, limit: int) -> bytes:
        chunks: list[bytes] = []
        total = 0
        try:
            with self._transport_errors(repository, "stopped answering", "broke off its answer"):
                for chunk in response.iter_bytes():
                    total += len(chunk)
                    if total > limit:
                        raise Unavailable(
                            f"the answer exceeds {size_text(limit)}", where=self._where(repository)
                        )
                    chunks.append(chunk)
        finally:
            response.close()
        return b"".join(chunks)

    @contextmanager
    def _transport_errors(
        self, repository: str | None, timeout: str, broken: str
    ) -> Iterator[None]:
        """Timeouts and connection failures as ``Unavailable`` naming the registry."""
        try:
            yield
        except httpx.TimeoutException:
            raise Unavailable(f"the registry {timeout}", where=self._where(repository)) from None
        except httpx.TransportError as error:
            raise Unavailable(
                f"the registry {broken} ({type(error).__name__})", where=self._where(repository)
            ) from None

    def _json(self, response: httpx.Response, repository: str | None, limit: int) -> Any:
        raw = self._read(response, repository, limit)
        try:
            return json.loads(raw)
        except ValueError:
            raise Unavailable(
                "the registry's answer is not JSON", where=self._where(repository)
            ) from None

    def _error(self, response: httpx.Response, repository: str | None) -> DomainError:
        """The typed error for a failed answer, from its first error code (else its status)."""
        where = self._where(repository)
        code, message = "", ""
        try:
            errors = json.loads(response.content).get("errors") or []
            if errors and isinstance(errors[0], dict):
                code = str(errors[0].get("code") or "")
                message = str(errors[0].get("message") or "")
        except (ValueError, AttributeError):
            pass
        kind = ERROR_TYPES.get(code) or STATUS_TYPES.get(response.status_code)
        if kind is None:
            kind = Unavailable if response.status_code >= 500 else Invalid
        text = f"{code or 'HTTP ' + str(response.status_code)}: {message or response.reason_phrase}"
        if kind is RateLimited:
            retry = response.headers.get("Retry-After", "")
            error: DomainError = RateLimited(
                text, where=where, retry_after=float(retry) if retry.isdigit() else None
            )
        else:
            error = kind(text, where=where)
        error.code = code  # type: ignore[attr-defined]
        return error


def _basic(username: str, password: str | None) -> str:
    pair = f"{username}:{password or ''}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def client_for(registry: RegistrySettings) -> RegistryClient:
    """A client for a configured registry (settings' allow-list for realms and redirects)."""
    return RegistryClient(registry)
