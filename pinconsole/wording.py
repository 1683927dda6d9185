"""How counts read in sentences the console shows."""

from __future__ import annotations


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """``1 member``, ``0 members``, ``2 children`` (``plural`` where adding "s" is wrong)."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"
