"""What can still go wrong when a validated location is written, and how to contain it.

Validation keeps out what the backends refuse (NUL, lone surrogates, non-finite numbers, names
with newlines), but one row that a bulk write (COPY) still refuses would lose the whole
location. ``isolate`` finds such rows by bisection so the rest is written and they are
reported; clashes with a concurrent import of another location are retried instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import exc as sa_exc

T = TypeVar("T")

try:  # COPY runs on psycopg's own cursor: its errors arrive unwrapped by SQLAlchemy
    import psycopg

    _PG_CLASHES: tuple[type[BaseException], ...] = (
        psycopg.errors.UniqueViolation,
        psycopg.errors.DeadlockDetected,
        psycopg.errors.SerializationFailure,
    )
    _PG_ROW_FAULTS: tuple[type[BaseException], ...] = (psycopg.DataError, psycopg.IntegrityError)
except ImportError:  # pragma: no cover - psycopg ships with PinConsole
    _PG_CLASHES = _PG_ROW_FAULTS = ()


def _cause(exc: BaseException) -> BaseException:
    return getattr(exc, "orig", None) or exc


def is_clash(exc: BaseException) -> bool:
    """A unique violation or deadlock caused by another transaction: worth a retry."""
    cause = _cause(exc)
    if isinstance(cause, _PG_CLASHES):
        return True
    return isinstance(exc, sa_exc.IntegrityError) and "UNIQUE constraint failed" in str(cause)


def is_row_fault(exc: BaseException) -> bool:
    """An error some row's content causes (bad data, a constraint), not the database's state."""
    if is_clash(exc):
        return False
    faults = (sa_exc.DataError, sa_exc.IntegrityError, UnicodeError, *_PG_ROW_FAULTS)
    return isinstance(exc, faults) or isinstance(_cause(exc), _PG_ROW_FAULTS)


def isolate(
    items: Sequence[T], probe: Callable[[Sequence[T]], None], *, max_probes: int = 200
) -> list[tuple[T, BaseException]]:
    """The items ``probe`` refuses, found by bisection (k bad of n: about 2k·log2(n) probes).

    ``probe(group)`` writes ``group`` in a transaction it rolls back, raising when a row is
    refused. Past ``max_probes`` a still-failing group is returned whole, so a location full of
    refused rows costs bounded time. An error that is not a row fault propagates.
    """
    bad: list[tuple[T, BaseException]] = []
    probes = 0
    pending: list[Sequence[T]] = [items]
    while pending:
        group = pending.pop()
        probes += 1
        try:
            probe(group)
        except Exception as exc:
            if not is_row_fault(exc):
                raise
            if len(group) == 1 or probes >= max_probes:
                bad.extend((item, exc) for item in group)
            else:
                mid = len(group) // 2
                pending += [group[mid:], group[:mid]]
    return bad


def storable_text(text: Any) -> Any:
    """``text`` with what no PostgreSQL text column takes (NUL, lone surrogates) escaped.

    Error rows quote what a descriptor wrote (a field path is made of its keys), so they must
    be storable whatever the descriptor held.
    """
    if not isinstance(text, str) or (text.isascii() and "\x00" not in text):
        return text
    text = text.replace("\x00", "\\x00")
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
