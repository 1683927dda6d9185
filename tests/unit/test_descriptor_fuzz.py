"""Property-based fuzz of descriptor parsing, validation and preparation (hypothesis).

Descriptors are written by anyone who can push a ``catalog-info.yaml``: whatever text or shape
arrives, reading it must end in documents and messages that say where (document, field), never
in an exception that aborts the import of the whole location. Valid descriptors must come out as
they went in. Examples are bounded so the whole file runs in a few seconds.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pinconsole.catalog.descriptors import (
    Document,
    IngestError,
    ReadError,
    format_path,
    parse_documents,
    resolve_substitutions,
)
from pinconsole.catalog.ingest import MANAGED_BY, ORIGIN, Prepared, prepare_entity
from pinconsole.catalog.refs import entity_ref
from pinconsole.catalog.validation import KINDS, validate_entity

SOURCE = "/catalog/catalog-info.yaml"
FUZZ = settings(
    max_examples=40,
    # An alias bomb near the node limit takes 0.2 s alone and 4 s on a loaded CI machine: the
    # properties are about answers, not speed (the parse limits bound the work).
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- values: anything YAML or $json can hand us ------------------------------------------------

# Any code point, surrogates included ($json turns "\ud800" into a lone surrogate).
any_text = st.text(st.characters(codec=None), max_size=30)
control_text = st.text(st.sampled_from("\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\u2028\ufeff\n\r\t"))
awkward_numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 10**400, -(10**400)]),
)
scalars = st.one_of(
    st.none(), st.booleans(), awkward_numbers, any_text, control_text, st.binary(max_size=8)
)
keys = st.one_of(any_text, st.integers(), st.none(), st.booleans(), st.floats(allow_nan=False))
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=4),
        st.sets(st.integers(), max_size=3),
    ),
    max_leaves=25,
)


def nested(depth: int, leaf: Any = "x") -> Any:
    """A value nested ``depth`` levels deep (alternating mappings and lists)."""
    value = leaf
    for level in range(depth):
        value = {"k": value} if level % 2 else [value]
    return value


# --- valid descriptors ---------------------------------------------------------------------

names = st.from_regex(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,40}[A-Za-z0-9])?", fullmatch=True)
namespaces = st.from_regex(r"[a-z0-9]{1,10}(-[a-z0-9]{1,10}){0,2}", fullmatch=True)
tags = st.from_regex(r"[a-z0-9:+#]{1,10}(-[a-z0-9:+#]{1,10}){0,2}", fullmatch=True)
# Free text people write: any character a YAML file can carry (no NUL, no lone surrogate).
prose = st.text(
    # PyYAML's emitter folds NEL and the Unicode line separators in keys: not ours to test.
    st.characters(
        codec="utf-8", exclude_characters="\x00\x85\u2028\u2029", exclude_categories=["Cs"]
    ),
    max_size=40,
)
refs = st.builds(lambda kind, name: f"{kind}:{name}", st.sampled_from(["component", "api"]), names)
# Free-form data inside spec: finite numbers, strings, lists and mappings, bounded depth.
spec_data = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**18), max_value=10**18),
        st.floats(allow_nan=False, allow_infinity=False),
        prose,
    ),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(prose, children, max_size=3),
    max_leaves=12,
)

_SPEC_FIELDS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "Component": {"type": names, "lifecycle": names, "owner": names, "dependsOn": st.lists(refs)},
    "API": {
        "type": names,
        "lifecycle": names,
        "owner": names,
        "definition": prose.map(lambda s: "x" + s),
    },
    "Resource": {"type": names, "owner": names},
    "System": {"owner": names},
    "Domain": {"owner": names},
    "Group": {"type": names, "children": st.lists(names, max_size=3)},
    "User": {"memberOf": st.lists(names, max_size=3)},
    "Location": {"targets": st.lists(prose.map(lambda s: "./x" + s), max_size=2)},
    "Template": {"type": names},
}
_API_VERSION = {"Template": "scaffolder.backstage.io/v1beta3"}


@st.composite
def valid_descriptors(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(KINDS))
    metadata: dict[str, Any] = {"name": draw(names)}
    optional = {
        "namespace": namespaces,
        "title": prose,
        "description": prose,
        "labels": st.dictionaries(names, names, max_size=3),
        "annotations": st.dictionaries(
            st.builds(lambda p, n: f"{p}.io/{n}", namespaces, names), prose, max_size=3
        ),
        "tags": st.lists(tags, max_size=4),
        "links": st.lists(
            st.fixed_dictionaries({"url": prose.map(lambda s: "https://x/" + s)}), max_size=2
        ),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            metadata[key] = draw(strategy)
    spec = {key: draw(strategy) for key, strategy in _SPEC_FIELDS[kind].items()}
    spec["extra"] = draw(spec_data)
    return {
        "apiVersion": _API_VERSION.get(kind, "backstage.io/v1alpha1"),
        "kind": kind,
        "metadata": metadata,
        "spec": spec,
    }


# --- broken descriptors: a valid one with wrong values in any field ------------------------

_FIELD_PATHS: tuple[tuple[str | int, ...], ...] = (
    ("apiVersion",),
    ("kind",),
    ("metadata",),
    ("metadata", "name"),
    ("metadata", "namespace"),
    ("metadata", "title"),
    ("metadata", "description"),
    ("metadata", "labels"),
    ("metadata", "annotations"),
    ("metadata", "tags"),
    ("metadata", "links"),
    ("spec",),
    *(
        ("spec", field)
        for field in sorted(
            {f for fields in _SPEC_FIELDS.values() for f in fields}
            | {"system", "domain", "parent", "members", "profile", "presence", "target", "extra"}
        )
    ),
)


def _put(body: Any, path: tuple[str | int, ...], value: Any) -> None:
    """Set ``path`` in ``body`` to ``value`` as far as the path exists (mappings are created)."""
    target = body
    for part in path[:-1]:
        if isinstance(target, dict):
            target = target.setdefault(part, {})
        elif isinstance(target, list) and isinstance(part, int) and part < len(target):
            target = target[part]
        else:
            return
    last = path[-1]
    if isinstance(target, dict) or (
        isinstance(target, list) and isinstance(last, int) and last < len(target)
    ):
        target[last] = value


@st.composite
def broken_descriptors(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return draw(values)  # not even a mapping
    body = draw(valid_descriptors())
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(_FIELD_PATHS))
        replacement = draw(
            st.one_of(
                values,
                control_text,
                names.map(lambda n: n + "\n"),  # $ before a trailing newline
                st.integers(0, 1200).map(nested),
            )
        )
        _put(body, path, replacement)
    return body


# --- YAML text -----------------------------------------------------------------------------

_YAML_PIECES = (
    "apiVersion: backstage.io/v1alpha1\n",
    "kind: Component\n",
    "metadata:\n  name: svc\n",
    "spec: {type: service, lifecycle: production, owner: team-a}\n",
    "---\n",
    "--- !!map\n",
    "...\n",
    "a: &x [1, 2]\n",
    "b: *x\n",
    "c: *nowhere\n",
    "<<: *x\n",
    "d: &r [*r]\n",
    "? [k]\n: v\n",
    "? {k: 1}\n: v\n",
    "e: !!binary 'AAAA'\n",
    "f: !!python/object:os.system ls\n",
    "g: !!set {a, b}\n",
    "h: !!float .nan\n",
    "i: .inf\n",
    "j: -.inf\n",
    "k: 0x7fffffffffffffff\n",
    "l: 1" + "0" * 5000 + "\n",
    "m: 1e99999\n",
    'n: "\\0 \\x07 \\ud800"\n',
    "o: 2026-12-01T00:00:00Z\n",
    "p: [[[[[[[[[[]]]]]]]]]]\n",
    "q: {\n",
    "  - item\n",
    "\t r: tab\n",
    "\x00",
    "\ufeff",
    "%YAML 1.1\n",
    "%TAG ! tag:example.org,2026:\n",
    "s: !local v\n",
)


@st.composite
def yaml_texts(draw: st.DrawFn) -> str:
    how = draw(st.integers(0, 4))
    if how == 0:
        return draw(st.text(st.characters(codec="utf-8"), max_size=200))
    if how == 1:
        pieces = draw(st.lists(st.sampled_from(_YAML_PIECES), min_size=1, max_size=12))
        return "".join(pieces)
    if how == 2:
        depth = draw(st.integers(1, 1500))
        flow = draw(st.booleans())
        if flow:
            return "spec: " + "[" * depth + "]" * depth + "\n"
        return "".join(
            "  " * i + "- \n" if i < depth - 1 else "  " * i + "- x\n"
            for i in range(min(depth, 400))
        )
    if how == 3:
        # An alias bomb: each level repeats the previous one ``fan`` times.
        levels, fan = draw(st.integers(1, 12)), draw(st.integers(2, 10))
        lines = ["a0: &a0 [x]"]
        for n in range(1, levels + 1):
            lines.append(f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * fan)}]")
        return "\n".join(lines) + "\n"
    # A valid descriptor with characters inserted at random places.
    text = yaml.safe_dump(draw(valid_descriptors()), allow_unicode=True, sort_keys=False)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        text = (
            text[:at]
            + draw(st.sampled_from((*_YAML_PIECES, "'", '"', ":", "-", "&", "*")))
            + text[at:]
        )
    return text


# --- what every answer must look like ------------------------------------------------------


def _assert_points_somewhere(error: IngestError, document: int | None) -> None:
    assert isinstance(error, IngestError)
    assert error.source == SOURCE
    assert error.message and isinstance(error.message, str)
    assert error.document is not None, error
    if document is not None:
        assert error.document == document
    str(error)  # renders for people


def _walk_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    out = [(path, value)]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _walk_paths(v, (*path, str(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _walk_paths(v, (*path, i))
    return out


def _prepare(body: Any, doc: Document | None = None, index: int = 0) -> tuple[Any, list[Any]]:
    return prepare_entity(body, source=SOURCE, document=index, location_key=SOURCE, doc=doc)


def _check_prepared(
    body: Any, prepared: Prepared | None, errors: list[IngestError], index: int
) -> None:
    if prepared is None:
        assert errors, "an entity refused without a message"
        for error in errors:
            _assert_points_somewhere(error, index)
        return
    assert errors == []
    # What is stored is strict JSON that PostgreSQL's jsonb can hold: no NaN/Infinity, no NUL,
    # no lone surrogate.
    stored = json.loads(prepared.body_json, parse_constant=_refuse_constant)
    assert "\\u0000" not in prepared.body_json and "\x00" not in prepared.body_json
    prepared.body_json.encode("utf-8")
    assert stored["metadata"]["name"] == body["metadata"]["name"]


def _refuse_constant(name: str) -> Any:
    raise AssertionError(f"stored JSON holds {name}")


# --- the properties ------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["\x0c", "a: 1\n---\n\x0c\n", "\x0b\n", "\t", "a: 1\n---\n\t\n"])
def test_control_characters_alone_in_a_document_are_an_error(text: str) -> None:
    """Found by the property below: a document of a form feed was skipped as blank (Python's
    strip, not YAML's), so the file came back incomplete with no error saying why."""
    _, errors, complete = parse_documents(text, SOURCE)
    assert not complete and errors, errors


@FUZZ
@given(text=yaml_texts())
def test_any_text_parses_to_documents_and_located_errors(text: str) -> None:
    docs, errors, complete = parse_documents(text, SOURCE)
    assert complete == (not errors)
    seen = set()
    for error in errors:
        _assert_points_somewhere(error, None)
        seen.add(error.document)
    for doc in docs:
        assert doc.source == SOURCE
        assert doc.index not in seen, "a document both parsed and failed"
        seen.add(doc.index)
        for error in resolve_substitutions(doc, "/catalog", _unreadable):
            _assert_points_somewhere(error, doc.index)
        problems = validate_entity(doc.body)
        prepared, prep_errors = _prepare(doc.body, doc, doc.index)
        _check_prepared(doc.body, prepared, prep_errors, doc.index)
        assert bool(problems) <= (prepared is None)


def _unreadable(target: str) -> str:
    raise ReadError("not readable in this test")


@FUZZ
@given(body=broken_descriptors())
def test_any_mapping_validates_to_messages_that_name_a_field(body: Any) -> None:
    problems = validate_entity(body)
    assert isinstance(problems, list)
    for path, message in problems:
        assert isinstance(path, tuple)
        assert all(isinstance(p, (str, int)) for p in path)
        assert message and isinstance(message, str)
        if isinstance(body, dict):
            assert path, f"{message!r} names no field"
    prepared, errors = _prepare(body)
    _check_prepared(body, prepared, errors, 0)
    if problems:
        assert prepared is None
        assert {e.field for e in errors} >= {format_path(p) or None for p, _ in problems}


@FUZZ
@given(body=valid_descriptors())
def test_valid_descriptors_round_trip(body: dict[str, Any]) -> None:
    assert validate_entity(body) == []
    text = yaml.safe_dump_all([body, body], allow_unicode=True, sort_keys=False)
    docs, errors, complete = parse_documents(text, SOURCE)
    assert errors == [] and complete
    assert [d.body for d in docs] == [body, body]
    assert [d.index for d in docs] == [0, 1]
    prepared, prep_errors = _prepare(docs[1].body, docs[1], 1)
    assert prep_errors == [] and prepared is not None
    assert prepared.ref == entity_ref(body)
    stored = json.loads(prepared.body_json)
    annotations = stored["metadata"].pop("annotations")
    assert annotations.pop(MANAGED_BY) == f"file:{SOURCE}"
    assert annotations.pop(ORIGIN) == f"file:{SOURCE}"
    assert annotations == body["metadata"].get("annotations", {})
    expected = json.loads(json.dumps(body))
    expected["metadata"].pop("annotations", None)
    assert stored == expected
    assert prepared.tags == list(dict.fromkeys(t.lower() for t in body["metadata"].get("tags", [])))


@FUZZ
@given(body=valid_descriptors(), data=st.data())
def test_one_wrong_value_is_reported_at_its_field(
    body: dict[str, Any], data: st.DataObject
) -> None:
    """A non-finite number, or a name with a trailing newline, is refused naming its field."""
    if data.draw(st.booleans()):
        leaves = [
            p for p, v in _walk_paths(body["spec"], ("spec",)) if not isinstance(v, (dict, list))
        ]
        path = data.draw(st.sampled_from(leaves)) if leaves else ("spec", "extra")
        _put(body, path, data.draw(st.sampled_from([math.nan, math.inf, -math.inf])))
    else:
        path = ("metadata", "name")
        body["metadata"]["name"] += data.draw(st.sampled_from(["\n", "\r\n", " ", "\t"]))
    prepared, errors = _prepare(body)
    assert prepared is None
    assert format_path(path) in {e.field for e in errors}, errors
