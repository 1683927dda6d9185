"""Which registry and repository a component's ``pinconsole.io/image-repository`` names.

Two forms: ``<registry-name>/<repo/path>`` (a name from the ``registries`` setting) or a full
reference ``<host[:port]>/<repo/path>`` whose host matches a configured registry's URL. Only
configured registries are ever contacted: the annotation is written by descriptor authors.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import httpx

from pinconsole.errors import Invalid, NotFound
from pinconsole.settings import RegistrySettings

ANNOTATION = "pinconsole.io/image-repository"

# The distribution spec's repository name grammar.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
REPOSITORY = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
MAX_REPOSITORY = 255


def _netloc(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.host}:{parsed.port}" if parsed.port else parsed.host


def check_repository(repository: str, *, where: str = ANNOTATION) -> str:
    """``repository`` when it is a valid repository path, else Invalid naming it."""
    if len(repository) > MAX_REPOSITORY or not REPOSITORY.match(repository):
        raise Invalid(
            f"{repository!r} is not a repository path (lowercase letters, digits, "
            "'.', '_', '-' between them, '/' between parts)",
            where=where,
        )
    return repository


def resolve_repository(
    value: str, registries: Sequence[RegistrySettings]
) -> tuple[RegistrySettings, str]:
    """(the registry's settings, the repository path) for an annotation value.

    Invalid when the value is malformed or carries a tag or digest; NotFound when no configured
    registry has that name or host.
    """
    text = value.strip() if isinstance(value, str) else ""
    for prefix in ("https://", "http://"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    if "@" in text or ":" in text.rpartition("/")[2]:
        raise Invalid(f"{value!r}: name a repository, without a tag or digest", where=ANNOTATION)
    first, _, rest = text.partition("/")
    if not first or not rest:
        raise Invalid(
            f"{value!r}: expected <registry-name>/<repository> or <host>/<repository>",
            where=ANNOTATION,
        )
    by_name = [r for r in registries if r.name == first]
    if not by_name:
        by_name = [r for r in registries if _netloc(r.url) == first.lower()]
    if not by_name:
        known = ", ".join(sorted(r.name for r in registries)) or "none configured"
        raise NotFound(
            f"{value!r}: no registry named or hosted at {first!r} (registries: {known})",
            where=ANNOTATION,
        )
    return by_name[0], check_repository(rest)
