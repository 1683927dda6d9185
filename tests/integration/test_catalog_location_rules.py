"""Who may write what into the catalog: location rules, their enforcement and location routes.

The attack these tests reproduce: a signed-in non-admin registers a URL location (served by a
real HTTP server on loopback) whose descriptors are a Group under the admin group with
themselves as member and another team's namespace, or a User of their own name that is a member
of the admin group. Before the rules, the next request had admin rights and the namespace.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from fixtures.http_files import serve_directory
from fixtures.web import allow_reading
from sqlmodel import func, select
from typer.testing import CliRunner

from pinconsole.access.principal import resolve_principal
from pinconsole.access.tokens import create_token
from pinconsole.api.app import create_api
from pinconsole.catalog.cli import app as catalog_cli
from pinconsole.catalog.ingest import import_locations
from pinconsole.catalog.locations import refresh_locations
from pinconsole.catalog.rules import kinds_for
from pinconsole.compute import tenancy
from pinconsole.db import session_scope
from pinconsole.models import AuditEvent, Entity, Location, Relation
from pinconsole.plugins.registry import get_registry
from pinconsole.settings import get_settings

ORG = Path(__file__).resolve().parents[1] / "fixtures" / "access" / "org.yaml"

SHADOW_GROUP = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: shadow-admins
  annotations: {pinconsole.io/namespaces: payments}
spec: {type: team, parent: console-admins, members: [linus], children: []}
"""

OWN_USER = """\
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: mallory}
spec: {memberOf: [console-admins]}
"""

SERVICE = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: linus-svc}
spec: {type: service, lifecycle: production, owner: sales}
"""


@pytest.fixture
def org(db: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The access fixture's organisation (an operator's import), console-admins are admins,
    namespace payments belongs to platform."""
    monkeypatch.setenv("PINCONSOLE_ADMIN_GROUP", "console-admins")
    monkeypatch.setenv("PINCONSOLE_NAMESPACE_OWNERS", '{"payments": "platform"}')
    get_settings.cache_clear()
    assert not import_locations([str(ORG)], actor="test").errors
    yield db


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    with serve_directory(tmp_path / "www") as served:
        allow_reading(monkeypatch, served[0].removeprefix("http://"))  # loopback only when listed
        yield served


@pytest.fixture
def client(org: str) -> Iterator[TestClient]:
    with TestClient(create_api(get_registry())) as c:
        yield c


def _bearer(name: str, *, admin: bool = False) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(name, description='test', admin=admin)}"}


def _namespace_owners(namespace: str) -> frozenset[str]:
    return tenancy.owners_of(namespace)


def test_a_registered_group_grants_no_admin_rights_nor_namespaces(
    client: TestClient, site: tuple[str, Path]
) -> None:
    base, root = site
    (root / "catalog-info.yaml").write_text(SHADOW_GROUP + "---\n" + SERVICE)
    linus = _bearer("linus")
    r = client.post(
        "/api/v1/locations", json={"target": f"{base}/catalog-info.yaml"}, headers=linus
    )
    assert r.status_code == 201, r.text
    # The rest of the location is written; the Group is reported, naming kind and rule.
    assert [e["metadata"]["name"] for e in r.json()["entities"]] == ["linus-svc"]
    (error,) = r.json()["errors"]
    assert "Group" in error["message"] and "catalog_rules" in error["message"]
    # The next request: no admin rights, no new group, no namespace.
    me = client.get("/api/v1/me", headers=linus).json()
    assert me["isAdmin"] is False
    assert me["groups"] == ["group:default/sales"]
    assert _namespace_owners("payments") == {"group:default/platform"}
    assert client.get("/api/v1/audit", headers=linus).status_code == 403


def test_a_registered_user_of_ones_own_name_grants_nothing(
    client: TestClient, site: tuple[str, Path]
) -> None:
    base, root = site
    (root / "catalog-info.yaml").write_text(OWN_USER)
    mallory = _bearer("mallory")  # a token name the directory does not know
    r = client.post(
        "/api/v1/locations", json={"target": f"{base}/catalog-info.yaml"}, headers=mallory
    )
    assert r.status_code == 201, r.text
    assert r.json()["entities"] == []
    me = client.get("/api/v1/me", headers=mallory).json()
    assert me["isAdmin"] is False and me["groups"] == []
    assert resolve_principal("mallory").is_admin is False


def _groups_of(name: str) -> frozenset[str]:
    return resolve_principal(name).groups


def _entity(ref: str) -> tuple[str, int] | None:
    """(status, relations it declared) of ``ref``, or None when it is gone."""
    with session_scope() as s:
        row = s.exec(select(Entity).where(Entity.ref == ref)).first()
        if row is None:
            return None
        count = s.exec(
            select(func.count()).select_from(Relation).where(Relation.origin_uid == row.uid)
        ).one()
        return row.status, int(count)


def _audit(action: str) -> list[tuple[str, str, str]]:
    with session_scope() as s:
        rows = s.exec(
            select(AuditEvent.actor, AuditEvent.outcome, AuditEvent.target)
            .where(AuditEvent.action == action)
            .order_by(AuditEvent.id)
        ).all()
    return [tuple(r) for r in rows]


@pytest.fixture
def stored_attack(org: str, site: tuple[str, Path]) -> tuple[str, Path]:
    """A non-admin's location as an earlier version stored it: row untrusted, and its Group
    written as if no rule applied (the import path an operator's import takes)."""
    base, root = site
    url = f"{base}/catalog-info.yaml"
    (root / "catalog-info.yaml").write_text(SHADOW_GROUP + "---\n" + SERVICE)
    with session_scope() as s:
        s.add(Location(target=url, type="url", registered_by="linus", trusted=False))
    assert not import_locations([url], actor="linus", trusted=True).errors
    assert resolve_principal("linus").is_admin  # the attack as it stood
    return url, root


SHADOW = "group:default/shadow-admins"


def test_a_group_stored_before_the_rules_is_removed_at_the_next_refresh(
    stored_attack: tuple[str, Path],
) -> None:
    url, _ = stored_attack
    summary = import_locations([url], actor="scheduler")  # what the refresh runs per location
    assert [e.entity_ref for e in summary.errors] == [SHADOW]
    assert not resolve_principal("linus").is_admin
    assert _groups_of("linus") == {"group:default/sales"}
    assert _entity(SHADOW) is None  # deleted with its relations, not an orphan
    assert _entity("component:default/linus-svc") == ("active", 2)
    assert _namespace_owners("payments") == {"group:default/platform"}
    with session_scope() as s:
        last = s.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (last.actor, last.action, last.target) == ("scheduler", "catalog.import", url)
    assert last.after["removed_refused"] == [SHADOW]


def test_a_stored_group_goes_even_when_its_document_is_gone_or_unreadable(
    stored_attack: tuple[str, Path],
) -> None:
    _, root = stored_attack
    (root / "catalog-info.yaml").unlink()  # the refresh reads nothing: HTTP 404
    refresh_locations()
    assert _entity(SHADOW) is None
    assert _entity("component:default/linus-svc") == ("active", 2)  # kept, as any unread one
    assert not resolve_principal("linus").is_admin
    assert _audit("catalog.rules.enforce")[0][1:] == ("ok", SHADOW)


def test_removing_a_location_orphans_its_entities_but_deletes_what_the_rules_refuse(
    client: TestClient, stored_attack: tuple[str, Path]
) -> None:
    url, _ = stored_attack
    with session_scope() as s:
        location_id = s.exec(select(Location.id).where(Location.target == url)).one()
    r = client.delete(f"/api/v1/locations/{location_id}", headers=_bearer("linus"))
    assert r.status_code == 204, r.text
    assert _entity(SHADOW) is None
    assert _entity("component:default/linus-svc") == ("orphaned", 2)
    assert not resolve_principal("linus").is_admin
    assert (
        client.get(f"/api/v1/locations/{location_id}", headers=_bearer("linus")).status_code == 404
    )
    assert _audit("catalog.location.delete") == [("linus", "ok", url)]
    refresh_locations()  # no longer registered: not read again
    assert _entity("component:default/linus-svc") == ("orphaned", 2)


def test_an_admins_location_brings_groups(client: TestClient, site: tuple[str, Path]) -> None:
    base, root = site
    (root / "catalog-info.yaml").write_text(SHADOW_GROUP)
    admin = _bearer("margaret")  # in console-admins
    r = client.post(
        "/api/v1/locations", json={"target": f"{base}/catalog-info.yaml"}, headers=admin
    )
    assert r.status_code == 201, r.text
    assert r.json()["location"]["trusted"] is True
    assert [e["metadata"]["name"] for e in r.json()["entities"]] == ["shadow-admins"]
    assert resolve_principal("linus").is_admin  # the admin put linus there


def test_an_admin_registering_a_location_again_trusts_it(
    client: TestClient, site: tuple[str, Path]
) -> None:
    base, root = site
    url = f"{base}/catalog-info.yaml"
    (root / "catalog-info.yaml").write_text(SHADOW_GROUP)
    body = {"target": url}
    assert (
        client.post("/api/v1/locations", json=body, headers=_bearer("linus")).json()["entities"]
        == []
    )
    again = client.post("/api/v1/locations", json=body, headers=_bearer("margaret"))
    assert again.status_code == 201 and again.json()["location"]["trusted"] is True
    assert [e["metadata"]["name"] for e in again.json()["entities"]] == ["shadow-admins"]
    assert again.json()["errors"] == []


NESTED = """\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {{name: more}}
spec: {{targets: ["{target}"]}}
"""


def test_a_nested_location_passes_its_limit_down(
    client: TestClient, site: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rule lets Groups in from teams/*; a non-admin's Location elsewhere pointing there
    must not reach that rule, while registering teams/ directly does."""
    base, root = site
    rules = [
        {"allow": ["Component", "Location"], "targets": ["*"]},
        {"allow": ["Group"], "targets": [f"{base}/teams/*"]},
    ]
    monkeypatch.setenv("PINCONSOLE_CATALOG_RULES", json.dumps(rules))
    get_settings.cache_clear()
    (root / "teams").mkdir()
    (root / "teams" / "group.yaml").write_text(SHADOW_GROUP + "---\n" + SERVICE)
    (root / "catalog-info.yaml").write_text(NESTED.format(target="./teams/group.yaml"))
    linus = _bearer("linus")
    r = client.post(
        "/api/v1/locations", json={"target": f"{base}/catalog-info.yaml"}, headers=linus
    )
    names = sorted(e["metadata"]["name"] for e in r.json()["entities"])
    assert names == ["linus-svc", "more"]
    (error,) = r.json()["errors"]
    assert "kind Group is not allowed" in error["message"]
    assert f"reached through {base}/catalog-info.yaml" in error["message"]
    assert "allow only Component, Location for" in error["message"]
    assert _entity(SHADOW) is None
    # The same file registered directly matches the Group rule (ref now free: remove first).
    other = f"{base}/teams/group.yaml"
    (root / "teams" / "group.yaml").write_text(SHADOW_GROUP)
    direct = client.post("/api/v1/locations", json={"target": other}, headers=linus)
    assert [e["metadata"]["name"] for e in direct.json()["entities"]] == ["shadow-admins"]
    # A path that climbs out of teams/ matches no pattern.
    climbing = f"{base}/teams/../catalog-info.yaml"
    assert kinds_for(climbing, trusted=False) == frozenset()


def test_who_may_refresh_and_remove_a_location(client: TestClient, site: tuple[str, Path]) -> None:
    base, root = site
    url = f"{base}/catalog-info.yaml"
    (root / "catalog-info.yaml").write_text(SERVICE.replace("owner: sales", "owner: platform"))
    r = client.post("/api/v1/locations", json={"target": url}, headers=_bearer("linus"))
    location_id = r.json()["location"]["id"]
    path = f"/api/v1/locations/{location_id}"
    # Anyone signed in reads them (Backstage's shape for the list).
    listed = client.get("/api/v1/locations", headers=_bearer("ada")).json()
    assert [i["data"]["target"] for i in listed] == [url]
    one = client.get(path, headers=_bearer("ada")).json()
    assert listed[0]["data"] == one
    assert (one["id"], one["target"], one["registeredBy"], one["trusted"]) == (
        location_id,
        url,
        "linus",
        False,
    )
    # margaret is an admin, grace in platform (owns what it provides), linus registered it;
    # ada is in platform-api, a child of platform: membership of a child team counts.
    denied = client.post(f"{path}/refresh", headers=_bearer("mallory"))
    assert denied.status_code == 403, denied.text
    assert client.delete(path, headers=_bearer("mallory")).status_code == 403
    again = client.post("/api/v1/locations", json={"target": url}, headers=_bearer("mallory"))
    assert again.status_code == 403
    for who in ("linus", "grace", "margaret"):
        ok = client.post(f"{path}/refresh", headers=_bearer(who))
        assert ok.status_code == 200, ok.text
        assert ok.json()["unchanged"] == 1
    assert [a for a, o, _ in _audit("catalog.location.refresh") if o == "ok"] == [
        "linus",
        "grace",
        "margaret",
    ]
    denials = [(a, o) for a, o, _ in _audit("catalog.location.refresh") if o == "denied"]
    assert denials == [("mallory", "denied"), ("mallory", "denied")]
    assert _audit("catalog.location.delete") == [("mallory", "denied", url)]
    assert client.delete(path, headers=_bearer("grace")).status_code == 204
    assert _audit("catalog.location.delete")[-1] == ("grace", "ok", url)
    assert _entity("component:default/linus-svc") == ("orphaned", 2)
    assert client.delete(path, headers=_bearer("margaret")).status_code == 404


def test_file_paths_are_for_admins_and_the_cli_unregisters(
    client: TestClient, tmp_path: Path
) -> None:
    folder = tmp_path / "svc"
    folder.mkdir()
    (folder / "catalog-info.yaml").write_text(SERVICE)
    denied = client.post(
        "/api/v1/locations", json={"target": str(folder)}, headers=_bearer("linus")
    )
    assert denied.status_code == 403
    assert _audit("admin.catalog.location.register_file") == [("linus", "denied", str(folder))]
    ok = client.post("/api/v1/locations", json={"target": str(folder)}, headers=_bearer("margaret"))
    assert ok.status_code == 201
    runner = CliRunner()
    listed = runner.invoke(catalog_cli, ["locations"])
    assert listed.exit_code == 0 and f"{folder!s}\tmargaret\ttrusted" in listed.output
    removed = runner.invoke(catalog_cli, ["unregister", str(folder)])
    assert removed.exit_code == 0, removed.output
    assert _entity("component:default/linus-svc") == ("orphaned", 2)
    missing = runner.invoke(catalog_cli, ["unregister", str(folder)])
    assert missing.exit_code == 1 and "no registered location" in missing.output
    assert _audit("catalog.location.delete") == [("cli", "ok", str(folder))]
