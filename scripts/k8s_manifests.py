"""Derives the parts of deploy/kubernetes that exist elsewhere already, so they cannot drift.

- ``deploy/kubernetes/crds/``: the CRDs of ``deploy/crds`` (what ``pinconsole.compute.crds``
  validates against and the sandbox serves), with a kustomization listing them;
- ``deploy/kubernetes/base/nginx.conf``: ``deploy/nginx.conf``'s server block for the web pods
  (port 8080 as a non-root nginx, the backend Service as upstream, the export in ``/www``).

    python scripts/k8s_manifests.py           list what would change
    python scripts/k8s_manifests.py --write   write the derived files
    python scripts/k8s_manifests.py --check   exit 1 when one is out of date (the suite runs it)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRDS = ROOT / "deploy" / "crds"
KUBERNETES = ROOT / "deploy" / "kubernetes"
NGINX = ROOT / "deploy" / "nginx.conf"

GENERATED = (
    "# Generated from {source} by scripts/k8s_manifests.py: edit that, then `make manifests`.\n"
)

# deploy/nginx.conf -> the web pods' server block: (what the shipped file says, what the pod needs).
NGINX_CHANGES = (
    ("listen 80;", "listen 8080;"),
    ("server_name console.example.com;", "server_name _;"),
    ("server 127.0.0.1:8000;", "server pinconsole-backend:8000;"),
    ("root /srv/pinconsole/www;", "root /www;"),
)


def nginx_for_pods(text: str) -> str:
    """``deploy/nginx.conf`` with ``NGINX_CHANGES`` applied; each must apply exactly once."""
    for old, new in NGINX_CHANGES:
        if text.count(old) != 1:
            raise SystemExit(f"deploy/nginx.conf must say {old!r} once: update NGINX_CHANGES")
        text = text.replace(old, new)
    return text


def derived() -> dict[Path, str]:
    """Every derived file and the text it must have."""
    files: dict[Path, str] = {}
    names = []
    for path in sorted(CRDS.glob("*.yaml")):
        source = path.relative_to(ROOT).as_posix()
        files[KUBERNETES / "crds" / path.name] = GENERATED.format(source=source) + path.read_text(
            encoding="utf-8"
        )
        names.append(path.name)
    files[KUBERNETES / "crds" / "kustomization.yaml"] = (
        GENERATED.format(source="deploy/crds")
        + "# The CRDs alone, for whoever installs them with cluster-admin rights:\n"
        + "#   kubectl apply --server-side -k deploy/kubernetes/crds\n"
        + "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
        + "".join(f"  - {name}\n" for name in names)
    )
    files[KUBERNETES / "base" / "nginx.conf"] = GENERATED.format(
        source="deploy/nginx.conf"
    ) + nginx_for_pods(NGINX.read_text(encoding="utf-8"))
    return files


def stale() -> list[Path]:
    return [
        path
        for path, text in derived().items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    out_of_date = stale()
    if args.write:
        for path, text in derived().items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return 0
    for path in out_of_date:
        print(f"out of date: {path.relative_to(ROOT)} (run `make manifests`)")
    return 1 if out_of_date and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
