"""Entity refs, descriptor validation messages, relations and YAML positions (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pinconsole.catalog.descriptors import (
    Document,
    parse_documents,
    resolve_substitutions,
    resolve_target,
)
from pinconsole.catalog.refs import RefError, entity_ref, format_ref, parse_ref, ref_for_field
from pinconsole.catalog.relations import compute_relations
from pinconsole.catalog.validation import validate_entity

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "catalog"


def test_parse_ref_defaults() -> None:
    assert str(parse_ref("component:prod/Web")) == "component:prod/web"
    assert str(parse_ref("web", default_kind="component")) == "component:default/web"
    assert str(parse_ref("ns/web", default_kind="api")) == "api:ns/web"
    assert parse_ref("Group:Team-A").name == "Team-A"
    assert str(parse_ref({"kind": "User", "name": "jdoe"})) == "user:default/jdoe"
    assert format_ref("API", None, "Payments") == "api:default/payments"
    for bad in ("", ":x", "kind:/x", "kind:ns/", "a:b/c/d"):
        with pytest.raises(RefError):
            parse_ref(bad, default_kind="component")
    with pytest.raises(RefError, match="has no kind"):
        parse_ref("payments-db")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("owner", "team-a", "group:ops/team-a"),
        ("owner", "user:jdoe", "user:ops/jdoe"),
        ("system", "payments", "system:ops/payments"),
        ("domain", "commerce", "domain:ops/commerce"),
        ("subcomponentOf", "core", "component:ops/core"),
        ("providesApis", "default/pay", "api:default/pay"),
        ("consumesApis", "pay", "api:ops/pay"),
        ("memberOf", "team-a", "group:ops/team-a"),
        ("parent", "eng", "group:ops/eng"),
        ("children", "eng", "group:ops/eng"),
        ("members", "jdoe", "user:ops/jdoe"),
        ("dependsOn", "resource:db", "resource:ops/db"),
    ],
)
def test_field_defaults_use_entity_namespace(field: str, value: str, expected: str) -> None:
    assert ref_for_field(field, value, "ops") == expected


def test_depends_on_needs_a_kind() -> None:
    with pytest.raises(RefError):
        ref_for_field("dependsOn", "db", "default")


def _component(**spec: object) -> dict[str, object]:
    base = {"type": "service", "lifecycle": "production", "owner": "team-a"}
    base.update(spec)
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": "svc"},
        "spec": base,
    }


def test_validation_messages_name_the_field() -> None:
    assert validate_entity(_component()) == []
    body = _component()
    del body["spec"]["owner"]  # type: ignore[index]
    assert validate_entity(body) == [
        (("spec", "owner"), "spec.owner is required for kind Component")
    ]
    body = _component()
    body["metadata"] = {"name": "bad name", "tags": ["Bad_Tag"], "namespace": "Upper"}
    fields = {path for path, _ in validate_entity(body)}
    assert fields == {("metadata", "name"), ("metadata", "tags", 0), ("metadata", "namespace")}
    problems = validate_entity({"apiVersion": "backstage.io/v1alpha1", "kind": "Widget"})
    assert (
        ("kind",),
        "unknown kind 'Widget' (known kinds: Component, API, Resource, System, "
        "Domain, Group, User, Location, Template)",
    ) in problems
    assert (("metadata",), "metadata is required and must be a mapping") in problems
    group = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Group",
        "metadata": {"name": "g"},
        "spec": {"type": "team"},
    }
    assert validate_entity(group) == [
        (("spec", "children"), "spec.children is required for kind Group (may be [])")
    ]
    loc = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Location",
        "metadata": {"name": "l"},
        "spec": {},
    }
    assert validate_entity(loc) == []  # Backstage: the minimal Location spec is {}
    assert validate_entity({**loc, "spec": None}) == [
        (("spec",), "spec is required for kind Location and must be a mapping")
    ]
    assert validate_entity({**loc, "spec": {"target": 3, "presence": "maybe"}}) == [
        (("spec", "target"), "spec.target must be a string"),
        (("spec", "presence"), "spec.presence must be required or optional"),
    ]
    user = {"apiVersion": "backstage.io/v1alpha1", "kind": "User", "metadata": {"name": "u"}}
    assert validate_entity({**user, "spec": {"memberOf": []}}) == []
    assert validate_entity({**user, "spec": {"profile": {"email": "u@x"}}}) == [
        (("spec", "memberOf"), "spec.memberOf is required for kind User (may be [])")
    ]
    assert validate_entity(user) == [
        (("spec",), "spec is required for kind User and must be a mapping")
    ]
    for kind, spec in (
        ("System", {}),
        ("Domain", {"type": "product-area"}),
        ("Resource", {"type": "database"}),
    ):
        body = {"apiVersion": "backstage.io/v1alpha1", "kind": kind, "metadata": {"name": "x"}}
        assert (("spec", "owner"), f"spec.owner is required for kind {kind}") in validate_entity(
            {**body, "spec": spec}
        )
    api = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "API",
        "metadata": {"name": "a"},
        "spec": {"type": "openapi", "lifecycle": "x", "owner": "t", "definition": {"a": 1}},
    }
    assert validate_entity(api)[0][0] == ("spec", "definition")
    template = {
        "apiVersion": "scaffolder.backstage.io/v1beta3",
        "kind": "Template",
        "metadata": {"name": "t"},
        "spec": {"type": "service", "steps": []},
    }
    assert validate_entity(template) == []


def test_relations_both_directions() -> None:
    body = _component(
        system="payments",
        subcomponentOf="core",
        providesApis=["pay"],
        consumesApis=["api:other/fx"],
        dependsOn=["resource:db"],
        dependencyOf=["component:web"],
    )
    triples, problems = compute_relations(body)
    me = "component:default/svc"
    assert problems == []
    expected = {
        (me, "ownedBy", "group:default/team-a"),
        ("group:default/team-a", "ownerOf", me),
        (me, "partOf", "system:default/payments"),
        ("system:default/payments", "hasPart", me),
        (me, "partOf", "component:default/core"),
        ("component:default/core", "hasPart", me),
        (me, "providesApi", "api:default/pay"),
        ("api:default/pay", "apiProvidedBy", me),
        (me, "consumesApi", "api:other/fx"),
        ("api:other/fx", "apiConsumedBy", me),
        (me, "dependsOn", "resource:default/db"),
        ("resource:default/db", "dependencyOf", me),
        (me, "dependencyOf", "component:default/web"),
        ("component:default/web", "dependsOn", me),
    }
    assert set(triples) == expected
    group = {
        "kind": "Group",
        "metadata": {"name": "g", "namespace": "ns"},
        "spec": {"type": "team", "parent": "org", "children": ["sub"], "members": ["u"]},
    }
    assert set(compute_relations(group)[0]) == {
        ("group:ns/g", "childOf", "group:ns/org"),
        ("group:ns/org", "parentOf", "group:ns/g"),
        ("group:ns/g", "parentOf", "group:ns/sub"),
        ("group:ns/sub", "childOf", "group:ns/g"),
        ("group:ns/g", "hasMember", "user:ns/u"),
        ("user:ns/u", "memberOf", "group:ns/g"),
    }
    user = {"kind": "User", "metadata": {"name": "u"}, "spec": {"memberOf": ["g"]}}
    assert set(compute_relations(user)[0]) == {
        ("user:default/u", "memberOf", "group:default/g"),
        ("group:default/g", "hasMember", "user:default/u"),
    }
    system = {"kind": "System", "metadata": {"name": "s"}, "spec": {"owner": "t", "domain": "d"}}
    assert ("system:default/s", "partOf", "domain:default/d") in compute_relations(system)[0]
    bad = _component(dependsOn=["db"])
    assert compute_relations(bad)[1][0][0] == ("spec", "dependsOn", 0)
    odd = _component(owner="team a", consumesApis=["x\\y", "ok"])
    problems = compute_relations(odd)[1]
    assert [p for p, _ in problems] == [("spec", "owner"), ("spec", "consumesApis", 0)]
    assert "invalid characters" in problems[0][1]
    assert entity_ref(body) == me


def test_syntax_error_spoils_only_its_document() -> None:
    text = (FIXTURES / "broken" / "catalog-info.yaml").read_text()
    docs, errors, complete = parse_documents(text, "broken.yaml")
    assert not complete
    assert [d.index for d in docs] == [0, 1, 2, 3, 5, 6, 7]
    assert len(errors) == 1 and errors[0].document == 4 and errors[0].line == 42
    assert str(errors[0]).startswith("broken.yaml:42: document 5: invalid YAML")
    owner_doc = docs[1]
    err = owner_doc.error("missing", ("spec", "owner"))
    assert (err.document, err.field, err.line) == (1, "spec.owner", 14)


def test_timestamps_stay_strings() -> None:
    docs, _, _ = parse_documents("a: 2024-01-01\n", "x.yaml")
    assert docs[0].body == {"a": "2024-01-01"}


def test_substitutions_and_root(tmp_path: Path) -> None:
    (tmp_path / "spec.txt").write_text("hello")
    (tmp_path / "data.json").write_text('{"a": [1]}')
    (tmp_path / "data.yaml").write_text("b: 2\n")
    source = str(tmp_path / "catalog-info.yaml")
    body = {
        "x": {"$text": "./spec.txt"},
        "y": [{"$json": "data.json"}],
        "z": {"$yaml": "data.yaml"},
        "bad": {"$text": "../escape.txt"},
        "two": {"$yaml": "two.yaml"},
        # Left alone, as Backstage's PlaceholderProcessor does: JSON Schema's $ref, unknown
        # or non-string placeholders, and $-keys beside other keys.
        "schema": {"items": {"$ref": "#/definitions/node"}},
        "odd": {"$file": "x"},
        "nonstr": {"$text": 1},
        "mixed": {"$text": "./spec.txt", "other": 1},
    }
    (tmp_path / "two.yaml").write_text("a: 1\n---\nb: 2\n")
    doc = Document(body, source, 0, "", 0)
    errors = resolve_substitutions(doc, str(tmp_path), lambda p: Path(p).read_text())
    assert doc.body["x"] == "hello" and doc.body["y"] == [{"a": [1]}] and doc.body["z"] == {"b": 2}
    assert doc.body["schema"] == {"items": {"$ref": "#/definitions/node"}}
    assert doc.body["odd"] == {"$file": "x"} and doc.body["nonstr"] == {"$text": 1}
    assert doc.body["mixed"] == {"$text": "./spec.txt", "other": 1}
    assert {e.field for e in errors} == {"bad", "two"}
    assert "exactly one YAML document, found 2" in next(
        e.message for e in errors if e.field == "two"
    )
    assert "outside the location root" in next(e.message for e in errors if e.field == "bad")
    assert resolve_target("b.yaml", "http://h:1/x/a.yaml", "http://h:1/") == "http://h:1/x/b.yaml"
    with pytest.raises(ValueError):
        resolve_target("http://other/b.yaml", "http://h:1/x/a.yaml", "http://h:1/")


def test_fast_yaml_loader_matches_pyyaml() -> None:
    import yaml

    from pinconsole.catalog.descriptors import DescriptorLoader, load_all

    text = (
        "a: 1\nb: -2.5\nc: true\nd: ~\ne: null\nf: '12'\ng: 2024-01-02\nh: !!str 7\n"
        "i: &anchor {x: [1, two, {y: no}]}\nj: *anchor\nk:\n  <<: *anchor\n  z: .inf\n"
        "l: ''\nm: 0x1F\nn: Yes\no: plain text\n---\n- 1\n- [a, b]\n---\n"
    )
    assert load_all(text) == list(yaml.load_all(text, Loader=DescriptorLoader))
    for path in FIXTURES.rglob("*.yaml"):
        content = path.read_text()
        try:
            expected = list(yaml.load_all(content, Loader=DescriptorLoader))
        except yaml.YAMLError:
            continue
        assert load_all(content) == expected, path
    # A recursive alias would be an endless document once spelled out as JSON: refused.
    with pytest.raises(yaml.YAMLError, match="recursive alias"):
        load_all("a: &x [*x]\n")
