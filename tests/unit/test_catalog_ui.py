"""Display helpers of the catalog pages: OpenAPI operations, refs shown and linked, scores."""

from __future__ import annotations

import json

from pinconsole.catalog.openapi import describe
from pinconsole.state.catalog import ref_url, score_intent, short_ref

OPENAPI = """
openapi: 3.0.3
info: {title: Pets, version: "1.0"}
paths:
  /pets:
    parameters: []
    get: {summary: List pets}
    post: {operationId: createPet, description: Add a pet}
  /pets/{id}:
    delete: {summary: Remove}
"""


def test_openapi_operations_in_file_order() -> None:
    api = describe(OPENAPI)
    assert api.error == ""
    assert [(o["method"], o["path"], o["summary"]) for o in api.operations] == [
        ("GET", "/pets", "List pets"),
        ("POST", "/pets", "Add a pet"),
        ("DELETE", "/pets/{id}", "Remove"),
    ]
    assert api.info == {"title": "Pets", "version": "1.0", "spec": "OpenAPI 3.0.3"}


def test_openapi_operations_json_and_broken() -> None:
    doc = {"swagger": "2.0", "paths": {"/x": {"put": {"summary": "Put x"}}}}
    assert describe(json.dumps(doc)).operations[0]["method"] == "PUT"
    assert describe("a: [unclosed").error.startswith("The definition is not valid")
    assert describe("info: {}").error == "The definition has no paths."


def test_a_deeply_nested_definition_is_a_message_not_a_recursion_error() -> None:
    """The definition is a descriptor's text: it gets the descriptors' limits (yaml.safe_load
    raised RecursionError at ~1,000 levels, failing the whole entity page)."""
    assert "not valid" in describe("paths: " + "[" * 3000 + "]" * 3000).error


def test_refs_for_display() -> None:
    assert short_ref("group:default/team-a") == "team-a"
    assert short_ref("system:ops/billing") == "ops/billing"
    assert short_ref(None) == ""
    assert ref_url("group:default/team-a") == "/teams/team-a"
    assert ref_url("system:ops/billing") == "/catalog/system/ops/billing"
    assert ref_url("") == ""
    assert [score_intent(s) for s in (None, 90, 60, 10)] == [
        "neutral",
        "success",
        "warning",
        "error",
    ]


def test_location_label_is_relative_to_the_imported_root() -> None:
    from pinconsole.state.entity import location_label

    demo = "/srv/data/demo-catalog"
    assert location_label(demo, f"file:{demo}/repos/pay/catalog-info.yaml") == (
        "demo-catalog/repos/pay/catalog-info.yaml",
        "",
        f"{demo}/repos/pay/catalog-info.yaml",
    )
    single = "/tmp/pytest-1/valid/catalog-info.yaml"  # a file location: its folder is the root
    assert location_label(single, "file:/tmp/pytest-1/valid/apis.yaml")[0] == "valid/apis.yaml"
    assert location_label(single, f"file:{single}")[0] == "valid/catalog-info.yaml"
    assert location_label(single, "")[0] == "valid/catalog-info.yaml"
    url = "http://git.example/org/repo/apis.yaml"
    assert location_label("http://git.example/org/repo/catalog-info.yaml", f"url:{url}") == (
        url,
        url,
        url,
    )
    assert location_label("provider:ldap", "provider:ldap")[:2] == ("provider ldap", "")
    assert location_label(demo, "file:/elsewhere/x.yaml")[0] == "x.yaml"


def test_facet_button_labels() -> None:
    from pinconsole.state.catalog import _values, facet_button_label

    assert facet_button_label("kind", []) == "Any kind"
    assert facet_button_label("owner", ["group:default/team-a"]) == "team-a"
    assert facet_button_label("lifecycle", ["production", "deprecated"]) == (
        "production, deprecated"
    )
    assert facet_button_label("tag", ["python", "payments", "fintech", "web"]) == "4 tags"
    assert _values(" production,,deprecated ,production") == ["production", "deprecated"]
