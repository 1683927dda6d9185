"""The clusters PinCompute watches: one ``ClusterCache`` per configured cluster, plus an
embedded one.

Started once per backend process (the compute plugin's start-up job), never in CLI processes.
An embedded cluster is one this process serves itself (the demo's sandbox, which the plugin
passes in): it is reached through a kubeconfig like any other cluster, so the demo runs exactly
the code production runs, and PinCompute knows nothing of the emulator behind it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from kubernetes import client, config

from pinconsole.compute.cache import ClusterCache
from pinconsole.compute.constants import PINAPP_PLURAL
from pinconsole.compute.kubeclient import KubeClient
from pinconsole.errors import NotFound, Unavailable
from pinconsole.settings import ClusterSettings, Settings, get_settings

log = logging.getLogger(__name__)


class EmbeddedCluster(Protocol):
    """A cluster served from this process: named, reached by its kubeconfig (context ``name``)."""

    @property
    def name(self) -> str: ...

    @property
    def kubeconfig(self) -> Path: ...

    def refresh(self) -> int:
        """Catch up with the catalog (the start-up job runs again every minute)."""
        ...

    def stop(self) -> None: ...


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
        # No retries: the cache backs off itself and marks the cluster stale, and a write is
        # sent once (a retried write that timed out could apply twice, or late).
        configuration.retries = 0
        return KubeClient(configuration)

    return build


class ClusterManager:
    """Holds every cluster's cache; queries read from here."""

    def __init__(self) -> None:
        self.caches: dict[str, ClusterCache] = {}
        self.embedded: EmbeddedCluster | None = None
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
        if self.embedded is not None:
            self.embedded.stop()
            self.embedded = None
        self.started = False


_manager = ClusterManager()


def get_manager() -> ClusterManager:
    return _manager


def set_manager(manager: ClusterManager) -> ClusterManager:
    """Swap the process-wide manager (tests, benchmarks)."""
    global _manager
    _manager = manager
    return manager


def start_clusters(
    settings: Settings | None = None,
    manager: ClusterManager | None = None,
    *,
    embedded: Callable[[], EmbeddedCluster | None] | None = None,
) -> ClusterManager:
    """Start a cache per configured cluster (and the embedded one); idempotent per process.

    ``embedded`` starts the cluster this process serves itself, or returns None when there is
    none; a failure to start it is logged and the configured clusters start regardless.
    """
    settings = settings or get_settings()
    manager = manager or get_manager()
    if manager.started:
        if manager.embedded is not None:
            manager.embedded.refresh()
        return manager
    manager.started = True
    clusters = list(settings.clusters)
    if embedded is not None:
        try:
            manager.embedded = embedded()
        except Exception:
            log.exception("the embedded cluster did not start")
        if manager.embedded is not None:
            clusters.append(
                ClusterSettings(
                    name=manager.embedded.name,
                    kubeconfig=str(manager.embedded.kubeconfig),
                    context=manager.embedded.name,
                )
            )
    for cluster in clusters:
        manager.add(ClusterCache(name=cluster.name, api_factory=api_factory(cluster)))
    return manager


def require_cluster(name: str, manager: ClusterManager | None = None) -> ClusterCache:
    """The cache of ``name``; ``Unavailable`` when it never synced (pages show a callout)."""
    cache = (manager or get_manager()).get(name)
    if not cache.synced[PINAPP_PLURAL].is_set() and cache.stale:
        raise Unavailable(f"cluster {name} is unreachable: {cache.status()['error']}")
    return cache
