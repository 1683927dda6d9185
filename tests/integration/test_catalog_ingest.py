"""Catalog ingestion against real databases (SQLite and PostgreSQL) and a real HTTP server."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from fixtures.web import allow_reading, base_url, files, host_port, serving
from sqlalchemy import event, func, select
from typer.testing import CliRunner

from pinconsole.catalog.cli import app as catalog_cli
from pinconsole.catalog.ingest import (
    apply_provider_entities,
    import_locations,
    purge_orphans,
    utcnow,
)
from pinconsole.catalog.locations import refresh_locations, register_location
from pinconsole.db import get_engine, session_scope
from pinconsole.models import AuditEvent, CatalogError, Entity, EntityTag, Location, Relation

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "catalog"


def _entities() -> dict[str, Entity]:
    with session_scope() as s:
        return {e.ref: e for e in s.exec(select(Entity)).scalars()}


def _relations() -> set[tuple[str, str, str]]:
    with session_scope() as s:
        rows = s.exec(select(Relation.source_ref, Relation.type, Relation.target_ref)).all()
    return {tuple(r) for r in rows}  # type: ignore[misc]


class _Writes:
    """Counts INSERT/UPDATE/DELETE statements on catalog tables (errors/locations excluded)."""

    def __init__(self, url: str) -> None:
        self.engine = get_engine(url)
        self.statements: list[str] = []

    def _hook(self, conn, cursor, statement, params, context, executemany) -> None:
        head = statement.lstrip().upper()
        if head.startswith(("INSERT", "UPDATE", "DELETE", "COPY")) and any(
            f" {t}" in head or f'"{t}"' in head.lower() for t in ("ENTITY", "RELATION")
        ):
            self.statements.append(statement)

    def __enter__(self) -> _Writes:
        event.listen(self.engine, "before_cursor_execute", self._hook)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._hook)


@pytest.fixture
def valid_dir(tmp_path: Path) -> Path:
    target = tmp_path / "valid"
    shutil.copytree(FIXTURES / "valid", target)
    return target


def test_every_kind_relation_and_substitution(db: str, valid_dir: Path) -> None:
    summary = import_locations([str(valid_dir)])
    assert summary.errors == []
    assert summary.added == 17
    ents = _entities()
    kinds = {e.kind for e in ents.values()}
    assert kinds == {
        "component",
        "api",
        "resource",
        "system",
        "domain",
        "group",
        "user",
        "location",
        "template",
    }
    svc = ents["component:default/payments-service"]
    assert svc.owner_ref == "group:default/payments-team"
    assert svc.system_ref == "system:default/payments"
    assert svc.spec_type == "service" and svc.lifecycle == "production"
    assert svc.search_text == (
        "payments-service payments service charges cards through the acquirer python payments"
    )
    assert ents["system:default/payments"].domain_ref == "domain:default/checkout"
    api = ents["api:default/payments-api"]
    assert api.body["spec"]["definition"].startswith("openapi: 3.0.0")
    assert api.body["metadata"]["links"][0]["type"] == "docs"
    assert ents["api:default/payment-events"].body["metadata"]["labels"]["team"] == "payments"
    assert '"asyncapi"' in ents["api:default/payment-events"].body["spec"]["definition"]
    # JSON Schema's $ref is data, not a substitution (as in Backstage).
    params = ents["template:default/python-service"].body["spec"]["parameters"]
    assert params[0]["properties"]["name"] == {"$ref": "#/definitions/name"}
    annotations = svc.body["metadata"]["annotations"]
    assert annotations["backstage.io/managed-by-location"].startswith("file:")
    assert annotations["backstage.io/managed-by-origin-location"] == f"file:{valid_dir}"
    with session_scope() as s:
        tags = set(s.exec(select(EntityTag.tag).where(EntityTag.entity_uid == svc.uid)).scalars())
    assert tags == {"python", "payments"}
    rels = _relations()
    pairs = [
        ("component:default/payments-service", "ownedBy", "ownerOf", "group:default/payments-team"),
        ("component:default/payments-service", "partOf", "hasPart", "system:default/payments"),
        ("component:default/ledger", "partOf", "hasPart", "component:default/payments-service"),
        ("system:default/payments", "partOf", "hasPart", "domain:default/checkout"),
        ("domain:default/checkout", "partOf", "hasPart", "domain:default/commerce"),
        ("api:default/payments-api", "partOf", "hasPart", "system:default/payments"),
        ("resource:default/payments-db", "partOf", "hasPart", "system:default/payments"),
        (
            "component:default/payments-service",
            "dependsOn",
            "dependencyOf",
            "resource:default/payments-db",
        ),
        ("resource:default/payments-db", "dependencyOf", "dependsOn", "component:default/ledger"),
        (
            "component:default/payments-service",
            "providesApi",
            "apiProvidedBy",
            "api:default/payments-api",
        ),
        (
            "component:default/checkout-web",
            "consumesApi",
            "apiConsumedBy",
            "api:default/payments-api",
        ),
        ("component:default/checkout-web", "ownedBy", "ownerOf", "user:default/jdoe"),
        ("user:default/jdoe", "memberOf", "hasMember", "group:default/payments-team"),
        ("user:infra/rsmith", "memberOf", "hasMember", "group:infra/platform-team"),
        ("group:default/payments-team", "childOf", "parentOf", "group:default/engineering"),
        ("group:infra/platform-team", "childOf", "parentOf", "group:default/engineering"),
        ("group:default/acme", "parentOf", "childOf", "group:default/engineering"),
        ("template:default/python-service", "ownedBy", "ownerOf", "group:default/engineering"),
    ]
    for source, forward, backward, target in pairs:
        assert (source, forward, target) in rels, (source, forward, target)
        assert (target, backward, source) in rels, (target, backward, source)


def _audit() -> list[AuditEvent]:
    with session_scope() as s:
        rows = list(s.exec(select(AuditEvent).order_by(AuditEvent.id)).scalars())
        s.expunge_all()
    return rows


def test_reimport_is_idempotent_with_zero_writes(db: str, valid_dir: Path) -> None:
    first = import_locations([str(valid_dir)])
    before = {ref: (e.uid, e.updated_at, e.etag) for ref, e in _entities().items()}
    with _Writes(db) as writes:
        second = import_locations([str(valid_dir)])
    assert (second.added, second.updated, second.unchanged, second.orphaned) == (0, 0, 17, 0)
    assert writes.statements == []
    assert {ref: (e.uid, e.updated_at, e.etag) for ref, e in _entities().items()} == before
    assert first.added == 17
    # The import that changed something is audited; the one that changed nothing is not.
    assert [(a.actor, a.action, a.target, a.after["added"]) for a in _audit()] == [
        ("cli", "catalog.import", str(valid_dir.resolve()), 17)
    ]
    # A change touches only the changed entity, and keeps its uid.
    path = valid_dir / "components" / "payments.yaml"
    path.write_text(path.read_text().replace("lifecycle: experimental", "lifecycle: production"))
    third = import_locations([str(valid_dir)])
    assert (third.added, third.updated, third.unchanged) == (0, 1, 16)
    web = _entities()["component:default/checkout-web"]
    assert web.lifecycle == "production" and web.uid == before[web.ref][0]
    assert ("component:default/checkout-web", "consumesApi", "api:default/payments-api") in (
        _relations()
    )


def test_broken_descriptors_report_and_do_not_block(db: str) -> None:
    summary = import_locations([str(FIXTURES / "broken")])
    assert summary.added == 1
    assert set(_entities()) == {"component:default/healthy-service"}
    by_doc = {e.document: e for e in summary.errors}
    assert sorted(by_doc) == [1, 2, 3, 4, 5, 6, 7]
    assert by_doc[1].field == "spec.owner" and "required" in by_doc[1].message
    assert by_doc[2].field == "metadata.name"
    assert by_doc[3].field == "spec.dependsOn[0]" and "has no kind" in by_doc[3].message
    assert "invalid YAML" in by_doc[4].message and by_doc[4].line == 42
    assert by_doc[5].field == "kind" and "did you mean Component" in by_doc[5].message
    assert "outside the location root" in by_doc[6].message
    assert "file not found" in by_doc[7].message
    text = str(by_doc[1])
    assert text.endswith(
        "catalog-info.yaml:14: document 2: spec.owner: spec.owner is required for kind Component"
    )
    with session_scope() as s:
        stored = s.exec(select(CatalogError)).scalars().all()
    assert len(stored) == 7 and {e.document for e in stored} == set(by_doc)
    # Errors are replaced per location on each pass, not accumulated.
    import_locations([str(FIXTURES / "broken")])
    with session_scope() as s:
        assert s.exec(select(func.count()).select_from(CatalogError)).one()[0] == 7


def test_location_cycles_are_followed_once(db: str) -> None:
    summary = import_locations([str(FIXTURES / "cycle" / "catalog-info.yaml")])
    assert summary.errors == []
    assert set(_entities()) == {
        "location:default/cycle-a",
        "location:default/cycle-b",
        "system:default/loopy",
    }


def test_orphaning_and_purge(db: str, valid_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import_locations([str(valid_dir)])
    path = valid_dir / "components" / "payments.yaml"
    docs = path.read_text().split("---\n")
    path.write_text("---\n".join(docs[:2]))  # checkout-web disappears
    summary = import_locations([str(valid_dir)])
    assert summary.orphaned == 1 and summary.unchanged == 16
    web = _entities()["component:default/checkout-web"]
    assert web.status == "orphaned" and web.orphaned_at is not None
    assert purge_orphans() == 0  # inside the grace period
    assert purge_orphans(now=utcnow() + timedelta(hours=73)) == 1
    assert "component:default/checkout-web" not in _entities()
    purge = [a for a in _audit() if a.action == "catalog.orphans.purge"]
    assert [(a.actor, a.target, a.before["refs"]) for a in purge] == [
        ("scheduler", "component:default/checkout-web", ["component:default/checkout-web"])
    ]
    assert [a.after["orphaned"] for a in _audit() if a.action == "catalog.import"] == [0, 1]
    assert not any(r[0] == "component:default/checkout-web" for r in _relations())
    # An orphan that comes back is active again.
    import_locations([str(valid_dir)])
    path.write_text("---\n".join(docs))
    back = import_locations([str(valid_dir)])
    assert back.added == 1 and _entities()["component:default/checkout-web"].status == "active"


def test_dir_relations_with_two_origins(db: str, valid_dir: Path) -> None:
    """jdoe's memberOf and the group's members state the same pair; both rows survive."""
    import_locations([str(valid_dir)])
    org = valid_dir / "org.yaml"
    org.write_text(org.read_text().replace("  members: [jdoe]\n", ""))
    import_locations([str(valid_dir)])
    assert ("group:default/payments-team", "hasMember", "user:default/jdoe") in _relations()


@pytest.fixture
def http_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Path, ThreadingHTTPServer]]:
    root = tmp_path / "www"
    shutil.copytree(FIXTURES / "valid", root)
    with serving(files(root)) as server:
        allow_reading(monkeypatch, host_port(server))  # loopback is read only when listed
        yield base_url(server), root, server


def test_url_import_and_unreachable_location(db: str, http_root: tuple) -> None:
    base, root, server = http_root
    # A URL location: globs don't apply over HTTP, so list files explicitly.
    (root / "catalog-info.yaml").write_text(
        (root / "catalog-info.yaml")
        .read_text()
        .replace("./components/*.yaml", "./components/payments.yaml")
    )
    url = f"{base}/catalog-info.yaml"
    summary = import_locations([url])
    assert summary.errors == [] and summary.added == 17
    api = _entities()["api:default/payments-api"]
    assert api.body["spec"]["definition"].startswith("openapi")
    assert api.location_key == url
    # A file missing behind a Location: error, and its entities are not orphaned.
    (root / "apis.yaml").unlink()
    partial = import_locations([url])
    assert partial.orphaned == 0 and any("HTTP 404" in e.message for e in partial.errors)
    assert _entities()["api:default/payments-api"].status == "active"
    # The whole location unreachable: nothing changes, the error is recorded.
    server.shutdown()
    server.server_close()
    down = import_locations([url])
    assert [e.message for e in down.errors] == [f"cannot fetch {url}: not allowed or not reachable"]
    ents = _entities()
    assert len(ents) == 17 and all(e.status == "active" for e in ents.values())
    with session_scope() as s:
        stored = s.exec(select(CatalogError.message)).scalars().all()
    assert len(stored) == 1 and "not allowed or not reachable" in stored[0]


def test_missing_file_changes_nothing(db: str, valid_dir: Path) -> None:
    target = valid_dir / "org.yaml"
    import_locations([str(target)])
    target.rename(valid_dir / "moved.yaml")
    summary = import_locations([str(target)])
    assert summary.errors[0].message == "file not found" and summary.orphaned == 0
    assert all(e.status == "active" for e in _entities().values())


def _user(name: str, **spec: object) -> dict[str, object]:
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "User",
        "metadata": {"name": name},
        "spec": {"memberOf": ["team-a"], **spec},
    }


def _group(name: str) -> dict[str, object]:
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Group",
        "metadata": {"name": name},
        "spec": {"type": "team", "children": []},
    }


def test_apply_provider_entities(db: str) -> None:
    entities = [_group("team-a"), _user("ann"), _user("bob")]
    with session_scope() as s:
        r = apply_provider_entities(s, "ldap-main", entities)
    assert (r.added, r.updated, r.removed, r.unchanged) == (3, 0, 0, 0)
    assert _entities()["user:default/ann"].location_key == "provider:ldap-main"
    with _Writes(db) as writes, session_scope() as s:
        r = apply_provider_entities(s, "ldap-main", entities)
    assert (r.added, r.updated, r.removed, r.unchanged) == (0, 0, 0, 3)
    assert writes.statements == []
    changed = [_group("team-a"), _user("ann", profile={"email": "ann@x.example"}), _user("cid")]
    with session_scope() as s:
        dry = apply_provider_entities(s, "ldap-main", changed, dry_run=True)
    assert (dry.added, dry.updated, dry.removed, dry.removed_refs) == (
        1,
        1,
        1,
        ["user:default/bob"],
    )
    assert "user:default/bob" in _entities()
    with session_scope() as s:
        r = apply_provider_entities(s, "ldap-main", changed)
    assert (r.added, r.updated, r.removed, r.unchanged) == (1, 1, 1, 1)
    ents = _entities()
    assert "user:default/bob" not in ents and "user:default/cid" in ents
    assert not any("user:default/bob" in (r[0], r[2]) for r in _relations())
    # Another provider's entities are untouched; a clash with them is an error, not a takeover.
    with session_scope() as s:
        other = apply_provider_entities(s, "ldap-other", [_user("ann"), _user("dan")])
    assert (
        other.added == 1
        and len(other.errors) == 1
        and "already provided" in (other.errors[0].message)
        and other.errors[0].field == "metadata.name"
    )
    with session_scope() as s:
        bad = apply_provider_entities(s, "ldap-main", [*changed, {"kind": "User"}])
    assert bad.removed == 0 and bad.errors[0].document == 3


def test_cli_import_exit_codes(db: str, valid_dir: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(catalog_cli, ["import", str(valid_dir)])
    assert ok.exit_code == 0, ok.output
    assert "added 17, updated 0, unchanged 0, orphaned 0, errors 0" in ok.output
    bad = runner.invoke(catalog_cli, ["import", str(FIXTURES / "broken")])
    assert bad.exit_code == 1
    assert "document 2: spec.owner: spec.owner is required" in bad.output


def test_register_and_refresh(db: str, valid_dir: Path) -> None:
    loc = register_location(str(valid_dir), "alice")
    assert loc.registered_by == "alice" and loc.last_refresh_at is not None
    assert register_location(str(valid_dir), "bob", refresh=False).id == loc.id
    with session_scope() as s:
        assert len(s.exec(select(Location)).scalars().all()) == 1
    results = refresh_locations()
    assert results[str(valid_dir)].unchanged == 17
    from pinconsole.models import AuditEvent

    with session_scope() as s:
        events = s.exec(select(AuditEvent.actor, AuditEvent.action, AuditEvent.target)).all()
    # The registration and the import it ran; the unchanged scheduled refresh adds nothing.
    assert [tuple(e) for e in events] == [
        ("alice", "catalog.location.register", str(valid_dir)),
        ("alice", "catalog.import", str(valid_dir)),
    ]


def test_concurrent_imports_of_one_location(db: str, valid_dir: Path) -> None:
    results: list[object] = []

    def run() -> None:
        try:
            results.append(import_locations([str(valid_dir)]))
        except Exception as exc:  # surfaced by the assertion below
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(not isinstance(r, Exception) for r in results), results
    assert sum(r.added for r in results) == 17  # type: ignore[attr-defined]
    assert len(_entities()) == 17


def test_awkward_text_round_trips(db: str, tmp_path: Path) -> None:
    """Tabs, backslashes, newlines and non-ASCII survive the bulk write paths (COPY on PG)."""
    description = "Tab\there, back\\slash, new\nline, \\N, émoji ✓"
    (tmp_path / "catalog-info.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: odd\n"
        f"  description: {json_quote(description)}\n"
        "spec: {type: service, lifecycle: production, owner: team-a}\n",
        encoding="utf-8",
    )
    assert import_locations([str(tmp_path)]).errors == []
    odd = _entities()["component:default/odd"]
    assert odd.description == description
    assert odd.body["metadata"]["description"] == description


def json_quote(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


def test_entity_turned_invalid_keeps_last_good_version(db: str, valid_dir: Path) -> None:
    import_locations([str(valid_dir)])
    path = valid_dir / "components" / "payments.yaml"
    path.write_text(path.read_text().replace("  owner: user:jdoe\n", ""))
    summary = import_locations([str(valid_dir)])
    assert summary.orphaned == 0 and summary.unchanged == 16
    assert [e.field for e in summary.errors] == ["spec.owner"]
    web = _entities()["component:default/checkout-web"]
    assert web.status == "active" and web.owner_ref == "user:default/jdoe"


def test_oversized_values_do_not_break_the_pass(db: str, tmp_path: Path) -> None:
    long_title = "T" * 600
    (tmp_path / "catalog-info.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: wide\n"
        f"  title: {long_title}\n"
        "spec: {type: service, lifecycle: production, owner: team-a}\n"
        "---\n"
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: long-owner\n"
        f"spec: {{type: service, lifecycle: production, owner: {'o' * 450}}}\n"
    )
    summary = import_locations([str(tmp_path)])
    assert [(e.document, e.field) for e in summary.errors] == [(1, "spec.owner")]
    wide = _entities()["component:default/wide"]
    assert wide.title == long_title[:500] and wide.body["metadata"]["title"] == long_title


def test_unchanged_fast_path_falls_back_when_rows_change_meanwhile(
    db: str, valid_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pinconsole.catalog.ingest as ingest

    import_locations([str(valid_dir)])
    real = ingest._prepare_all
    calls: list[bool] = []

    def tampering(docs, key, known):
        calls.append(bool(known))
        if len(calls) == 1:  # someone rewrites a row between our read and our write
            with session_scope() as s:
                s.connection().execute(
                    ingest._E.update()
                    .where(ingest._E.c.ref == "component:default/ledger")
                    .values(etag="x")
                )
        return real(docs, key, known)

    monkeypatch.setattr(ingest, "_prepare_all", tampering)
    summary = import_locations([str(valid_dir)])
    assert calls == [True, False]
    assert (summary.updated, summary.unchanged) == (1, 16)
    assert _entities()["component:default/ledger"].etag != "x"


def test_backstage_export_output_fields_are_dropped(db: str, tmp_path: Path) -> None:
    (tmp_path / "catalog-info.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        "metadata: {name: exported, uid: 1234, etag: abc, generation: 3}\n"
        "spec: {type: service, lifecycle: production, owner: team-a}\n"
        "relations: [{type: ownedBy, targetRef: 'group:default/someone-else'}]\n"
        "status: {items: []}\n"
    )
    assert import_locations([str(tmp_path)]).errors == []
    body = _entities()["component:default/exported"].body
    assert "relations" not in body and "status" not in body
    assert not {"uid", "etag", "generation"} & set(body["metadata"])
    assert ("component:default/exported", "ownedBy", "group:default/someone-else") not in (
        _relations()
    )
    again = import_locations([str(tmp_path)])
    assert again.unchanged == 1


def test_location_targets_cannot_escape_the_root(db: str, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata: {name: secret}\n"
        "spec: {owner: team-a}\n"
    )
    repo = tmp_path / "repo"
    (repo / "linked").mkdir(parents=True)
    (repo / "linked" / "secret.yaml").symlink_to(outside / "secret.yaml")
    (repo / "catalog-info.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: repo}\n"
        "spec: {targets: [../outside/secret.yaml, ./linked/*.yaml]}\n"
    )
    (repo / "sub").mkdir()
    (repo / "sub" / "catalog-info.yaml").symlink_to(outside / "secret.yaml")
    summary = import_locations([str(repo)])
    assert [e.field for e in summary.errors] == [None, "spec.targets[0]", "spec.targets[1]"]
    assert all("outside the location root" in e.message for e in summary.errors)
    assert set(_entities()) == {"location:default/repo"}


def test_import_scores_what_it_wrote(db: str, valid_dir: Path) -> None:
    """Lists and team pages show scores right after an import, not after the scheduled job."""
    from pinconsole.catalog.scorecards import team_scorecard

    import_locations([str(valid_dir)])
    ents = _entities()
    assert ents["component:default/payments-service"].score == 88  # all but a docs link (7/8)
    assert ents["api:default/payments-api"].score is not None
    assert ents["user:default/jdoe"].score is None  # people are not scored
    path = valid_dir / "components" / "payments.yaml"
    path.write_text(path.read_text().replace("  tags: [python, payments]\n", ""))
    import_locations([str(valid_dir)])
    assert _entities()["component:default/payments-service"].score == 75  # no tags now (6/8)
    with session_scope() as s:
        card = team_scorecard(s, "group:default/payments-team")
    tags = next(c for c in card["checks"] if c["id"] == "tags")
    assert card["entities"] == 6 and (tags["passed"], tags["total"]) == (1, 4)
    # The live average agrees with the scores the import stored.
    with session_scope() as s:
        assert team_scorecard(s, "group:default/payments-team", with_checks=False) == {
            "score": card["score"],
            "checks": [],
        }
    assert 0 < card["score"] < 100
    # Without scoring (the benchmark measures it apart), scores stay as they were.
    path.write_text(path.read_text().replace("lifecycle: experimental", "lifecycle: production"))
    import_locations([str(valid_dir)], score=False)
    assert _entities()["component:default/checkout-web"].score == (
        ents["component:default/checkout-web"].score
    )


def test_people_are_searchable_by_display_name_and_email(db: str, valid_dir: Path) -> None:
    """Users and groups carry profile.displayName and email in search_text; migration 0011
    fills them in for rows stored before."""
    from alembic import command
    from pinconsole.catalog.query import search_everything
    from pinconsole.migrations import alembic_config, upgrade_database

    import_locations([str(valid_dir)])
    ents = _entities()
    assert ents["user:default/jdoe"].search_text == "jdoe jane doe jane.doe@acme.example"
    assert ents["group:default/acme"].search_text == "acme acme corp acme corp info@acme.example"
    assert [h["ref"] for h in search_everything("jane")] == ["user:default/jdoe"]
    assert [h["ref"] for h in search_everything("raj.smith@")] == ["user:infra/rsmith"]
    command.downgrade(alembic_config(db), "0010")
    assert _entities()["user:default/jdoe"].search_text == "jdoe"
    assert search_everything("jane") == []
    upgrade_database(db)
    assert _entities()["user:default/jdoe"].search_text == "jdoe jane doe jane.doe@acme.example"
    # Components are unchanged by it.
    assert _entities()["component:default/payments-service"].search_text == (
        ents["component:default/payments-service"].search_text
    )


def test_scores_written_with_the_import_match_a_full_rescore(db: str, valid_dir: Path) -> None:
    """The import scores rows as it writes them; a later full pass finds nothing to change."""
    from pinconsole.catalog.scorecards import compute_scores

    import_locations([str(valid_dir)])
    with session_scope() as s:
        assert compute_scores(s) == 0
    # An owner brought by a later target of the same pass: the component passes its owner check.
    comp, team = valid_dir.parent / "comp", valid_dir.parent / "team"
    comp.mkdir()
    team.mkdir()
    (comp / "catalog-info.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        "metadata: {name: late-owned, description: d, tags: [x]}\n"
        "spec: {type: service, lifecycle: production, owner: late-team, system: payments}\n"
    )
    (team / "catalog-info.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Group\n"
        "metadata: {name: late-team}\nspec: {type: team, children: []}\n"
    )
    import_locations([str(comp), str(team)])
    with session_scope() as s:
        assert compute_scores(s) == 0
    assert _entities()["component:default/late-owned"].score == 75  # no runbook, no docs (6/8)
