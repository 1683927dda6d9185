"""The deploy/examples go through the sandbox API with the official client as through a real
API server: valid samples are created, invalid ones answer 422 naming their declared error; the
PinApp scale subresource answers from the CRD's paths (replicas, label selector)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from fixtures.polling import wait_for
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from pinconsole.compute.crds import CRD_DIR
from pinconsole.sandbox import Sandbox

GROUP, VERSION = "compute.pinconsole.io", "v1alpha1"
EXAMPLES = CRD_DIR.parent / "examples"
PLURALS = {"PinApp": "pinapps", "PinScaler": "pinscalers"}


def _api(sandbox: Sandbox) -> client.CustomObjectsApi:
    return client.CustomObjectsApi(
        config.new_client_from_config(str(sandbox.kubeconfig), context="sandbox")
    )


def test_valid_examples_are_created(sandbox: Sandbox) -> None:
    api = _api(sandbox)
    for path in sorted(EXAMPLES.glob("*.yaml")):
        obj = yaml.safe_load(path.read_text())
        obj["metadata"] = {**obj["metadata"], "name": f"example-{path.stem}"}
        ns = obj["metadata"]["namespace"]
        made = api.create_namespaced_custom_object(GROUP, VERSION, ns, PLURALS[obj["kind"]], obj)
        assert made["metadata"]["resourceVersion"], path.name


@pytest.mark.parametrize(
    "path", sorted((EXAMPLES / "invalid").glob("*.yaml")), ids=lambda p: p.name
)
def test_invalid_examples_get_422_for_their_reason(sandbox: Sandbox, path: Path) -> None:
    text = path.read_text()
    obj = yaml.safe_load(text)
    with pytest.raises(ApiException) as caught:
        _api(sandbox).create_namespaced_custom_object(
            GROUP, VERSION, obj["metadata"]["namespace"], PLURALS[obj["kind"]], obj
        )
    assert caught.value.status == 422
    for expected in re.findall(r"^# expect: (.+)$", text, re.M):
        assert expected.strip() in caught.value.body


def test_scale_subresource_reads_the_crd_paths(sandbox: Sandbox) -> None:
    api = _api(sandbox)
    sandbox.call(sandbox.emulator.reconcile)
    scale = api.get_namespaced_custom_object_scale(GROUP, VERSION, "pins", "pinapps", "pins-api")
    app = api.get_namespaced_custom_object(GROUP, VERSION, "pins", "pinapps", "pins-api")
    assert scale["kind"] == "Scale"
    assert scale["spec"]["replicas"] == app["spec"]["replicas"]
    assert scale["status"]["replicas"] == app["status"]["replicas"]
    assert (
        scale["status"]["selector"] == app["status"]["selector"] == "pinconsole.io/pinapp=pins-api"
    )
    # status written through the object is ignored (status subresource), spec is not
    api.patch_namespaced_custom_object(
        GROUP,
        VERSION,
        "pins",
        "pinapps",
        "pins-api",
        {"spec": {"replicas": 5}, "status": {"readyReplicas": 99}},
    )
    app = api.get_namespaced_custom_object(GROUP, VERSION, "pins", "pinapps", "pins-api")
    assert app["spec"]["replicas"] == 5 and app["status"].get("readyReplicas") != 99
    sandbox.call(sandbox.emulator.reconcile)
    sandbox.call(sandbox.emulator.reconcile)
    wait_for(
        lambda: (
            _api(sandbox).get_namespaced_custom_object_scale(
                GROUP, VERSION, "pins", "pinapps", "pins-api"
            )["status"]["replicas"]
            == 5
        )
    )
