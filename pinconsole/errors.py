"""Typed domain errors. States show them as callouts, the API as problems, the CLI as messages."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a user can act on."""

    status: int = 400
    title: str = "Bad request"

    def __init__(self, message: str, *, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class Unauthenticated(DomainError):
    status = 401
    title = "Unauthenticated"


class Invalid(DomainError):
    status = 422
    title = "Invalid"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class Unavailable(DomainError):
    status = 503
    title = "Unavailable"


class OutcomeUnknown(Unavailable):
    """A write was sent and no answer came: it may or may not have been applied."""

    status = 504
    title = "Outcome unknown"
    detail: str = "unknown"  # what the audit row says
