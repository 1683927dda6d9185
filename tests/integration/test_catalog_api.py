"""The catalog's REST API (/api/v1) on SQLite and PostgreSQL, through the real app and tokens."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from fixtures.http_files import serve_directory
from fixtures.web import allow_reading

from pinconsole.access.tokens import create_token, revoke_token
from pinconsole.api.app import create_api
from pinconsole.catalog.ingest import import_locations
from pinconsole.plugins.registry import get_registry

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "catalog_query"

NEW_SERVICE = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: fresh-svc, description: Registered through the API}
spec: {type: service, lifecycle: production, owner: team-b}
"""


@pytest.fixture
def api(db: str, tmp_path: Path) -> Iterator[TestClient]:
    target = tmp_path / "catalog"
    shutil.copytree(FIXTURE, target)
    assert import_locations([str(target)]).errors == []
    with TestClient(create_api(get_registry())) as client:
        client.headers["Authorization"] = f"Bearer {create_token('alice', description='test')}"
        yield client


@pytest.fixture
def web(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    with serve_directory(tmp_path / "www") as served:
        allow_reading(monkeypatch, served[0].removeprefix("http://"))  # loopback only when listed
        yield served


def test_every_route_needs_a_token(api: TestClient) -> None:
    anonymous = {"Authorization": ""}
    for path in (
        "/api/v1/entities",
        "/api/v1/entities/by-ref/component/default/pay-svc",
        "/api/v1/entity-facets",
        "/api/v1/catalog/errors",
    ):
        r = api.get(path, headers=anonymous)
        assert r.status_code == 401, path
        assert r.headers["content-type"].startswith("application/problem+json")
    r = api.post("/api/v1/locations", json={"target": "x"}, headers=anonymous)
    assert r.status_code == 401


def test_revoked_token_is_refused_at_once(api: TestClient) -> None:
    token = create_token("bob", description="short-lived")
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/entities", headers=headers).status_code == 200  # now cached
    from pinconsole.access.tokens import list_tokens

    revoke_token(next(t.id for t in list_tokens("bob")), actor="test")
    assert api.get("/api/v1/entities", headers=headers).status_code == 401


def test_list_filters_facets_and_cursor(api: TestClient) -> None:
    r = api.get(
        "/api/v1/entities",
        params={"kind": "component", "owner": ["team-a", "team-b"], "facets": "kind,owner"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [i["metadata"]["name"] for i in body["items"]] == ["checkout-web", "ledger", "pay-svc"]
    assert body["totalItems"] == 3
    assert body["pageInfo"] == {}  # no next page, and keyset cursors page forwards only
    assert {"value": "component", "count": 3} in body["facets"]["kind"]
    assert body["facets"]["owner"][0] == {"value": "group:default/team-a", "count": 2}

    seen, cursor = [], None
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        page = api.get("/api/v1/entities", params=params).json()
        seen += [i["metadata"]["uid"] for i in page["items"]]
        cursor = page["pageInfo"].get("nextCursor")
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == page["totalItems"] == 15

    trimmed = api.get("/api/v1/entities", params={"text": "ledger", "fields": "metadata.name"})
    assert trimmed.json()["items"] == [{"metadata": {"name": "ledger"}}]

    bad = api.get("/api/v1/entities", params={"cursor": "garbage"})
    assert bad.status_code == 422
    assert bad.json()["title"] == "Invalid"
    assert api.get("/api/v1/entities", params={"limit": 0}).status_code == 422


def test_backstage_query_forms(api: TestClient) -> None:
    r = api.get(
        "/api/v1/entities/by-query",
        params={"filter": "kind=component,spec.owner=team-a", "fullTextFilterTerm": "card"},
    )
    body = r.json()
    assert [i["metadata"]["name"] for i in body["items"]] == ["pay-svc"]
    assert body == {"items": body["items"], "totalItems": 1, "pageInfo": {}}  # Backstage's, exactly
    paged = api.get("/api/v1/entities/by-query", params={"filter": "kind=component", "limit": 2})
    assert set(paged.json()) == {"items", "totalItems", "pageInfo"}
    assert set(paged.json()["pageInfo"]) == {"nextCursor"}
    # Backstage's facet names are answered under the names asked for, beside ours.
    facets = api.get(
        "/api/v1/entity-facets",
        params=[("facet", "spec.type"), ("facet", "kind"), ("filter", "kind=api")],
    )
    counted = facets.json()["facets"]
    assert list(counted) == ["spec.type", "kind"]
    assert counted["spec.type"] == [{"value": "openapi", "count": 2}]
    assert {"value": "api", "count": 2} in counted["kind"]  # a facet ignores its own filter
    assert api.get("/api/v1/entity-facets", params={"facet": "spec.colour"}).status_code == 422
    facets = api.get("/api/v1/entity-facets", params={"facet": "type", "filter": "kind=api"})
    assert facets.json() == {"facets": {"type": [{"value": "openapi", "count": 2}]}}
    unsupported = api.get("/api/v1/entities", params={"filter": "metadata.colour=red"})
    assert unsupported.status_code == 422
    # Separate filter parameters are OR-ed (Backstage): exact for one field...
    either = api.get("/api/v1/entities", params=[("filter", "kind=api"), ("filter", "kind=user")])
    kinds = {i["kind"] for i in either.json()["items"]}
    assert kinds == {"API", "User"}
    # ...refused where merging them would answer something else than Backstage.
    mixed = api.get(
        "/api/v1/entities",
        params=[("filter", "kind=component,spec.type=service"), ("filter", "kind=api")],
    )
    assert mixed.status_code == 422 and "OR-ed" in mixed.text


def test_entity_by_ref_is_backstage_shaped(api: TestClient) -> None:
    r = api.get("/api/v1/entities/by-ref/component/default/pay-svc")
    assert r.status_code == 200
    item = r.json()
    assert item["apiVersion"] == "backstage.io/v1alpha1"
    assert item["kind"] == "Component"
    assert {"name", "namespace", "uid", "etag"} <= set(item["metadata"])
    assert {
        "type": "ownedBy",
        "targetRef": "group:default/team-a",
        "target": {"kind": "group", "namespace": "default", "name": "team-a"},
    } in item["relations"]
    same = api.get(f"/api/v1/entities/by-uid/{item['metadata']['uid']}").json()
    assert same == item
    assert api.get("/api/v1/entities/by-name/Component/default/pay-svc").json() == item
    missing = api.get("/api/v1/entities/by-ref/component/default/nope")
    assert missing.status_code == 404
    assert missing.json()["status"] == 404


def test_register_url_location_then_read_it(api: TestClient, web: tuple[str, Path]) -> None:
    base, root = web
    assert api.get("/api/v1/entities", params={"text": "fresh"}).json()["totalItems"] == 0  # cached
    (root / "catalog-info.yaml").write_text(NEW_SERVICE)
    r = api.post("/api/v1/locations", json={"type": "url", "target": f"{base}/catalog-info.yaml"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["location"]["target"] == f"{base}/catalog-info.yaml"
    assert [e["metadata"]["name"] for e in body["entities"]] == ["fresh-svc"]
    # The import committed in this process: the cached empty answer is gone.
    after = api.get("/api/v1/entities", params={"text": "fresh"}).json()
    assert [i["metadata"]["name"] for i in after["items"]] == ["fresh-svc"]


def test_catalog_reads_answer_304_while_the_etag_holds(api: TestClient, tmp_path: Path) -> None:
    by_ref = "/api/v1/entities/by-ref/component/default/pay-svc"
    page = ("/api/v1/entities", {"kind": "component", "facets": "owner"})
    first = api.get(by_ref)
    tag = first.headers["etag"]
    assert tag.startswith('W/"') and first.headers["cache-control"] == "private, no-cache"
    again = api.get(by_ref, headers={"If-None-Match": tag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", tag)
    assert api.get(by_ref, headers={"If-None-Match": f'W/"other", {tag}'}).status_code == 304
    assert api.get(by_ref, headers={"If-None-Match": 'W/"other"'}).content == first.content
    # Authorization comes first: no token, no 304 (nor a word about the entity).
    anonymous = {"Authorization": "", "If-None-Match": tag}
    assert api.get(by_ref, headers=anonymous).status_code == 401

    listed = api.get(page[0], params=page[1])
    unchanged = {"If-None-Match": listed.headers["etag"]}
    assert api.get(page[0], params=page[1], headers=unchanged).status_code == 304
    other = api.get(page[0], params={**page[1], "kind": "api"})
    assert other.headers["etag"] != listed.headers["etag"]
    # A change to what the page shows is a new ETag and the new body.
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "catalog-info.yaml").write_text(NEW_SERVICE)
    assert import_locations([str(tmp_path / "more")]).errors == []
    changed = api.get(page[0], params=page[1], headers=unchanged)
    assert changed.status_code == 200 and changed.headers["etag"] != listed.headers["etag"]
    assert "fresh-svc" in changed.text


def test_file_locations_need_an_administrator(api: TestClient, tmp_path: Path) -> None:
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "catalog-info.yaml").write_text(NEW_SERVICE)
    target = str(tmp_path / "new")
    denied = api.post("/api/v1/locations", json={"target": target})
    assert denied.status_code == 403
    admin = {"Authorization": f"Bearer {create_token('root-bot', admin=True)}"}
    ok = api.post("/api/v1/locations", json={"target": target}, headers=admin)
    assert ok.status_code == 201, ok.text
    assert [e["metadata"]["name"] for e in ok.json()["entities"]] == ["fresh-svc"]


def test_catalog_errors_route(api: TestClient, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "catalog-info.yaml").write_text("kind: Component\nmetadata: {name: x}\n")
    import_locations([str(bad)])
    items = api.get("/api/v1/catalog/errors").json()["items"]
    assert items and items[0]["source"].endswith("catalog-info.yaml")
    assert {"locationKey", "document", "field", "message", "text"} <= set(items[0])


def test_reads_survive_a_database_restart(api: TestClient, db: str) -> None:
    """Read connections are pooled without a ping per checkout: when the server has dropped
    them (a restart, a failover), the read is retried once on a fresh connection."""
    from sqlalchemy import text

    from pinconsole import cache
    from pinconsole.db import get_engine

    by_ref = "/api/v1/entities/by-ref/component/default/pay-svc"
    assert api.get("/api/v1/entities", params={"kind": "component"}).status_code == 200
    assert api.get(by_ref).status_code == 200  # the event-loop read path (PostgreSQL)
    if "postgresql" in db:
        with get_engine().connect() as conn:  # every other connection of this database dies
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
    cache.clear()
    for _ in range(3):  # each request may meet another dead pooled connection
        r = api.get("/api/v1/entities", params={"kind": "component", "limit": 2})
        assert r.status_code == 200, r.text
        assert len(r.json()["items"]) == 2
        r = api.get(by_ref)
        assert r.status_code == 200, r.text
        assert r.json()["metadata"]["name"] == "pay-svc"
