"""Every operation of the served OpenAPI document, fuzzed (schemathesis) against a real
`pinconsole serve --backend-only` on the demo organisation, as an administrator and as a
signed-in member: no 5xx, and every answer is one the document declares (status, content type,
headers, body schema); a known path with another method is a 405 with ``Allow``; an operation
that needs a token refuses the request without one.

Bounded (a fixed seed, a few examples per operation) so both runs take well under a minute.
What a generated request could destroy or read is kept in bounds by ``_contained``: an
administrator's file location is re-rooted in a throwaway directory (a target of ``/`` would
walk the disk) and the tokens the run authenticates with are never the ones it revokes.
What the fuzz found is reproduced by name at the end, so a regression fails with a clear story.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import httpx
import pytest
import schemathesis
from fixtures.backend import running_backend
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

pytestmark = pytest.mark.xdist_group("api-fuzz")  # one server for the whole module

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    unsupported_method,
    ignored_auth,
]
MAX_EXAMPLES = 8
SEED = 20261202
LOCATIONS = "/api/v1/locations"
TOKEN = "/api/v1/tokens/{token_id}"


@dataclass(frozen=True)
class Fuzzed:
    """The backend the fuzz runs against, and what it must not destroy."""

    url: str
    admin: str  # an administrator's token
    member: str  # a demo user's token (no administrator)
    protected: frozenset[int]  # ids of the two tokens above: never revoked by the fuzz
    decoy: int  # another of the member's tokens, revoked instead
    files: Path  # where an administrator's generated file targets are re-rooted


# The run's tokens, made by the domain: an administrator's, a demo user's, and another of that
# user's for the fuzz to revoke instead of the two it authenticates with.
_TOKENS = """
import json
from sqlmodel import select
from pinconsole.access.tokens import create_token, list_tokens
from pinconsole.db import session_scope
from pinconsole.models import Entity

with session_scope() as session:
    users = select(Entity.name).where(Entity.kind == "user").order_by(Entity.name)
    member = session.exec(users).first()
admin = create_token("fuzz-admin", admin=True, actor="test")
token = create_token(member, actor="test")
create_token(member, actor="test", description="decoy")
infos = list_tokens("fuzz-admin") + list_tokens(member)
print(json.dumps({
    "admin": admin,
    "member": token,
    "protected": [t.id for t in infos if t.description != "decoy"],
    "decoy": next(t.id for t in infos if t.description == "decoy"),
}))
"""


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    """The demo organisation served by `pinconsole serve --backend-only`."""
    work = tmp_path_factory.mktemp("api-fuzz")
    files = work / "files"
    files.mkdir()
    with running_backend(work, seed=True) as server:
        tokens = json.loads(server.run("-c", _TOKENS))
        yield Fuzzed(
            server.url,
            admin=tokens["admin"],
            member=tokens["member"],
            protected=frozenset(tokens["protected"]),
            decoy=tokens["decoy"],
            files=files,
        )


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module", params=["admin", "member"])
def api_schema(request: pytest.FixtureRequest, backend: Fuzzed) -> Any:
    """The served document, every request made with the role's token. The coverage phase
    (every boundary of every parameter, other methods, no credentials) runs as the
    administrator, whom no route stops before it reads its parameters; the member gets the
    examples and the fuzzing."""
    admin = request.param == "admin"
    token = backend.admin if admin else backend.member
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "headers": {"Authorization": f"Bearer {token}"},
            "request-timeout": 30,
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
            "phases": {"coverage": {"enabled": admin}, "stateful": {"enabled": False}},
        }
    )
    return schemathesis.openapi.from_url(f"{backend.url}/api/v1/openapi.json", config=config)


def _rerooted(target: str, root: Path) -> str:
    """``target`` reading nothing outside ``root``: a URL stays (the default reading allow-list
    lists no host), a file path is re-rooted in ``root`` (``/``, ``..`` and ``~`` dropped),
    keeping what else makes it odd (spaces, control characters, length)."""
    if Path(target).is_relative_to(root):  # a case is called again as it shrinks
        return target
    text = target.strip()
    for prefix in ("url:", "file:"):  # as descriptors.normalise_target reads them
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    if text.startswith(("http://", "https://")):
        return target
    parts = [p for p in PurePosixPath(text).parts if p not in ("/", "..")]
    if parts and parts[0].startswith("~"):
        parts = parts[1:]
    return str(root.joinpath(*parts))


def _contained(case: Any, backend: Fuzzed) -> None:
    """Keep a generated request from reading the disk or revoking the run's own tokens."""
    operation = (case.method.upper(), case.path)
    body = case.body
    if operation == ("POST", LOCATIONS) and isinstance(body, dict):
        target = body.get("target")
        if isinstance(target, str):
            body["target"] = _rerooted(target, backend.files)
    if operation == ("DELETE", TOKEN) and case.path_parameters:
        token_id = case.path_parameters.get("token_id")
        if token_id in backend.protected or str(token_id) in {str(i) for i in backend.protected}:
            case.path_parameters["token_id"] = backend.decoy


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_every_operation_answers_what_the_document_declares(case: Any, backend: Fuzzed) -> None:
    _contained(case, backend)
    case.call_and_validate(checks=CHECKS)


def test_the_run_kept_its_tokens_and_the_disk(backend: Fuzzed) -> None:
    """The containment held: both tokens still work, every file location is in the throwaway
    directory."""
    for token in (backend.admin, backend.member):
        assert httpx.get(f"{backend.url}/api/v1/me", headers=_bearer(token)).status_code == 200
    rows = httpx.get(f"{backend.url}{LOCATIONS}", headers=_bearer(backend.admin)).json()
    files = [r["data"]["target"] for r in rows if r["data"]["type"] == "file"]
    assert all(Path(t).is_relative_to(backend.files) for t in files), files


def _cursor(scope: str, position: int) -> str:
    """A cursor as the API writes them, forged for ``position``."""
    raw = json.dumps([scope, position], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json", response.headers
    body = response.json()
    assert body["status"] == status and body["detail"]
    return dict(body)


def test_what_the_fuzz_found_stays_fixed(backend: Fuzzed) -> None:
    api, admin = f"{backend.url}/api/v1", _bearer(backend.admin)
    # An offset past what SQLite holds was an OverflowError, a text/plain 500; a cursor
    # carries the position now, and a forged one pointing past it is refused the same way.
    for scope, route in (("org.syncs", "org/syncs"), ("audit", "audit"), ("tokens", "tokens")):
        far = _cursor(scope, 10**24)
        _problem(httpx.get(f"{api}/{route}", params={"cursor": far}, headers=admin), 422)
    _problem(httpx.delete(f"{api}/tokens/{10**24}", headers=admin), 422)
    # A NUL in a location's target made resolving the path raise ValueError: a 500 for anyone.
    member = _bearer(backend.member)
    bad = httpx.post(f"{api}/locations", json={"target": "catalog\x00.yaml"}, headers=member)
    assert _problem(bad, 422)["errors"][0]["loc"] == ["body", "target"]
    # A newline inside a path matched no mount: Reflex's text/plain 404.
    _problem(httpx.get(f"{api}/entities/by-uid/a%0Ab", headers=admin), 404)
    _problem(httpx.get(f"{api}/no-such%0Aroute", headers=admin), 404)
    # Another method on a known path: 405 with what the path takes (was 404, or Reflex's text).
    for method in ("DELETE", "TRACE", "PATCH"):
        wrong = httpx.request(method, f"{api}/me", headers=admin)
        _problem(wrong, 405)
        assert wrong.headers["allow"] == "GET, OPTIONS"
    options = httpx.options(f"{api}/locations")
    assert options.status_code == 204 and options.headers["allow"] == "GET, OPTIONS, POST"
    # Values the document allowed and the routes refused; now the document says what they take.
    document = httpx.get(f"{api}/openapi.json").json()
    entities = {
        p["name"]: p["schema"] for p in document["paths"]["/api/v1/entities"]["get"]["parameters"]
    }
    assert "-name" in entities["sort"]["enum"]
    assert httpx.get(f"{api}/entities", params={"sort": "-name"}, headers=admin).status_code == 200
    _problem(httpx.get(f"{api}/entities", params={"sort": "size"}, headers=admin), 422)
    _problem(httpx.get(f"{api}/entities", params={"facets": "kind,colour"}, headers=admin), 422)
    facets = httpx.get(
        f"{api}/entities", params={"facets": "kind, owner", "limit": 1}, headers=admin
    )
    assert set(facets.json()["facets"]) == {"kind", "owner"}
    _problem(httpx.get(f"{api}/workloads", params={"health": "green"}, headers=admin), 422)
