"""The demo's cluster: a seeded sandbox the backend serves itself on the embedded default.

With ``settings.sandbox_cluster`` on the embedded default (SQLite), the compute plugin's start-up
job starts one, seeded with a PinApp per catalog service that carries a kubernetes id (and a
PinScaler for some), and PinCompute watches it through its kubeconfig like any other cluster;
the plugin also runs PinCompute's controller against it, which turns the PinApps into
Deployments whose pods the emulator's own controllers make: the demo runs exactly the code
production runs. PinCompute only knows it as an ``EmbeddedCluster`` (``compute.clusters``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from pinconsole.catalog.annotations import AnnotatedEntity, annotated_entities
from pinconsole.compute.constants import ID_ANNOTATIONS, NAMESPACE_ANNOTATION
from pinconsole.sandbox.cluster import SandboxEmulator
from pinconsole.sandbox.seed import seed_demo
from pinconsole.sandbox.server import Sandbox
from pinconsole.settings import DATA_DIR, Settings, get_settings

log = logging.getLogger(__name__)

NAME = "sandbox"
# When the catalog has no annotated services yet, the sandbox still shows something.
FALLBACK_SERVICES = [
    ("pins-api", "pins", "group:default/pins"),
    ("pins-worker", "pins", "group:default/pins"),
    ("boards-api", "boards", "group:default/boards"),
    ("search-api", "search", "group:default/search"),
    ("search-indexer", "search", "group:default/search"),
    ("notifications", "growth", "group:default/growth"),
]


def demo_services(entities: Iterable[AnnotatedEntity]) -> list[tuple[str, str, str | None]]:
    """``(kubernetes_id, namespace, owner)`` for catalog entities carrying a kubernetes id.

    The namespace is the entity's ``backstage.io/kubernetes-namespace``, else its owner's name.
    """
    found: list[tuple[str, str, str | None]] = []
    for entity in entities:
        annotations = entity.annotations
        kube_id = next((annotations[a] for a in ID_ANNOTATIONS if annotations.get(a)), None)
        if not kube_id:
            continue
        team = entity.owner_ref.rsplit("/", 1)[-1] if entity.owner_ref else None
        namespace = annotations.get(NAMESPACE_ANNOTATION) or team or "default"
        found.append((kube_id, namespace, entity.owner_ref))
    return found


def catalog_services() -> list[tuple[str, str, str | None]]:
    """The catalog's components and resources that carry a kubernetes id, as ``demo_services``."""
    keys = [*ID_ANNOTATIONS, NAMESPACE_ANNOTATION]
    return demo_services(annotated_entities(["component", "resource"], keys))


class EmbeddedSandbox:
    """A running, seeded ``Sandbox`` that PinCompute watches as the cluster ``sandbox``."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    @property
    def name(self) -> str:
        return self.sandbox.name

    @property
    def kubeconfig(self) -> Path:
        assert self.sandbox.kubeconfig is not None
        return self.sandbox.kubeconfig

    def refresh(self) -> int:
        """Add PinApps for services that gained a kubernetes id since start (idempotent)."""
        services = catalog_services()  # a database error fails the job's run, logged by it
        if not services:
            return 0
        return int(self.sandbox.call(_seed, self.sandbox.emulator, services))

    def stop(self) -> None:
        self.sandbox.stop()


def start_sandbox(directory: Path | None = None, *, chaos: bool = True) -> EmbeddedSandbox:
    """Serve a seeded emulator on loopback, its controller (and chaos) running."""
    sandbox = Sandbox(kubeconfig=(directory or DATA_DIR) / "sandbox-kubeconfig.yaml", name=NAME)
    sandbox.start()
    try:
        services = catalog_services() or FALLBACK_SERVICES
    except SQLAlchemyError:  # the demo still shows something; refresh() catches up later
        log.warning("the catalog could not be read to seed the sandbox", exc_info=True)
        services = FALLBACK_SERVICES
    sandbox.call(_seed, sandbox.emulator, services)
    sandbox.run_loops(chaos_seconds=3.0 if chaos else None)
    return EmbeddedSandbox(sandbox)


def _seed(emulator: SandboxEmulator, services: list[tuple[str, str, str | None]]) -> int:
    """PinApps and PinScalers only: PinCompute's controller makes the rest."""
    return seed_demo(emulator, services, pods=False)


def embedded_cluster(settings: Settings | None = None) -> EmbeddedSandbox | None:
    """The demo's sandbox when ``settings.sandbox_cluster`` is on the embedded default, or None."""
    settings = settings or get_settings()
    if not (settings.sandbox_cluster and settings.is_embedded):
        return None
    return start_sandbox()
