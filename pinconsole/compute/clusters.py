"""The clusters PinCompute watches: one ``ClusterCache`` per configured cluster, plus the sandbox.

Started once per backend process (the compute plugin's start-up job), never in CLI processes.
The sandbox (``settings.sandbox_cluster`` on the embedded default) is a seeded emulator served on
loopback from this process; it is reached through a kubeconfig like any other cluster, so the
demo runs exactly the code production runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from kubernetes import client, config

from pinconsole.compute.cache import ClusterCache
from pinconsole.errors import NotFound, Unavailable
from pinconsole.settings import DATA_DIR, ClusterSettings, Settings, get_settings

log = logging.getLogger(__name__)

SANDBOX_NAME = "sandbox"
ID_ANNOTATIONS = ("pinconsole.io/kubernetes-id", "backstage.io/kubernetes-id")
NAMESPACE_ANNOTATION = "backstage.io/kubernetes-namespace"
# When the catalog has no annotated services yet, the sandbox still shows something.
FALLBACK_SERVICES = [
    ("pins-api", "pins", "group:default/pins"),
    ("pins-worker", "pins", "group:default/pins"),
    ("boards-api", "boards", "group:default/boards"),
    ("search-api", "search", "group:default/search"),
    ("search-indexer", "search", "group:default/search"),
    ("notifications", "growth", "group:default/growth"),
]


def api_factory(cluster: ClusterSettings) -> Callable[[], client.ApiClient]:
    """A function building an ApiClient for ``cluster`` (kubeconfig + context, or in-cluster)."""

    def build() -> client.ApiClient:
        configuration = client.Configuration()
        if cluster.in_cluster:
            config.load_incluster_config(client_configuration=configuration)
        else:
            config.load_kube_config(
                config_file=cluster.kubeconfig,
                context=cluster.context,
                client_configuration=configuration,
                persist_config=False,
            )
        configuration.retries = 0  # the cache backs off itself and marks the cluster stale
        return client.ApiClient(configuration)

    return build


class ClusterManager:
    """Holds every cluster's cache; queries read from here."""

    def __init__(self) -> None:
        self.caches: dict[str, ClusterCache] = {}
        self.sandbox: Any = None  # pinconsole.compute.sandbox.Sandbox when embedded
        self._lock = threading.Lock()
        self.started = False

    def add(self, cache: ClusterCache, *, start: bool = True, sampler: bool = True) -> ClusterCache:
        with self._lock:
            if cache.name in self.caches:
                raise ValueError(f"cluster {cache.name!r} is configured twice")
            self.caches[cache.name] = cache
        if start:
            cache.start(sampler=sampler)
        return cache

    def get(self, name: str) -> ClusterCache:
        cache = self.caches.get(name)
        if cache is None:
            raise NotFound(f"no cluster named {name!r}", where="cluster")
        return cache

    def all(self) -> list[ClusterCache]:
        return list(self.caches.values())

    def version(self) -> int:
        """Changes whenever any cache changes: pages poll this cheaply before re-reading."""
        return sum(cache.version for cache in self.caches.values())

    def stop(self) -> None:
        for cache in self.all():
            cache.stop()
        self.caches.clear()
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None
        self.started = False


_manager = ClusterManager()


def get_manager() -> ClusterManager:
    return _manager


def set_manager(manager: ClusterManager) -> ClusterManager:
    """Swap the process-wide manager (tests, benchmarks)."""
    global _manager
    _manager = manager
    return manager


def demo_services(entities: Iterable[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    """``(kubernetes_id, namespace, owner)`` for catalog entities carrying a kubernetes id."""
    found: list[tuple[str, str, str | None]] = []
    for body in entities:
        meta = body.get("metadata") or {}
        annotations = meta.get("annotations") or {}
        kube_id = next((annotations[a] for a in ID_ANNOTATIONS if annotations.get(a)), None)
        if not kube_id:
            continue
        owner = (body.get("spec") or {}).get("owner")
        team = str(owner).split("/")[-1].split(":")[-1] if owner else None
        namespace = annotations.get(NAMESPACE_ANNOTATION) or team or "default"
        found.append((kube_id, namespace, owner))
    return found


def _catalog_services() -> list[tuple[str, str, str | None]]:
    try:
        from sqlmodel import col, select

        from pinconsole.db import session_scope
        from pinconsole.models.catalog import Entity

        with session_scope() as session:
            bodies = session.exec(
                select(Entity.body).where(col(Entity.kind).in_(["component", "resource"]))
            ).all()
        return demo_services(bodies)
    except Exception:  # no catalog yet
        log.debug("catalog not readable for sandbox seeding", exc_info=True)
        return []


def start_sandbox(directory: Path | None = None, *, chaos: bool = True) -> Any:
    """Serve a seeded emulator on loopback and return the running ``Sandbox``."""
    from pinconsole.compute.sandbox import Sandbox, seed_demo

    sandbox = Sandbox(kubeconfig=(directory or DATA_DIR) / "sandbox-kubeconfig.yaml").start()
    services = _catalog_services() or FALLBACK_SERVICES
    sandbox.call(seed_demo, sandbox.emulator, services)
    sandbox.run_loops(chaos_seconds=3.0 if chaos else None)
    return sandbox


def reseed_sandbox(manager: ClusterManager) -> int:
    """Add PinApps for services that gained a kubernetes id since start (idempotent)."""
    if manager.sandbox is None:
        return 0
    from pinconsole.compute.sandbox import seed_demo

    services = _catalog_services()
    return (
        int(manager.sandbox.call(seed_demo, manager.sandbox.emulator, services)) if services else 0
    )


def start_clusters(
    settings: Settings | None = None, manager: ClusterManager | None = None
) -> ClusterManager:
    """Start a cache per configured cluster (and the sandbox); idempotent per process."""
    settings = settings or get_settings()
    manager = manager or get_manager()
    if manager.started:
        reseed_sandbox(manager)
        return manager
    manager.started = True
    clusters = list(settings.clusters)
    if settings.sandbox_cluster and settings.is_embedded:
        try:
            manager.sandbox = start_sandbox()
            clusters.append(
                ClusterSettings(
                    name=SANDBOX_NAME,
                    kubeconfig=str(manager.sandbox.kubeconfig),
                    context=manager.sandbox.name,
                )
            )
        except Exception:
            log.exception("the sandbox cluster did not start")
    for cluster in clusters:
        manager.add(ClusterCache(name=cluster.name, api_factory=api_factory(cluster)))
    return manager


def require_cluster(name: str, manager: ClusterManager | None = None) -> ClusterCache:
    """The cache of ``name``; ``Unavailable`` when it never synced (pages show a callout)."""
    cache = (manager or get_manager()).get(name)
    if not cache.synced["pinapps"].is_set() and cache.stale:
        raise Unavailable(f"cluster {name} is unreachable: {cache.status()['error']}")
    return cache
