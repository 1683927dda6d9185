"""Which kinds a location may bring into the catalog (Backstage's ``catalog.rules``).

Trusted locations (configured in ``settings.catalog_locations``, registered by an administrator
or the CLI, imported by an operator without registering) and the org sync bring any kind. A
location a non-administrator registered brings only the kinds ``settings.catalog_rules`` allow
for its target: by default no Group and no User, so membership, admin rights and namespaces
(``pinconsole.io/namespaces``) never come from a descriptor a non-administrator controls.

A Location entity passes its limit down: what its targets may bring is the intersection of the
limit of the file that named them and the rules for the targets themselves, so a nested
Location cannot reach a more permissive rule than its root.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinconsole.catalog.descriptors import Document, IngestError, is_url, normalise_target
from pinconsole.catalog.validation import KINDS
from pinconsole.models import Location
from pinconsole.settings import get_settings

Kinds = frozenset[str] | None  # lowercase kinds; None: every kind

RULES_SETTING = "catalog_rules"
PROVIDER_PREFIX = "provider:"


def configured_targets() -> list[str]:
    """Settings' ``catalog_locations`` as location keys."""
    return [normalise_target(t) for t in get_settings().catalog_locations]


def is_trusted(session: Session, key: str) -> bool:
    """Whether ``key`` may bring any kind: the org sync, configured, an admin's registration,
    or not registered at all (an operator's ``pinconsole catalog import``)."""
    if key.startswith(PROVIDER_PREFIX) or key in configured_targets():
        return True
    trusted = session.execute(select(Location.trusted).where(Location.target == key)).first()
    return trusted is None or bool(trusted[0])


def _comparable(target: str) -> str | None:
    """The form rules match against; ``None`` for a URL whose path climbs (``..``), which no
    pattern should be able to vouch for."""
    if not is_url(target):
        return target
    parts = urlsplit(target)
    path = unquote(parts.path)
    if ".." in path.split("/"):
        return None
    normal = posixpath.normpath(path) if path else ""
    if path.endswith("/") and not normal.endswith("/"):
        normal += "/"
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{normal}{query}"


def kinds_for(target: str, *, trusted: bool) -> Kinds:
    """The kinds ``target`` may bring in by itself (before any parent's limit)."""
    if trusted:
        return None
    comparable = _comparable(target)
    kinds: set[str] = set()
    for rule in get_settings().catalog_rules:
        if comparable is not None and any(fnmatchcase(comparable, p) for p in rule.targets):
            kinds.update(k.strip().lower() for k in rule.allow)
    return None if "*" in kinds else frozenset(kinds)


def narrow(parent: Kinds, child: Kinds) -> Kinds:
    """What a nested target may bring: never more than the file that named it."""
    if parent is None:
        return child
    if child is None:
        return parent
    return parent & child


_NAMES = {k.lower(): k for k in KINDS}


def describe(kinds: Kinds) -> str:
    """``Component, Location`` as people write kinds."""
    if kinds is None:
        return "any kind"
    return ", ".join(sorted(_NAMES.get(k, k) for k in kinds)) if kinds else "no kind"


@dataclass
class KindGate:
    """One import pass's limits: per source read, the kinds it may bring in."""

    key: str
    trusted: bool
    _limits: dict[str, Kinds] = field(default_factory=dict)
    _via: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._limits[self.key] = kinds_for(self.key, trusted=self.trusted)

    @property
    def root(self) -> Kinds:
        return self._limits[self.key]

    def limit(self, source: str) -> Kinds:
        return self._limits.get(source, self.root)

    def descend(self, parent: str, targets: list[str]) -> None:
        """``targets`` were named by ``parent`` (a Location entity or a scanned directory)."""
        for target in targets:
            if target not in self._limits:
                own = kinds_for(target, trusted=self.trusted)
                self._limits[target] = narrow(self.limit(parent), own)
                self._via[target] = parent

    def alias(self, named: str, resolved: str) -> None:
        """A file target resolved to another path (symlinks): same limit under both names."""
        if resolved not in self._limits:
            self._limits[resolved] = self.limit(named)
            if named in self._via:
                self._via[resolved] = self._via[named]

    def refusal(self, doc: Document, ref: str | None) -> IngestError | None:
        """An ingestion error when ``doc``'s kind is not allowed where it was read, else None."""
        kind = doc.body.get("kind") if isinstance(doc.body, dict) else None
        allowed = self.limit(doc.source)
        if not isinstance(kind, str) or allowed is None or kind.lower() in allowed:
            return None
        via = f", reached through {self._via[doc.source]}" if doc.source in self._via else ""
        return doc.error(
            f"kind {kind} is not allowed from this location: it was registered by a "
            f"non-administrator and settings.{RULES_SETTING} allow only {describe(allowed)} "
            f"for {doc.source}{via}; skipped",
            ("kind",),
            entity_ref=ref,
        )
