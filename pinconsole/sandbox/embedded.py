"""The demo's cluster: a seeded sandbox the backend serves itself on the embedded default.

With ``settings.sandbox_cluster`` on the embedded default (SQLite), the compute plugin's start-up
job starts one, seeded with a PinApp per catalog service that carries a kubernetes id (and a
PinScaler for some), and PinCompute watches it through its kubeconfig like any other cluster;
the plugin also runs PinCompute's controller against it, which turns the PinApps into
Deployments whose pods the emulator's own controllers make: the demo runs exactly the code
production runs. One process per data directory serves it; the others (more workers, a
backend-only server on the same data) watch that one, so every page shows the same cluster.
PinCompute only knows it as an ``EmbeddedCluster`` (``compute.clusters``).
"""

from __future__ import annotations

import fcntl
import logging
import os
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
    """The data directory's one sandbox, as this process sees it.

    Several processes run on one data directory (a console's workers, or a backend-only
    server beside it), and each runs the compute start-up job; if each served a sandbox of its
    own and wrote the shared kubeconfig, the others' clients would follow that file on their
    next reconnect to a cluster nobody reconciles, and a scale would never reach the pods. So
    the process holding the directory's ``sandbox.lock`` serves the sandbox and writes the
    kubeconfig; the others watch it through that file like any cluster. The lock goes with its
    process (``flock``), and the next ``refresh`` of another process takes over: a new, seeded
    sandbox that the others' clients reach on their next reconnect.
    """

    def __init__(self, directory: Path, *, chaos: bool = True) -> None:
        self.directory = directory
        self.chaos = chaos
        self.sandbox: Sandbox | None = None
        self._lock: int | None = None

    @property
    def name(self) -> str:
        return NAME

    @property
    def kubeconfig(self) -> Path:
        return self.directory / "sandbox-kubeconfig.yaml"

    @property
    def serving(self) -> bool:
        return self.sandbox is not None

    def claim(self) -> bool:
        """Serve the sandbox here if no other process does; True when this process serves it."""
        if self.sandbox is not None:
            return True
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / "sandbox.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._lock = fd
        try:
            self.sandbox = _serve_seeded(self.kubeconfig, chaos=self.chaos)
        except BaseException:
            self._release()
            raise
        log.info("serving the sandbox cluster at %s", self.sandbox.url)
        return True

    def refresh(self) -> int:
        """Add PinApps for services that gained a kubernetes id since start (idempotent); take
        the sandbox over when the process that served it is gone."""
        if self.sandbox is None:
            self.claim()
            return 0
        services = catalog_services()  # a database error fails the job's run, logged by it
        if not services:
            return 0
        return int(self.sandbox.call(_seed, self.sandbox.emulator, services))

    def stop(self) -> None:
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None
        self._release()

    def _release(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # closing the descriptor drops the flock
            self._lock = None


def _serve_seeded(kubeconfig: Path, *, chaos: bool) -> Sandbox:
    sandbox = Sandbox(name=NAME)
    sandbox.start()
    try:
        services = catalog_services() or FALLBACK_SERVICES
    except SQLAlchemyError:  # the demo still shows something; refresh() catches up later
        log.warning("the catalog could not be read to seed the sandbox", exc_info=True)
        services = FALLBACK_SERVICES
    sandbox.call(_seed, sandbox.emulator, services)
    sandbox.run_loops(chaos_seconds=3.0 if chaos else None)
    sandbox.write_kubeconfig(kubeconfig)  # last: other processes connect once it is seeded
    return sandbox


def start_sandbox(directory: Path | None = None, *, chaos: bool = True) -> EmbeddedSandbox:
    """The sandbox of ``directory`` (the data directory): served and seeded here, with its
    controllers (and chaos) running, unless another process already serves it."""
    embedded = EmbeddedSandbox(directory or DATA_DIR, chaos=chaos)
    embedded.claim()
    return embedded


def _seed(emulator: SandboxEmulator, services: list[tuple[str, str, str | None]]) -> int:
    """PinApps and PinScalers only: PinCompute's controller makes the rest."""
    return seed_demo(emulator, services, pods=False)


def embedded_cluster(settings: Settings | None = None) -> EmbeddedSandbox | None:
    """The demo's sandbox when ``settings.sandbox_cluster`` is on the embedded default, or None."""
    settings = settings or get_settings()
    if not (settings.sandbox_cluster and settings.is_embedded):
        return None
    return start_sandbox()
