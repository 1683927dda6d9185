"""What an outage of the database or of Redis looks like to the code that ran into it.

The API answers these with a 503 problem, the UI with its outage banner; both ask here, so the
two never disagree about what counts as "unavailable" (the ORM wraps the driver's errors, the
prepared-statement reads raise psycopg's own).
"""

from __future__ import annotations

import psycopg
import redis.exceptions
from sqlalchemy import exc as sa_exc

DATABASE_OUTAGES: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)
REDIS_OUTAGES: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


def outage_of(exc: BaseException) -> str | None:
    """``"The database"`` or ``"Redis"`` when ``exc`` (or what caused it) is an outage of it."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, REDIS_OUTAGES):
            return "Redis"
        if isinstance(current, DATABASE_OUTAGES):
            return "The database"
        suppressed = current.__suppress_context__
        current = current.__cause__ or (None if suppressed else current.__context__)
    return None
