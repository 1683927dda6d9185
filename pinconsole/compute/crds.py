"""Validate PinApp and PinScaler objects against the CRDs in ``deploy/crds`` as an API server would.

The openAPIV3Schema goes through jsonschema (Kubernetes' ``x-kubernetes-*`` keys are ignored by
it); ``x-kubernetes-validations`` CEL rules are evaluated with cel-python at the node that
declares them, with ``self`` bound to that node's value, the way apiextensions does.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import celpy
import jsonschema
import yaml

CRD_DIR = Path(__file__).resolve().parents[2] / "deploy" / "crds"


def load_crds(directory: Path = CRD_DIR) -> dict[str, dict[str, Any]]:
    """CRD documents by their metadata.name."""
    return {
        doc["metadata"]["name"]: doc
        for path in sorted(directory.glob("*.yaml"))
        for doc in [yaml.safe_load(path.read_text())]
    }


def schema_for(kind: str, directory: Path = CRD_DIR) -> dict[str, Any]:
    """The storage version's openAPIV3Schema of the CRD whose kind is ``kind``."""
    for crd in load_crds(directory).values():
        if crd["spec"]["names"]["kind"] == kind:
            version = next(v for v in crd["spec"]["versions"] if v.get("storage"))
            return version["schema"]["openAPIV3Schema"]
    raise KeyError(kind)


@lru_cache(maxsize=64)
def _program(rule: str) -> Any:
    env = celpy.Environment()
    return env.program(env.compile(rule))


def _cel_errors(schema: dict[str, Any], value: Any, path: str) -> list[str]:
    errors: list[str] = []
    if value is None:
        return errors
    for validation in schema.get("x-kubernetes-validations", []):
        try:
            ok = _program(validation["rule"]).evaluate({"self": celpy.json_to_cel(value)})
        except Exception as exc:  # a rule that cannot evaluate is a failed rule, as in k8s
            ok = False
            detail = f" ({exc})"
        else:
            detail = ""
        if not bool(ok):
            message = validation.get("message") or f"failed rule: {validation['rule']}"
            errors.append(f"{path}: {message}{detail}")
    if isinstance(value, dict):
        for key, sub in (schema.get("properties") or {}).items():
            if key in value:
                errors += _cel_errors(sub, value[key], f"{path}.{key}")
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            errors += _cel_errors(schema["items"], item, f"{path}[{i}]")
    return errors


def validate_object(obj: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """Messages naming the field (``spec.replicas: -1 is less than the minimum of 0``)."""
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = [
        f"{'.'.join(str(p) for p in err.absolute_path) or '<root>'}: {err.message}"
        for err in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.path)))
    ]
    if not errors:  # CEL runs on schema-valid objects only, as in the API server
        errors += [e.removeprefix("<root>.") for e in _cel_errors(schema, obj, "<root>")]
    return errors
