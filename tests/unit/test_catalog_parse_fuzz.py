"""Property-based checks of descriptor parsing and preparation with hostile inputs.

Whatever the text, parsing answers documents and errors (it never raises); whatever the body,
an entity that passes preparation holds only what both backends can store, and its COPY lines
(tags, relations) keep their shape.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pinconsole.catalog.descriptors import Limits, parse_documents
from pinconsole.catalog.ingest import prepare_entity

NASTY = st.sampled_from(
    ["web", "web\n", "a\tb", "x\\y", "\x00", "\ud800", "tag:x", "ns-1", "A.b_c", " ", "é", ""]
)
TEXT = st.one_of(NASTY, st.text(max_size=12))
SCALAR = st.one_of(
    TEXT,
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)
JSONISH = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=12,
)


def _refuse(constant: str) -> None:
    raise AssertionError(f"{constant} in a stored body")


SMALL = Limits(file_bytes=20_000, document_bytes=2_000, nodes=200, depth=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(
            [
                "a: &a [x, x, x]\n",
                "b: &b [*a, *a, *a, *a]\n",
                "c: [*b, *b, *b, *b, *b]\n",
                "---\n",
                "k: [[[[[[[[[1]]]]]]]]]\n",
                "? [x]\n: y\n",
                "<<: *a\n",
                "n: .nan\n",
                "t: !!set {x}\n",
                's: "\\0"\n',
                "i: 1" + "0" * 5000 + "\n",
                "bad: [\n",
                "m:\n  <<: {p: 1}\n  q: 2\n",
                "x: &r [*r]\n",
            ]
        ),
        max_size=8,
    )
)
def test_parsing_never_raises(pieces: list[str]) -> None:
    docs, errors, complete = parse_documents("".join(pieces), "f.yaml", SMALL)
    assert complete == (not errors)
    indexes = [d.index for d in docs] + [e.document for e in errors if e.document is not None]
    assert len(indexes) == len(set(indexes))  # one outcome per document


@settings(max_examples=200, deadline=None)
@given(
    name=TEXT,
    namespace=st.one_of(st.none(), TEXT),
    tags=st.lists(TEXT, max_size=3),
    annotations=st.dictionaries(TEXT, TEXT, max_size=2),
    spec_extra=st.dictionaries(TEXT, JSONISH, max_size=3),
    depends=st.lists(TEXT.map(lambda t: f"component:{t}"), max_size=2),
)
def test_what_passes_preparation_is_storable(
    name: str,
    namespace: str | None,
    tags: list[str],
    annotations: dict[str, str],
    spec_extra: dict[str, object],
    depends: list[str],
) -> None:
    body = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "tags": tags,
            "annotations": annotations,
        },
        "spec": {
            **spec_extra,
            "type": "service",
            "lifecycle": "production",
            "owner": "team-a",
            "dependsOn": depends,
        },
    }
    item, errors = prepare_entity(body, source="f.yaml", document=0, location_key="/x")
    if item is None:
        assert errors and all(e.message for e in errors)
        return
    body_json = item.body_json
    assert "\x00" not in body_json and "\\u0000" not in body_json.replace("\\\\", "")
    body_json.encode("utf-8")  # no lone surrogate
    json.loads(body_json, parse_constant=_refuse)  # no NaN/Infinity: PostgreSQL's JSON refuses
    for tag in item.tags:
        assert f"uid\t{tag}\n".count("\t") == 1 and f"uid\t{tag}\n".count("\n") == 1
        assert "\\" not in tag
    for triple in item.relations:
        line = "\t".join((*triple, "uid")) + "\n"
        assert line.count("\t") == 3 and line.count("\n") == 1 and "\\" not in line
