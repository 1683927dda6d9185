"""The CRD files are structurally valid apiextensions v1 and the examples conform (schema + CEL)."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import celpy
import jsonschema
import pytest
import yaml

from pinconsole.compute.crds import CRD_DIR, load_crds, schema_for, validate_object

EXAMPLES = CRD_DIR.parent / "examples"


def _walk(schema: dict, path: str = "") -> list[str]:
    """Structural-schema rules: every node has a type (or int-or-string), no $ref, properties
    and additionalProperties not together, and every CEL rule compiles."""
    problems = []
    if "$ref" in schema:
        problems.append(f"{path}: $ref is not allowed")
    if "type" not in schema and not schema.get("x-kubernetes-int-or-string"):
        problems.append(f"{path}: missing type")
    if "properties" in schema and "additionalProperties" in schema:
        problems.append(f"{path}: properties and additionalProperties are mutually exclusive")
    for rule in schema.get("x-kubernetes-validations", []):
        try:
            celpy.Environment().compile(rule["rule"])
        except Exception as exc:
            problems.append(f"{path}: CEL rule {rule['rule']!r} does not compile: {exc}")
    for key, sub in (schema.get("properties") or {}).items():
        problems += _walk(sub, f"{path}.{key}")
    if isinstance(schema.get("items"), dict):
        problems += _walk(schema["items"], f"{path}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        problems += _walk(schema["additionalProperties"], f"{path}{{}}")
    return problems


@pytest.mark.parametrize(
    "name", ["pinapps.compute.pinconsole.io", "pinscalers.compute.pinconsole.io"]
)
def test_crd_structure(name: str) -> None:
    crd = load_crds()[name]
    assert crd["apiVersion"] == "apiextensions.k8s.io/v1"
    assert crd["kind"] == "CustomResourceDefinition"
    spec = crd["spec"]
    assert spec["group"] == "compute.pinconsole.io" and spec["scope"] == "Namespaced"
    assert name == f"{spec['names']['plural']}.{spec['group']}"
    versions = spec["versions"]
    assert [v["name"] for v in versions] == ["v1alpha1"]
    assert sum(v["storage"] for v in versions) == 1
    version = versions[0]
    assert version["subresources"]["status"] == {}
    schema = version["schema"]["openAPIV3Schema"]
    assert _walk(schema) == []
    jsonschema.Draft7Validator.check_schema(schema)
    # The root metadata may only be typed (name/generateName restrictions aside).
    assert schema["properties"]["metadata"] == {"type": "object"}
    assert {"spec", "status"} <= set(schema["properties"])
    for column in version["additionalPrinterColumns"]:
        wanted = COLUMN_TYPES[column["type"]]
        if column["jsonPath"] != ".metadata.creationTimestamp":
            assert _node(schema, column["jsonPath"])["type"] == wanted, column
    if spec["names"]["kind"] == "PinApp":
        scale = version["subresources"]["scale"]
        assert scale == {
            "specReplicasPath": ".spec.replicas",
            "statusReplicasPath": ".status.replicas",
            "labelSelectorPath": ".status.selector",
        }
        assert _node(schema, scale["specReplicasPath"])["type"] == "integer"
        assert _node(schema, scale["statusReplicasPath"])["type"] == "integer"
        # A Scale's status.selector is the serialised label selector string.
        assert _node(schema, scale["labelSelectorPath"])["type"] == "string"
        status = schema["properties"]["status"]["properties"]
        assert {
            "replicas",
            "readyReplicas",
            "updatedReplicas",
            "currentImage",
            "observedGeneration",
            "conditions",
        } <= set(status)
        assert schema["properties"]["spec"]["properties"]["tier"]["enum"] == [
            "reserved",
            "on-demand",
            "preemptible",
        ]
        assert {c["name"] for c in version["additionalPrinterColumns"]} >= {"Desired", "Ready"}
    else:
        assert "scale" not in version["subresources"]
        rules = [r["rule"] for r in schema["properties"]["spec"]["x-kubernetes-validations"]]
        assert "self.minReplicas <= self.maxReplicas" in rules
        status = schema["properties"]["status"]["properties"]
        assert {"currentReplicas", "desiredReplicas", "lastScaleTime", "conditions"} <= set(status)


COLUMN_TYPES = {
    "integer": "integer",
    "number": "number",
    "string": "string",
    "boolean": "boolean",
    "date": "string",
}


def _node(schema: dict, json_path: str) -> dict:
    """The schema node a simple ``.a.b`` JSON path points at (KeyError when it points nowhere)."""
    node = schema
    for part in json_path.lstrip(".").split("."):
        node = node["properties"][part]
    return node


def _examples(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.yaml"))


@pytest.mark.parametrize("path", _examples(EXAMPLES), ids=lambda p: p.name)
def test_examples_are_valid(path: Path) -> None:
    obj = yaml.safe_load(path.read_text())
    assert validate_object(obj, schema_for(obj["kind"])) == []


@pytest.mark.parametrize("path", _examples(EXAMPLES / "invalid"), ids=lambda p: p.name)
def test_invalid_examples_are_rejected_for_their_reason(path: Path) -> None:
    """Each invalid sample names, in ``# expect:`` lines, exactly the errors it must produce."""
    text = path.read_text()
    expected = sorted(m.strip() for m in re.findall(r"^# expect: (.+)$", text, re.M))
    assert expected, f"{path.name} declares no '# expect:' line"
    obj = yaml.safe_load(text)
    assert sorted(validate_object(obj, schema_for(obj["kind"]))) == expected


def test_there_are_invalid_examples_of_both_kinds() -> None:
    kinds = {yaml.safe_load(p.read_text())["kind"] for p in _examples(EXAMPLES / "invalid")}
    assert kinds == {"PinApp", "PinScaler"}


def _pinapp() -> dict:
    return yaml.safe_load((EXAMPLES / "pinapp-pins-api.yaml").read_text())


def _pinscaler() -> dict:
    return yaml.safe_load((EXAMPLES / "pinscaler-pins-api.yaml").read_text())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda o: o["spec"].__setitem__("replicas", -1), "spec.replicas"),
        (lambda o: o["spec"].__setitem__("replicas", "3"), "spec.replicas"),
        (lambda o: o["spec"].__setitem__("tier", "spot"), "spec.tier"),
        (lambda o: o["spec"].pop("image"), "'image' is a required property"),
        (lambda o: o["spec"]["ports"][0].__setitem__("containerPort", 70000), "containerPort"),
        (
            lambda o: o["spec"]["containers"][0]["resources"]["limits"].__setitem__("cpu", "lots"),
            "limits.cpu",
        ),
    ],
)
def test_bad_pinapps(change, message: str) -> None:
    obj = copy.deepcopy(_pinapp())
    change(obj)
    errors = validate_object(obj, schema_for("PinApp"))
    assert any(message in e for e in errors), errors


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda o: o["spec"].update(minReplicas=11, maxReplicas=10), "minReplicas must be less"),
        (lambda o: o["spec"]["schedules"][0].__setitem__("minReplicas", 99), "schedule"),
        (lambda o: o["spec"]["metrics"][0].pop("targetUtilization"), "targetUtilization"),
        (lambda o: o["spec"]["metrics"][1].pop("targetValue"), "custom metric"),
        (lambda o: o["spec"]["targetRef"].__setitem__("kind", "Deployment"), "targetRef.kind"),
        (lambda o: o["spec"]["schedules"][0].__setitem__("duration", "soon"), "duration"),
    ],
)
def test_bad_pinscalers(change, message: str) -> None:
    obj = copy.deepcopy(_pinscaler())
    change(obj)
    errors = validate_object(obj, schema_for("PinScaler"))
    assert any(message in e for e in errors), errors
