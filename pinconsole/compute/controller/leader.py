"""Leader election through a coordination.k8s.io/v1 Lease, as client-go's leaderelection does.

One instance per cluster reconciles; the others wait. The holder renews the Lease every
``retry`` seconds; a candidate takes it over only once the record it last saw (holder and
renewTime) has stood unchanged for ``lease`` seconds on its own clock (clock skew between hosts
does not matter), by an update carrying the version it read, so two candidates cannot both win.
A holder that cannot renew for ``renew_deadline`` (< ``lease``) stops leading before anyone can
take over; one that stops cleanly gives the Lease up (holder cleared) so another takes over at
its next try. Timings follow client-go's defaults in proportion: lease 15 s, renew deadline
10 s, retry 2 s.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

log = logging.getLogger(__name__)


def micro_time(moment: datetime | None = None) -> str:
    """A MicroTime as the API writes it (RFC 3339, microseconds, UTC)."""
    return (moment or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElector:
    def __init__(
        self,
        api: Callable[[], client.ApiClient],
        *,
        namespace: str,
        name: str,
        identity: str,
        lease_seconds: float,
        on_started: Callable[[], None],
        on_stopped: Callable[[], None],
    ) -> None:
        self.api = api
        self.namespace, self.name, self.identity = namespace, name, identity
        self.lease_seconds = lease_seconds
        self.renew_deadline = lease_seconds * 2 / 3
        self.retry = lease_seconds / 7.5
        self.on_started, self.on_stopped = on_started, on_stopped
        self.leading = False
        self._observed: tuple[Any, Any] | None = None
        self._observed_at = 0.0
        self._renewed_at = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> LeaderElector:
        self._thread = threading.Thread(
            target=self._run, name=f"leader-{self.namespace}/{self.name}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self, *, release: bool = True) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.lease_seconds + 5)
        if self.leading:
            self._lose()
            if release:
                self._release()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                won = self._try_acquire_or_renew()
            except Exception as exc:  # unreachable, timed out: not renewed this time
                log.debug("lease %s/%s not renewed: %s", self.namespace, self.name, exc)
                won = False
            now = time.monotonic()
            if won:
                self._renewed_at = now
                if not self.leading:
                    self.leading = True
                    log.info("%s leads %s/%s", self.identity, self.namespace, self.name)
                    self.on_started()
            elif self.leading and (
                now - self._renewed_at > self.renew_deadline or self._held_by_other()
            ):
                log.warning("%s lost the lease %s/%s", self.identity, self.namespace, self.name)
                self._lose()
            self._stop.wait(self.retry)

    def _lose(self) -> None:
        self.leading = False
        self.on_stopped()

    def _held_by_other(self) -> bool:
        return self._observed is not None and self._observed[0] not in (None, "", self.identity)

    def _leases(self) -> client.CoordinationV1Api:
        return client.CoordinationV1Api(self.api())

    def _try_acquire_or_renew(self) -> bool:
        leases = self._leases()
        now = datetime.now(UTC)
        try:
            lease = leases.read_namespaced_lease(self.name, self.namespace)
        except ApiException as exc:
            if exc.status != 404:
                raise
            body = {
                "metadata": {"name": self.name, "namespace": self.namespace},
                "spec": {
                    "holderIdentity": self.identity,
                    "leaseDurationSeconds": max(1, round(self.lease_seconds)),
                    "acquireTime": micro_time(now),
                    "renewTime": micro_time(now),
                    "leaseTransitions": 0,
                },
            }
            try:
                leases.create_namespaced_lease(self.namespace, body)
            except ApiException as conflict:
                if conflict.status == 409:  # another candidate created it first
                    return False
                raise
            self._observe((self.identity, micro_time(now)))
            return True
        spec = lease.spec
        record = (spec.holder_identity, spec.renew_time)
        if record != self._observed:
            self._observe(record)
        holder = spec.holder_identity
        expired = time.monotonic() - self._observed_at > self.lease_seconds
        if holder and holder != self.identity and not expired:
            return False
        mine = holder == self.identity
        body = self._body(
            lease,
            {
                "holderIdentity": self.identity,
                "leaseDurationSeconds": max(1, round(self.lease_seconds)),
                "acquireTime": micro_time(spec.acquire_time)
                if mine and spec.acquire_time
                else micro_time(now),
                "renewTime": micro_time(now),
                "leaseTransitions": (spec.lease_transitions or 0) + (0 if mine else 1),
            },
        )
        try:
            leases.replace_namespaced_lease(self.name, self.namespace, body)
        except ApiException as exc:
            if exc.status == 409:  # someone else wrote it since we read it
                return False
            raise
        self._observe((self.identity, body["spec"]["renewTime"]))
        return True

    def _body(self, lease: Any, spec: dict[str, Any]) -> dict[str, Any]:
        """A replacement of ``lease`` standing on the version read (a 409 if it moved on)."""
        meta = {"name": self.name, "namespace": self.namespace}
        return {
            "metadata": {**meta, "resourceVersion": lease.metadata.resource_version},
            "spec": spec,
        }

    def _observe(self, record: tuple[Any, Any]) -> None:
        self._observed = record
        self._observed_at = time.monotonic()

    def _release(self) -> None:
        """Give the Lease up so another instance takes over at its next try."""
        try:
            leases = self._leases()
            lease = leases.read_namespaced_lease(self.name, self.namespace)
            if lease.spec.holder_identity != self.identity:
                return
            body = self._body(
                lease,
                {
                    "holderIdentity": None,
                    "leaseDurationSeconds": 1,
                    "renewTime": micro_time(),
                    "leaseTransitions": lease.spec.lease_transitions or 0,
                },
            )
            leases.replace_namespaced_lease(self.name, self.namespace, body)
        except Exception:  # leaving anyway: the Lease then expires on its own
            log.info("lease %s/%s not released", self.namespace, self.name, exc_info=True)
