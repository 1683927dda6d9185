"""Typed errors of the Prometheus and Alertmanager clients, each naming the instance.

A panel shows one of these instead of an empty chart: "no data" must never stand for "could
not ask". They subclass the project's domain errors, so the API and the states map them as any
other (422 for a query the user can fix, 503/504 for a server that failed or did not answer).
"""

from __future__ import annotations

from pinconsole.errors import DomainError, Invalid, Unavailable


class SourceError(DomainError):
    """Raised about one named Prometheus or Alertmanager instance (``where``)."""

    def __init__(self, message: str, *, instance: str, kind: str = "Prometheus") -> None:
        super().__init__(message, where=f"{kind} {instance!r}")
        self.instance = instance


class QueryInvalid(SourceError, Invalid):
    """The server refused the request as malformed (Prometheus ``bad_data``)."""


class QueryFailed(SourceError, Unavailable):
    """The server took the request and failed while executing it."""

    status = 502
    title = "Query failed"


class QueryTimeout(SourceError, Unavailable):
    """No answer within the read timeout, or the server gave up on its own time limit."""

    status = 504
    title = "Timed out"


class SourceUnreachable(SourceError, Unavailable):
    """The server could not be connected to (refused, unknown host, TLS failure)."""
