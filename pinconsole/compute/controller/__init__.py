"""The PinApp/PinScaler controller: ``pinconsole controller``, one process for every cluster.

Built on the official client's list/watch (``informer``), not kopf: kopf runs one cluster per
operator process from global settings, elects by freezing every operator of the same priority
(its peering CRDs, not a Lease: identical replicas of one Deployment would all freeze), and
keeps per-object progress in annotations on the PinApps themselves, which would move the
resourceVersions the console's edit-conflict checks stand on. Here each cluster gets a
``LeaderElector`` on a coordination.k8s.io/v1 Lease (``settings.controller_namespace``/
``pinconsole-controller``); while it leads, a ``Reconciler`` (informers, a work queue, workers)
runs for that cluster, and it stops the moment leadership is lost.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from kubernetes import client

from pinconsole.compute.constants import CONTROLLER_LEASE
from pinconsole.compute.controller.leader import LeaderElector
from pinconsole.compute.controller.reconciler import Clock, Reconciler, utc_now
from pinconsole.settings import Settings, get_settings

log = logging.getLogger(__name__)

__all__ = ["ClusterController", "Controller", "Reconciler", "default_identity"]


def default_identity() -> str:
    """``<host>_<random>``, as client-go names a candidate: unique per process."""
    return f"{socket.gethostname()}_{uuid.uuid4().hex[:8]}"


@dataclass
class ClusterController:
    """Leader election for one cluster, and its reconciler while this instance leads."""

    name: str
    api_factory: Callable[[], client.ApiClient]
    identity: str
    settings: Settings
    clock: Clock = utc_now
    watch_timeout: int = 240

    def __post_init__(self) -> None:
        self.reconciler: Reconciler | None = None
        self.elector = LeaderElector(
            self.api_factory,
            namespace=self.settings.controller_namespace,
            name=CONTROLLER_LEASE,
            identity=self.identity,
            lease_seconds=self.settings.controller_lease_seconds,
            on_started=self._lead,
            on_stopped=self._follow,
        )

    def start(self) -> ClusterController:
        self.elector.start()
        return self

    def stop(self) -> None:
        self.elector.stop(release=True)
        self._follow()

    @property
    def leading(self) -> bool:
        return self.elector.leading

    def _lead(self) -> None:
        log.info("controller %s reconciles cluster %s", self.identity, self.name)
        self.reconciler = Reconciler(
            self.name,
            self.api_factory,
            tiers=dict(self.settings.pinapp_tiers),
            workers=self.settings.controller_workers,
            resync=self.settings.controller_resync_seconds,
            clock=self.clock,
            watch_timeout=self.watch_timeout,
        ).start()

    def _follow(self) -> None:
        reconciler, self.reconciler = self.reconciler, None
        if reconciler is not None:
            reconciler.stop()


class Controller:
    """Every configured cluster's ``ClusterController``; ``clusters`` is ``(name, api_factory)``."""

    def __init__(
        self,
        clusters: list[tuple[str, Callable[[], client.ApiClient]]],
        *,
        identity: str | None = None,
        settings: Settings | None = None,
        clock: Clock = utc_now,
        watch_timeout: int = 240,
    ) -> None:
        self.identity = identity or default_identity()
        settings = settings or get_settings()
        self.clusters = {
            name: ClusterController(name, factory, self.identity, settings, clock, watch_timeout)
            for name, factory in clusters
        }

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **kw: object) -> Controller:
        from pinconsole.compute.clusters import api_factory

        settings = settings or get_settings()
        pairs = [(c.name, api_factory(c)) for c in settings.clusters]
        return cls(pairs, settings=settings, **kw)  # type: ignore[arg-type]

    def start(self) -> Controller:
        for cluster in self.clusters.values():
            cluster.start()
        return self

    def stop(self) -> None:
        for cluster in self.clusters.values():
            cluster.stop()
