"""The catalog's read side on SQLite and PostgreSQL: filters, facets, keyset pages, search,
views, Backstage serialisation and scorecards, over a catalog imported by the write side."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.catalog_data import import_scored_catalog
from sqlalchemy import update

from pinconsole import cache
from pinconsole.access.principal import resolve_principal
from pinconsole.catalog import query as q
from pinconsole.catalog.ingest import import_locations
from pinconsole.catalog.query.facets import facet_counts_sql
from pinconsole.catalog.scorecards import (
    compute_scores,
    definition_parses,
    evaluate_entity,
    team_scores,
)
from pinconsole.catalog.serialize import entity_to_api, project_fields
from pinconsole.db import session_scope
from pinconsole.errors import Invalid, NotFound
from pinconsole.models import Entity
from pinconsole.settings import get_settings


@pytest.fixture
def catalog(db: str, tmp_path: Path) -> Path:
    return import_scored_catalog(tmp_path)


def names(page: q.EntityPage) -> list[str]:
    return [e.name for e in page.items]


def listing(**filters: object) -> list[str]:
    with session_scope() as s:
        return names(q.list_entities(s, q.EntityFilter.build(**filters), limit=500))  # type: ignore[arg-type]


def test_filters_are_or_within_and_across(catalog: Path) -> None:
    assert listing(kind="component") == ["checkout-web", "ledger", "old_lib", "pay-svc"]
    assert listing(kind="Component", owner="team-a") == ["ledger", "pay-svc"]
    # Any ref spelling of an owner; several values (list or comma-separated) are OR.
    assert listing(kind="component", owner="group:default/team-a") == ["ledger", "pay-svc"]
    assert listing(kind="component", owner="team-a,team-b") == [
        "checkout-web",
        "ledger",
        "pay-svc",
    ]
    assert listing(kind=["component", "api"], lifecycle="experimental") == [
        "broken-api",
        "checkout-web",
    ]
    assert listing(tag="python") == ["ledger", "pay-svc"]
    assert listing(tag="python,typescript", type="website") == ["checkout-web"]
    assert listing(system="payments") == ["pay-svc", "payments-api", "payments-db"]
    assert listing(type="database") == ["payments-db"]
    assert listing(namespace="default", kind="user") == ["alice", "bob", "carol"]
    assert listing(namespace="elsewhere") == []
    assert listing(status="orphaned") == []


def test_text_search_matches_name_title_description_tags(catalog: Path) -> None:
    assert listing(text="payment") == [
        "pay-svc",
        "payments",
        "payments-api",
        "payments-db",
        "team-a",
    ]
    assert listing(text="CARD")[:2] == ["pay-svc", "payments-api"]  # description, any case
    assert listing(text="typescript") == ["checkout-web"]  # a tag
    assert listing(text="card service") == ["pay-svc"]  # every word must match
    # LIKE wildcards are literal: "%" finds the one description that has it, "_" the name.
    assert listing(text="100%") == ["checkout-web"]
    assert listing(text="old_") == ["old_lib"]
    assert listing(text="zzz-nothing") == []


def test_facets_count_each_field_under_the_other_filters(catalog: Path) -> None:
    with session_scope() as s:
        flt = q.EntityFilter.build(kind="component", owner="team-a")
        facets = q.facet_counts(s, flt, ["kind", "owner", "tag", "lifecycle"])
    # kind ignores the kind filter but keeps the owner filter: team-a's entities by kind.
    assert facets["kind"] == [
        {"value": "component", "count": 2},
        {"value": "api", "count": 1},
        {"value": "resource", "count": 1},
        {"value": "system", "count": 1},
    ]
    assert facets["owner"] == [
        {"value": "group:default/team-a", "count": 2},
        {"value": "group:default/ghost-team", "count": 1},
        {"value": "group:default/team-b", "count": 1},
    ]
    assert facets["tag"] == [
        {"value": "python", "count": 2},
        {"value": "payments", "count": 1},
    ]
    assert facets["lifecycle"] == [{"value": "production", "count": 2}]
    with session_scope() as s, pytest.raises(Invalid):
        q.facet_counts(s, None, ["colour"])


@pytest.mark.parametrize("sort", q.SORTS)
def test_keyset_pages_cover_everything_once_in_order(catalog: Path, sort: str) -> None:
    with session_scope() as s:
        full = [e.uid for e in q.list_entities(s, None, sort=sort, limit=500).items]
        seen: list[str] = []
        cursor = None
        while True:
            page = q.list_entities(s, None, sort=sort, limit=3, cursor=cursor)
            assert page.total == len(full)
            seen += [e.uid for e in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
    assert seen == full


def test_keyset_pages_stay_stable_while_the_catalog_changes(catalog: Path) -> None:
    with session_scope() as s:
        first = q.list_entities(s, q.EntityFilter.build(kind="component"), limit=2)
    assert names(first) == ["checkout-web", "ledger"]
    # A new entity sorting before the cursor must not shift the next page (offset paging would).
    with session_scope() as s:
        row = s.get(Entity, first.items[0].uid)
        assert row is not None
        clone = Entity(
            **{
                **row.model_dump(),
                "uid": "00000000-0000-0000-0000-000000000001",
                "ref": "component:default/aaa-new",
                "name": "aaa-new",
            }
        )
        s.add(clone)
    with session_scope() as s:
        second = q.list_entities(
            s, q.EntityFilter.build(kind="component"), limit=2, cursor=first.next_cursor
        )
    assert names(second) == ["old_lib", "pay-svc"]
    assert second.total == 5


def test_bad_cursor_and_sort_are_invalid(catalog: Path) -> None:
    with session_scope() as s:
        page = q.list_entities(s, None, sort="name", limit=2)
        with pytest.raises(Invalid):
            q.list_entities(s, None, sort="-score", cursor=page.next_cursor)
        with pytest.raises(Invalid):
            q.list_entities(s, None, cursor="not-a-cursor")
        with pytest.raises(Invalid):
            q.list_entities(s, None, sort="colour")


def test_get_entity_with_relations(catalog: Path) -> None:
    with session_scope() as s:
        detail = q.get_entity(s, "Component", "Default", "PAY-SVC")
        rels = {(r.type, r.target_ref): r for r in detail.relations}
        with pytest.raises(NotFound):
            q.get_entity(s, "component", "default", "nope")
    assert detail.entity.name == "pay-svc"
    assert set(rels) >= {
        ("ownedBy", "group:default/team-a"),
        ("partOf", "system:default/payments"),
        ("providesApi", "api:default/payments-api"),
        ("dependsOn", "resource:default/payments-db"),
    }
    owner = rels[("ownedBy", "group:default/team-a")]
    assert (owner.exists, owner.title, owner.url) == (True, "Team A", "/teams/team-a")
    api = rels[("providesApi", "api:default/payments-api")]
    assert api.url == "/catalog/api/default/payments-api"


def test_org_relations_link_people_and_teams_by_their_display_name(catalog: Path) -> None:
    with session_scope() as s:
        team = q.get_entity(s, "group", "default", "team-a")
        alice = q.get_entity(s, "user", "default", "alice")
    members = {r.target_ref: r for r in team.relations if r.type == "hasMember"}
    assert set(members) == {"user:default/alice", "user:default/bob"}
    assert (members["user:default/alice"].title, members["user:default/alice"].url) == (
        "Alice Archer",
        "/catalog/user/default/alice",
    )
    owns = {r.target_ref for r in team.relations if r.type == "ownerOf"}
    assert "component:default/pay-svc" in owns
    teams = [r for r in alice.relations if r.type == "memberOf"]
    assert [(r.title, r.url) for r in teams] == [("Team A", "/teams/team-a")]


def test_serialize_is_backstage_shaped(catalog: Path) -> None:
    with session_scope() as s:
        detail = q.get_entity(s, "component", "default", "pay-svc")
    item = entity_to_api(detail.entity, [(r.type, r.target_ref) for r in detail.relations])
    assert item["apiVersion"] == "backstage.io/v1alpha1"
    assert item["kind"] == "Component"
    meta = item["metadata"]
    assert meta["name"] == "pay-svc"
    assert meta["namespace"] == "default"
    assert meta["uid"] == detail.entity.uid
    assert meta["etag"] == detail.entity.etag
    assert meta["tags"] == ["python", "payments"]
    assert item["spec"]["owner"] == "team-a"
    assert {"type": "ownedBy", "targetRef": "group:default/team-a"}.items() <= next(
        r for r in item["relations"] if r["type"] == "ownedBy"
    ).items()
    assert project_fields(item, ["kind", "metadata.name"]) == {
        "kind": "Component",
        "metadata": {"name": "pay-svc"},
    }


def test_orphans_carry_backstages_annotation(catalog: Path) -> None:
    with session_scope() as s:
        s.execute(update(Entity).where(Entity.name == "ledger").values(status="orphaned"))
    with session_scope() as s:
        detail = q.get_entity(s, "component", "default", "ledger")
        assert listing(status="orphaned") == ["ledger"]
    annotations = entity_to_api(detail.entity)["metadata"]["annotations"]
    assert annotations["backstage.io/orphan"] == "true"


def test_search_everything_puts_prefix_matches_first(catalog: Path) -> None:
    hits = q.search_everything("pay")
    assert [h["title"] for h in hits[:2]] == ["Payment Service", "payments"]
    assert hits[0]["url"] == "/catalog/component/default/pay-svc"
    teams = q.search_everything("team")
    assert {"Team A", "team-b"} <= {h["title"] for h in teams}
    assert all(h["kind"] == "Team" for h in teams if h["title"] in ("Team A", "team-b"))
    people = q.search_everything("alice")
    assert people[0] == {
        "kind": "User",
        "title": "Alice Archer",
        "subtitle": "alice@example.com",  # the kind is said once, by its group
        "url": "/catalog/user/default/alice",
        "ref": "user:default/alice",
    }
    assert q.search_everything("   ") == []
    assert len(q.search_everything("a", limit=3)) == 3


def test_team_user_and_home_views(catalog: Path) -> None:
    team = q.team_view("team-a")
    assert team["title"] == "Team A"
    assert team["parent"]["ref"] == "group:default/org"
    assert [m["name"] for m in team["members"]] == ["alice", "bob"]
    assert team["members"][0]["title"] == "Alice Archer"
    owned = {e["name"] for e in team["owned"]}
    assert owned == {"pay-svc", "ledger", "payments-api", "payments-db", "payments"}
    assert team["owned_total"] == 5
    assert team["scorecard"]["entities"] == 5
    assert 0 < team["scorecard"]["score"] <= 100
    assert [c["name"] for c in q.team_view("org")["children"]] == ["team-a", "team-b"]
    with pytest.raises(NotFound):
        q.team_view("nobody")

    alice = q.user_view("alice")
    assert [t["name"] for t in alice["teams"]] == ["team-a"]
    assert {e["name"] for e in alice["owned"]} == owned

    home = q.home_summary("alice")
    assert [s["name"] for s in home["my_services"]] == ["ledger", "pay-svc"]
    assert home["my_team"]["name"] == "team-a"
    assert home["my_team"]["members"] == 2
    assert home["my_team"]["owned_total"] == 5
    assert q.home_summary("stranger") == {
        "my_services": [],
        "my_team": None,
        "teams": [],
        "owner_refs": ["user:default/stranger"],
        "change_targets": [],
    }


def test_home_services_follow_nested_groups(catalog: Path, tmp_path: Path) -> None:
    """What the parent group owns is also the services of its sub-teams' members."""
    extra = tmp_path / "org-owned" / "catalog-info.yaml"
    extra.parent.mkdir()
    extra.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: org-portal\n"
        "spec:\n  type: website\n  lifecycle: production\n  owner: org\n"
    )
    assert not import_locations([str(extra)]).errors
    home = q.home_summary("alice")  # alice is in team-a, a child of org
    assert [s["name"] for s in home["my_services"]] == ["ledger", "org-portal", "pay-svc"]
    assert home["my_team"]["name"] == "team-a"


def _owned_by(name: str, **filters: str) -> q.EntityFilter:
    """The catalog page's "Owned by me" for ``name``: their ref and their groups (ancestors
    included), as the signed-in principal carries them."""
    principal = resolve_principal(name)
    return q.EntityFilter.build(**filters).owned_by_any((principal.ref, *principal.groups))  # type: ignore[arg-type]


def test_owned_by_me_is_the_users_and_their_groups(catalog: Path, tmp_path: Path) -> None:
    """What alice owns herself, through team-a, and through org (team-a's parent); AND-ed with
    the owner facet; and never what another user's switch finds."""
    mine = tmp_path / "alice-owned" / "catalog-info.yaml"
    mine.parent.mkdir()
    mine.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: alice-tool\n"
        "spec:\n  type: library\n  lifecycle: experimental\n  owner: user:alice\n"
    )
    assert not import_locations([str(mine)]).errors

    def names_of(flt: q.EntityFilter) -> list[str]:
        with session_scope() as s:
            return names(q.list_entities(s, flt, limit=500))

    alice = _owned_by("alice")
    assert names_of(alice) == [
        "alice-tool",
        "commerce",
        "ledger",
        "pay-svc",
        "payments",
        "payments-api",
        "payments-db",
    ]
    assert names_of(_owned_by("alice", kind="component")) == ["alice-tool", "ledger", "pay-svc"]
    assert names_of(_owned_by("alice", owner="org")) == ["commerce"]
    assert names_of(_owned_by("alice", owner="team-b")) == []  # AND with the owner facet
    assert names_of(_owned_by("carol")) == ["broken-api", "checkout-web", "commerce"]
    assert names_of(_owned_by("stranger")) == []  # a service account owns nothing here

    # One sorted stored form: the same owners make the same (cache) key, others another.
    principal = resolve_principal("alice")
    again = q.EntityFilter().owned_by_any(
        ["Group:Org", *reversed(sorted(principal.groups)), "User:alice"]
    )
    assert again.owned_by == ("group:default/org", "group:default/team-a", "user:default/alice")
    assert again == alice and hash(again) == hash(alice)
    assert alice != _owned_by("bob") and not alice.is_empty()
    assert "owned_by" not in alice.as_params()  # per user: no URL carries the refs
    with pytest.raises(Invalid):
        q.EntityFilter().owned_by_any(["", " "])

    with session_scope() as s:
        facets = q.facet_counts(s, alice, ["owner", "kind"])
        assert facets == facet_counts_sql(s, alice, ["owner", "kind"])  # bitmap index = SQL
        assert q.count_entities(s, alice) == 7
        assert q.count_entities(s) == q.list_entities(s, None, limit=1).total
    assert facets["owner"] == [
        {"value": "group:default/team-a", "count": 5},
        {"value": "group:default/org", "count": 1},
        {"value": "user:default/alice", "count": 1},
    ]


def test_scorecards(catalog: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with session_scope() as s:
        scores = {e.name: e.score for e in q.list_entities(s, None, limit=500).items}
        pay = evaluate_entity(s, q.get_entity(s, "component", "default", "pay-svc").entity)
        old = evaluate_entity(s, q.get_entity(s, "component", "default", "old_lib").entity)
        broken = evaluate_entity(s, q.get_entity(s, "api", "default", "broken-api").entity)
        good = evaluate_entity(s, q.get_entity(s, "api", "default", "payments-api").entity)
        by_team = team_scores(s)
    assert scores["pay-svc"] == 100
    assert pay["score"] == 100
    assert all(c["passed"] for c in pay["checks"])
    assert {c["id"]: c["passed"] for c in old["checks"]}["owner"] is False  # ghost-team
    assert {c["id"]: c["passed"] for c in broken["checks"]}["api_definition"] is False
    assert {c["id"]: c["passed"] for c in good["checks"]}["api_definition"] is True
    assert scores["alice"] is None and scores["team-a"] is None  # people are not scored
    team_a = [scores[n] for n in ("pay-svc", "ledger", "payments-api", "payments-db", "payments")]
    assert by_team["group:default/team-a"] == round(sum(team_a) / len(team_a), 1)
    # Sorting by score is SQL, so the catalog table can sort on it.
    with session_scope() as s:
        top = q.list_entities(s, q.EntityFilter.build(kind="component"), sort="-score").items
    assert top[0].name == "pay-svc"

    # Weights come from settings; 0 turns a check off.
    monkeypatch.setenv("PINCONSOLE_SCORECARD_CHECKS", '{"owner": 0, "description": 0}')
    get_settings.cache_clear()
    with session_scope() as s:
        changed = compute_scores(s, ["component:default/old_lib"])
        old = evaluate_entity(s, q.get_entity(s, "component", "default", "old_lib").entity)
    assert changed == 1
    assert "owner" not in {c["id"] for c in old["checks"]}
    monkeypatch.setenv("PINCONSOLE_SCORECARD_CHECKS", '{"colour": 1}')
    get_settings.cache_clear()
    with session_scope() as s, pytest.raises(ValueError, match="colour"):
        compute_scores(s)


@pytest.mark.parametrize(
    ("definition", "api_type", "ok"),
    [
        ('{"openapi": "3.0.0", "paths": {"/a": {}}}', "openapi", True),
        ("openapi: 3.0.0\npaths: {}\n", "openapi", False),
        ("openapi: 3.0.0\npaths:\n  /a: {get: {}}\n", "openapi", True),
        ("openapi: 3.0.0\npaths:\n  /a: {}\n---\nmore: 1\n", "openapi", False),
        ("openapi: [3", "openapi", False),
        ("", "openapi", False),
        ("type Query { a: Int }", "graphql", True),
    ],
)
def test_definition_parses(definition: str, api_type: str, ok: bool) -> None:
    assert definition_parses(definition, api_type) is ok


def test_catalog_errors_are_listed(db: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "catalog-info.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: x}\nspec: {}\n"
    )
    import_locations([str(bad)])
    with session_scope() as s:
        errors = q.catalog_errors(s)
    assert errors and errors[0]["source"].endswith("catalog-info.yaml")
    assert "document 1" in errors[0]["text"]


def test_cache_generation_moves_on_commit(db: str) -> None:
    before = cache.generation()
    assert cache.generation() == before  # reading does not move it
    with session_scope() as s:
        s.add(
            Entity(
                uid="u1",
                ref="user:default/z",
                kind="user",
                namespace="default",
                name="z",
                body={},
                etag="e",
            )
        )
    assert cache.generation() != before


def test_database_rendered_json_equals_python_serialisation(catalog: Path) -> None:
    """The API's PostgreSQL fast path renders exactly what ``entity_to_api`` builds."""
    import json

    with session_scope() as s:
        s.execute(update(Entity).where(Entity.name == "ledger").values(status="orphaned"))
    with session_scope() as s:
        page = q.list_entities(s, None, limit=500, with_relations=True)
        texts, total, _ = q.list_entities_json(s, None, limit=500)
        assert total == page.total == len(texts)
        for entity, text in zip(page.items, texts, strict=True):
            expected = entity_to_api(entity, page.relations[entity.ref])
            assert json.loads(text) == expected, entity.ref
            assert json.loads(q.entity_json(s, entity.ref)) == expected


def _stored_api_json() -> dict[str, str | None]:
    from sqlalchemy import text

    with session_scope() as s:
        rows = s.connection().execute(
            text("SELECT e.ref, s.rendered FROM entity e LEFT JOIN entity_api_json s USING (ref)")
        )
        return dict(rows.all())


def _assert_stored_equals_python() -> None:
    """Every stored rendering is exactly what ``entity_to_api`` builds from the rows."""
    import json

    stored = _stored_api_json()
    with session_scope() as s:
        page = q.list_entities(s, None, limit=500, with_relations=True)
    for entity in page.items:
        assert stored[entity.ref] is not None, f"{entity.ref} has no stored rendering"
        expected = entity_to_api(entity, page.relations[entity.ref])
        assert json.loads(stored[entity.ref] or "") == expected, entity.ref


def test_stored_api_json_follows_every_change(catalog: Path, db: str, tmp_path: Path) -> None:
    """PostgreSQL stores each entity's API rendering; any change empties it in the writer's
    transaction (so a reader never sees a stale one) and the next fill puts it back."""
    import json

    from pinconsole.catalog.materialize import fill_api_json

    if "postgresql" not in db:
        assert fill_api_json() == 0
        assert set(_stored_api_json().values()) == {None}  # SQLite renders in Python
        return
    _assert_stored_equals_python()  # the import filled everything
    assert fill_api_json() == 0  # nothing left to do: no write

    def stored(ref: str) -> str | None:
        return _stored_api_json()[ref]

    # A scorecard update renders nothing differently: the rendering stays.
    with session_scope() as s:
        s.execute(update(Entity).where(Entity.name == "pay-svc").values(score=7))
    assert stored("component:default/pay-svc") is not None
    # A status change empties that entity's rendering; readers render it meanwhile.
    with session_scope() as s:
        s.execute(update(Entity).where(Entity.name == "pay-svc").values(status="orphaned"))
    assert stored("component:default/pay-svc") is None
    with session_scope() as s:
        live = json.loads(q.entity_json(s, "component:default/pay-svc"))
    assert live["metadata"]["annotations"]["backstage.io/orphan"] == "true"
    # A new entity depending on pay-svc adds a relation whose source is pay-svc.
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "catalog-info.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: newcomer\n"
        "spec:\n  type: service\n  lifecycle: experimental\n  owner: team-b\n"
        "  dependsOn: [component:pay-svc]\n"
    )
    assert fill_api_json() == 1  # pay-svc's rendering is back before the relation change
    assert stored("component:default/pay-svc") is not None
    assert import_locations([str(extra)]).errors == []
    _assert_stored_equals_python()
    with session_scope() as s:
        served = json.loads(q.entity_json(s, "component:default/pay-svc"))
    assert {"type": "dependencyOf", "targetRef": "component:default/newcomer"} in [
        {"type": r["type"], "targetRef": r["targetRef"]} for r in served["relations"]
    ]
    # Removing the newcomer's location removes the relation again.
    (extra / "catalog-info.yaml").write_text("")
    import_locations([str(extra)])
    _assert_stored_equals_python()


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"kind": "component"},
        {"kind": "component", "owner": "team-a"},
        {"tag": "python,payments", "lifecycle": "production"},
        {"text": "payment", "kind": "component,api"},
        {"system": "payments", "type": "database,openapi"},
        {"namespace": "nowhere"},
    ],
)
def test_facet_bitmap_index_equals_sql(catalog: Path, filters: dict[str, str]) -> None:
    flt = q.EntityFilter.build(**filters)
    with session_scope() as s:
        fast = q.facet_counts(s, flt)
        slow = facet_counts_sql(s, flt, list(q.FACET_FIELDS))
    assert fast == slow


def test_facet_index_follows_writes(catalog: Path) -> None:
    with session_scope() as s:
        before = q.facet_counts(s, None, ["lifecycle"])["lifecycle"]
    with session_scope() as s:
        s.execute(update(Entity).where(Entity.name == "ledger").values(lifecycle="retired"))
    with session_scope() as s:
        after = q.facet_counts(s, None, ["lifecycle"])["lifecycle"]
    assert {"value": "retired", "count": 1} in after
    assert before != after


def test_refresh_scores_job_is_incremental(catalog: Path) -> None:
    from pinconsole.catalog.scorecards import refresh_scores
    from pinconsole.models._types import utcnow

    refresh_scores()  # full pass (first run in this state)
    with session_scope() as s:
        s.execute(
            update(Entity)
            .where(Entity.name == "pay-svc")
            .values(description="", updated_at=utcnow(), score=None)
        )
    assert refresh_scores() == 1
    with session_scope() as s:
        assert q.get_entity(s, "component", "default", "pay-svc").entity.score == 88  # 7 of 8


@pytest.mark.parametrize("sort", ["name", "-owner", "score"])
@pytest.mark.parametrize(
    "filters",
    [{}, {"kind": "component", "owner": "team-a,team-b"}, {"text": "pay"}, {"kind": "nothing"}],
)
async def test_event_loop_pages_equal_the_session_pages(
    catalog: Path, db: str, sort: str, filters: dict[str, str]
) -> None:
    """The API's event-loop list (PostgreSQL) answers what the session read does, page by page."""
    if "postgresql" not in db:
        pytest.skip("event-loop reads are PostgreSQL's")
    flt = q.EntityFilter.build(**filters)  # type: ignore[arg-type]
    cursor = None
    pages = 0
    while True:
        with session_scope() as s:
            expected = q.list_entities_json(s, flt, sort, 2, cursor)
        got = await q.list_entities_json_async(flt, sort, 2, cursor)
        assert got == expected
        pages += 1
        if expected[2] is None:
            break
        cursor = expected[2]
    # Several pages where there are rows; no rows: the total comes from the count alone.
    assert pages >= 2 or (filters.get("kind") == "nothing" and expected == ([], 0, None))


def test_a_large_fill_is_shared_by_two_connections(
    catalog: Path, db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above ``PARALLEL_FROM`` missing renderings two connections fill half each; together they
    store every one, exactly as one would."""
    from sqlalchemy import text

    from pinconsole.catalog import materialize

    if "postgresql" not in db:
        pytest.skip("stored renderings are PostgreSQL's")
    with session_scope() as s:
        s.connection().execute(text("DELETE FROM entity_api_json"))
    total = len(_stored_api_json())
    monkeypatch.setattr(materialize, "PARALLEL_FROM", 1)
    assert materialize.fill_api_json() == total
    _assert_stored_equals_python()
    assert materialize.fill_api_json() == 0
