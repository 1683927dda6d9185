"""Entities found by their annotations (what PinCompute reads instead of the catalog's tables):
keys with dots and slashes, the kinds asked for only, only the annotations asked for, on SQLite
and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from pinconsole.catalog.annotations import AnnotatedEntity, annotated_entities
from pinconsole.catalog.ingest import import_locations

CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: pins
  annotations: {pinconsole.io/namespaces: "pins, pins-canary", example.com/other: x}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: boards, annotations: {pinconsole.io/namespaces: ""}}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: search}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: pins-api
  annotations: {backstage.io/kubernetes-id: pins-api, pinconsole.io/namespaces: ignored}
spec: {type: service, lifecycle: production, owner: pins}
"""


def test_entities_by_annotation(db: str, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog-info.yaml"
    catalog.write_text(CATALOG)
    assert not import_locations([str(catalog)], actor="test").errors

    groups = annotated_entities(["Group"], ["pinconsole.io/namespaces"])
    assert groups == [
        AnnotatedEntity("group:default/boards", None, {"pinconsole.io/namespaces": ""}),
        AnnotatedEntity(
            "group:default/pins", None, {"pinconsole.io/namespaces": "pins, pins-canary"}
        ),
    ]
    keys = ["pinconsole.io/kubernetes-id", "backstage.io/kubernetes-id"]
    assert annotated_entities(["component", "resource"], keys) == [
        AnnotatedEntity(
            "component:default/pins-api",
            "group:default/pins",
            {"backstage.io/kubernetes-id": "pins-api"},
        )
    ]
    assert annotated_entities(["group"], ["example.com/missing"]) == []
    assert annotated_entities([], keys) == annotated_entities(["group"], []) == []
