"""Reading descriptor files: multi-document YAML with positions kept for error messages."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IngestError:
    """One fault in one place: ``file: document N: field: message``.

    ``document`` is 0-based (as stored in ``catalog_error.document``); ``str()`` shows it 1-based
    for people. ``line`` is 1-based when known.
    """

    source: str
    message: str
    document: int | None = None
    field: str | None = None
    entity_ref: str | None = None
    line: int | None = None
    location_key: str | None = None

    def __str__(self) -> str:
        parts = [f"{self.source}:{self.line}" if self.line else self.source]
        if self.document is not None:
            parts.append(f"document {self.document + 1}")
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)
