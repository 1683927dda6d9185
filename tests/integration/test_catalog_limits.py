"""Hostile descriptors on SQLite and PostgreSQL: each is refused alone, the rest is written.

Every test puts one attack among valid documents and checks that the valid ones are stored and
that the error names the document and the field (as ``/catalog/errors`` shows it).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, select
from typer.testing import CliRunner

from pinconsole.catalog.cli import app as catalog_cli
from pinconsole.catalog.ingest import import_locations
from pinconsole.db import get_engine, session_scope
from pinconsole.models import CatalogError, Entity


def _component(name: str, extra: str = "") -> str:
    return (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        f"metadata:\n  name: {name}\n"
        f"spec:\n  type: service\n  lifecycle: production\n  owner: team-a\n{extra}"
    )


def _import(tmp_path: Path, *attacks: str) -> tuple[set[str], list[CatalogError]]:
    """Import ``before``, the attack documents, ``after`` from one file; stored refs, errors."""
    path = tmp_path / "catalog-info.yaml"
    path.write_text("---\n".join([_component("before"), *attacks, _component("after")]))
    import_locations([str(path)])
    return _refs(), _errors()


def _refs() -> set[str]:
    with session_scope() as s:
        return set(s.exec(select(Entity.ref)).scalars())


def _errors() -> list[CatalogError]:
    with session_scope() as s:
        return list(s.exec(select(CatalogError).order_by(CatalogError.id)).scalars())


VALID = {"component:default/before", "component:default/after"}


def _bomb(levels: int) -> str:
    """The classic "billion laughs": each level lists the previous one nine times."""
    lines = ["    l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels):
        lines.append(f"    l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]")
    return "  laughs:\n" + "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_alone(db: str, tmp_path: Path) -> None:
    bomb = _component("bomb", _bomb(9))
    assert len(bomb) < 800  # a few hundred bytes that would expand to ~387 million strings
    refs, errors = _import(tmp_path, bomb)
    assert refs == VALID
    assert len(errors) == 1 and errors[0].document == 1
    assert "aliases expanded" in errors[0].message and "refused" in errors[0].message


def test_deep_nesting_is_refused_alone(db: str, tmp_path: Path) -> None:
    for depth in (970, 995):  # libyaml itself refuses 1,000 levels in all
        nested = _component("deep", "  x: " + "[" * depth + "]" * depth + "\n")
        refs, errors = _import(tmp_path, nested)
        assert refs == VALID
        assert [e.document for e in errors] == [1]
        assert "nests deeper than 64 levels" in errors[0].message


def test_oversized_file_and_document(db: str, tmp_path: Path) -> None:
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "catalog-info.yaml").write_text(
        _component("big", f"  notes: {'x' * 50_000_000}\n")
    )
    (tmp_path / "catalog-info.yaml").write_text(
        "---\n".join(
            [
                _component("before"),
                _component("fat", f"  notes: {'y' * 1_100_000}\n"),
                _component("after"),
            ]
        )
    )
    import_locations([str(tmp_path)])
    assert _refs() == VALID
    by_source = {(Path(e.source).parent.name, e.document): e.message for e in _errors()}
    assert "more than the limit of 20 MB (catalog_max_file_bytes)" in by_source[("big", None)]
    assert "document is 1.1 MB, more than the limit of 1 MB" in by_source[(tmp_path.name, 1)]


def test_names_and_tags_must_match_in_full(db: str, tmp_path: Path) -> None:
    newline_name = _component('"web\\n"')
    newline_tag = (
        _component("tagged")
        .replace("spec:", "spec:\n  x: 1\n", 1)
        .replace("  name: tagged\n", '  name: tagged\n  tags: ["python\\n"]\n')
    )
    newline_ns = _component("spaced").replace(
        "  name: spaced\n", '  name: spaced\n  namespace: "ns\\n"\n'
    )
    refs, errors = _import(tmp_path, newline_name, newline_tag, newline_ns)
    assert refs == VALID
    assert {(e.document, e.field) for e in errors} == {
        (1, "metadata.name"),
        (2, "metadata.tags[0]"),
        (3, "metadata.namespace"),
    }


def test_non_finite_numbers_name_their_field(db: str, tmp_path: Path) -> None:
    (tmp_path / "data.json").write_text('{"ratio": NaN}')
    refs, errors = _import(
        tmp_path,
        _component("nan", "  replicas: .nan\n"),
        _component("inf", "  limits: [1, -.inf]\n"),
        _component("json-nan", "  data: {$json: ./data.json}\n"),
    )
    assert refs == VALID
    assert [(e.document, e.field) for e in errors] == [
        (1, "spec.replicas"),
        (2, "spec.limits[1]"),
        (3, "spec.data.ratio"),
    ]
    assert all("not a number JSON can hold" in e.message for e in errors)


def test_nul_and_surrogates_are_refused_and_reported(db: str, tmp_path: Path) -> None:
    (tmp_path / "odd.json").write_text('{"s": "\\ud800"}')
    refs, errors = _import(
        tmp_path,
        _component("nul", '  description: "a\\0b"\n'),
        _component("nulkey").replace(
            "  name: nulkey\n", '  name: nulkey\n  annotations: {"a\\0": v}\n'
        ),
        _component("surrogate", "  odd: {$json: ./odd.json}\n"),
    )
    assert refs == VALID
    assert [(e.document, e.field) for e in errors] == [
        (1, "spec.description"),
        (2, "metadata.annotations.a\\x00"),  # stored escaped: the key itself is no valid text
        (3, "spec.odd.s"),
    ]
    assert "NUL" in errors[0].message and "surrogate" in errors[2].message


def test_what_copy_escapes_round_trips(db: str, tmp_path: Path) -> None:
    """Tabs, carriage returns and backslashes are data, on both backends."""
    odd = _component("odd", '  description: "tab\\there\\r\\nback\\\\slash \\\\. \\\\N"\n')
    refs, errors = _import(tmp_path, odd)
    assert errors == [] and refs == {*VALID, "component:default/odd"}
    with session_scope() as s:
        body = s.exec(select(Entity.body).where(Entity.name == "odd")).scalar_one()
    assert body["spec"]["description"] == "tab\there\r\nback\\slash \\. \\N"


@pytest.fixture
def two_locations(tmp_path: Path) -> tuple[Path, Path]:
    """Two locations that both define component:default/shared."""
    out = []
    for side in ("left", "right"):
        (tmp_path / side).mkdir()
        (tmp_path / side / "catalog-info.yaml").write_text(
            "---\n".join([_component("shared"), _component(f"only-{side}")])
        )
        out.append(tmp_path / side)
    return out[0], out[1]


@contextlib.contextmanager
def _together(db: str, parties: int) -> Iterator[None]:
    """Holds every import at its read of existing entities until all of them have read: both
    then insert the same ref, and one of them meets the other's row (a unique violation)."""
    barrier = threading.Barrier(parties, timeout=20)
    engine = get_engine(db)
    waited: set[int] = set()  # threads that met already: their retries go straight on

    def hold(conn, cursor, statement, params, context, executemany) -> None:
        me = threading.get_ident()
        if me not in waited and statement.lstrip().startswith(
            "SELECT entity.uid, entity.ref, entity.etag"
        ):
            waited.add(me)
            barrier.wait()

    event.listen(engine, "before_cursor_execute", hold)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", hold)


def _run_parallel(*calls) -> list[object]:
    results: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            results[i] = calls[i]()
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def _check_one_owner(left: Path, right: Path) -> None:
    assert _refs() == {
        "component:default/shared",
        "component:default/only-left",
        "component:default/only-right",
    }
    conflicts = [e for e in _errors() if "already provided by" in e.message]
    assert len(conflicts) == 1 and conflicts[0].entity_ref == "component:default/shared"
    assert conflicts[0].field == "metadata.name" and conflicts[0].document == 0


def test_concurrent_imports_of_one_ref(db: str, two_locations: tuple[Path, Path]) -> None:
    left, right = two_locations
    runner = CliRunner()
    with _together(db, 2):
        results = _run_parallel(
            lambda: import_locations([str(left)]),
            lambda: runner.invoke(catalog_cli, ["import", str(right)]),
        )
    assert not any(isinstance(r, BaseException) for r in results), results
    cli = results[1]
    assert cli.exception is None or isinstance(cli.exception, SystemExit), cli.exception
    _check_one_owner(left, right)


def test_concurrent_registrations_through_the_api(
    db: str, two_locations: tuple[Path, Path]
) -> None:
    from fastapi.testclient import TestClient

    from pinconsole.access.tokens import create_token
    from pinconsole.api.app import create_api
    from pinconsole.plugins.registry import get_registry

    left, right = two_locations
    token = create_token("root-bot", admin=True)
    with TestClient(create_api(get_registry()), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        with _together(db, 2):
            answers = _run_parallel(
                *(
                    (lambda t=t: client.post("/api/v1/locations", json={"target": str(t)}))
                    for t in (left, right)
                )
            )
    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    _check_one_owner(left, right)
    errors = [e for a in answers for e in a.json()["errors"]]
    assert any("already provided by" in e["message"] for e in errors), json.dumps(errors)


@pytest.fixture
def refuses_evil(db: str) -> Iterator[None]:
    """The database itself refuses one row validation lets through (a real constraint)."""
    engine = get_engine(db)
    if engine.dialect.name == "postgresql":
        create = "ALTER TABLE entity ADD CONSTRAINT no_evil_test CHECK (name <> 'evil')"
        drop = "ALTER TABLE entity DROP CONSTRAINT no_evil_test"
    else:
        create = (
            "CREATE TRIGGER no_evil_test BEFORE INSERT ON entity WHEN NEW.name = 'evil' "
            "BEGIN SELECT RAISE(ABORT, 'no evil'); END"
        )
        drop = "DROP TRIGGER no_evil_test"
    with engine.begin() as conn:
        conn.exec_driver_sql(create)
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(drop)


def test_a_row_the_database_refuses_is_isolated(
    db: str, tmp_path: Path, refuses_evil: None
) -> None:
    many = [_component(f"svc-{i}") for i in range(40)]
    refs, errors = _import(tmp_path, *many[:25], _component("evil"), *many[25:])
    assert refs == VALID | {f"component:default/svc-{i}" for i in range(40)}
    assert [(e.document, e.entity_ref) for e in errors] == [(26, "component:default/evil")]
    assert "could not be stored" in errors[0].message
