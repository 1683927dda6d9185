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


def test_only_http_urls_become_links() -> None:
    from pinconsole.state.entity import location_label, web_url

    for bad in (
        "javascript:alert(1)",
        "url:javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<b>x</b>",
        "file:/etc/passwd",
        "/srv/repo/catalog-info.yaml",
        "https://",
        "https://host/a b",
        "https://host/\x00",
        "https://host/" + "a" * 3000,
        "",
    ):
        assert web_url(bad) == "", bad
    assert web_url("url:https://git.example/org/repo/") == "https://git.example/org/repo/"
    assert web_url(" HTTP://git.example/x ") == "HTTP://git.example/x"
    assert location_label("x", "url:javascript:alert(1)")[1] == ""


def test_source_links_follow_backstage_annotations_then_the_location() -> None:
    from pinconsole.state.entity import source_links

    blob = "https://github.com/acme/pay/blob/main/catalog-info.yaml"
    managed = {"backstage.io/managed-by-location": f"url:{blob}"}
    assert source_links(managed) == (
        blob,
        "https://github.com/acme/pay/edit/main/catalog-info.yaml",
    )
    gitlab = "https://gitlab.example/acme/pay/-/blob/main/catalog-info.yaml"
    assert source_links({"backstage.io/managed-by-location": f"url:{gitlab}"})[1] == (
        "https://gitlab.example/acme/pay/-/edit/main/catalog-info.yaml"
    )
    # A plain file server has no edit form; a file location gives no links at all.
    plain = "http://files.example/catalog-info.yaml"
    assert source_links({"backstage.io/managed-by-location": f"url:{plain}"}) == (plain, "")
    assert source_links({"backstage.io/managed-by-location": "file:/srv/c.yaml"}) == ("", "")
    annotated = {
        **managed,
        "backstage.io/source-location": "url:https://github.com/acme/pay/tree/main/",
        "backstage.io/edit-url": "https://ide.example/acme/pay",
    }
    assert source_links(annotated) == (
        "https://github.com/acme/pay/tree/main/",
        "https://ide.example/acme/pay",
    )
    hostile = {**managed, "backstage.io/edit-url": "javascript:alert(1)"}
    assert source_links(hostile)[1] == "https://github.com/acme/pay/edit/main/catalog-info.yaml"
    assert source_links({"backstage.io/source-location": "javascript:x"}) == ("", "")


def test_org_relations_are_in_the_graph_with_one_label_per_direction() -> None:
    from types import SimpleNamespace

    from pinconsole.state.entity import _relations

    def rel(rtype: str, ref: str) -> SimpleNamespace:
        kind, _, rest = ref.partition(":")
        return SimpleNamespace(
            type=rtype,
            target_ref=ref,
            title=None,
            name=rest.split("/")[1],
            kind=kind,
            url=f"/x/{ref}",
            exists=True,
        )

    shown = _relations(
        [
            rel("childOf", "group:default/eng"),
            rel("hasMember", "user:default/ann"),
            rel("ownerOf", "component:default/pay"),
            rel("parentOf", "group:default/pay-web"),
        ],
        "group",
    )
    assert [(n["title"], n["edge"]) for n in shown["graph_in"]] == [
        ("ann", "member of"),
        ("pay-web", "child of"),
        ("pay", "owned by"),
    ]
    assert [(n["title"], n["edge"]) for n in shown["graph_out"]] == [("eng", "child of")]
    assert [g.label for g in shown["relation_groups"]] == ["Parent", "Members", "Children", "Owns"]
    assert shown["graph_empty_out"] == "No parent team"
    crowded = _relations(
        [rel("hasMember", f"user:default/u{i:02}") for i in range(20)]
        + [rel("ownerOf", "component:default/pay")],
        "group",
    )
    assert len(crowded["graph_in"]) == 10 and crowded["graph_more_in"] == 11
    assert crowded["graph_in"][-1]["title"] == "pay"  # what it owns is not crowded out
    component = _relations(
        [rel("ownedBy", "group:default/eng"), rel("dependsOn", "resource:default/db")], "component"
    )
    assert [n["edge"] for n in component["graph_out"]] == ["depends on", "owned by"]


def test_facet_button_labels() -> None:
    from pinconsole.state.catalog import _values, facet_button_label

    assert facet_button_label("kind", []) == "Any kind"
    assert facet_button_label("owner", ["group:default/team-a"]) == "team-a"
    assert facet_button_label("lifecycle", ["production", "deprecated"]) == (
        "production, deprecated"
    )
    assert facet_button_label("tag", ["python", "payments", "fintech", "web"]) == "4 tags"
    assert _values(" production,,deprecated ,production") == ["production", "deprecated"]


def test_the_no_match_title_names_every_filter() -> None:
    from pinconsole.state.catalog import match_phrase

    filters = {"kind": "component", "lifecycle": "experimental", "owner": "group:default/team-a"}
    assert match_phrase(filters, "zzz", False) == (
        'kind component, owner team-a, lifecycle experimental and "zzz"'
    )
    assert match_phrase({"kind": "api,component"}, "", True) == (
        "kind api or component and owned by you"
    )
    assert match_phrase({"kind": ""}, "", False) == ""


def test_catalog_urls_keep_a_blank_kind_and_say_the_default_view() -> None:
    import reflex as rx

    from pinconsole.state.catalog import CatalogState, _url_params

    assert _url_params("kind=&owner=team-a&tag=a&tag=b") == {
        "kind": "",
        "owner": "team-a",
        "tag": "a,b",
    }
    assert len(_url_params("text=" + "x" * 5000)["text"]) == 500  # untrusted: cut

    root = rx.State(_reflex_internal_init=True)  # type: ignore[call-arg]
    s = root.get_substate(CatalogState.get_full_name().split(".")[1:])
    assert (s.f_kind, s.filtered, s._query_string()) == ("component", False, "kind=component")
    s.f_kind = ""  # any kind: no default, so the URL says it
    assert (s.filtered, s._query_string()) == (True, "kind=")
    s.f_kind, s.f_lifecycle, s.f_text, s.f_owned = "component", "experimental", "zzz", True
    s.sort, s.sort_desc = "score", True
    assert (
        s._query_string() == "kind=component&lifecycle=experimental&text=zzz&owned=me&sort=-score"
    )
    assert (
        s.no_match
        == 'No entities match kind component, lifecycle experimental, owned by you and "zzz"'
    )
