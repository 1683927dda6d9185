"""The catalog's write side: read locations, validate, upsert entities, tags and relations.

One pass per location key (the registered target: a file, a directory or a URL). Writes are
incremental: existing (uid, ref, etag, location, status) are loaded in one query, unchanged
entities cause no write at all, and inserts/updates go out as executemany batches.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import uuid
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlmodel import Session

from pinconsole.access.audit import record
from pinconsole.catalog import write_faults
from pinconsole.catalog.descriptors import (
    Document,
    IngestError,
    Limits,
    Reader,
    ReadError,
    file_too_large,
    format_path,
    is_url,
    iter_catalog_files,
    location_root,
    normalise_target,
    parse_documents,
    resolve_substitutions,
    resolve_target,
)
from pinconsole.catalog.materialize import fill_api_json
from pinconsole.catalog.refs import DEFAULT_NAMESPACE, RefError, entity_ref, ref_for_field
from pinconsole.catalog.relations import Triple, compute_relations
from pinconsole.catalog.rules import KindGate, Kinds, is_trusted
from pinconsole.catalog.scorecards import (
    ScoreContext,
    compute_scores,
    enabled_checks,
    score_columns,
)
from pinconsole.catalog.validation import unstorable_value, validate_entity
from pinconsole.db import get_engine, is_postgres, session_scope
from pinconsole.models import CatalogError, Entity, EntityTag, Location, Relation
from pinconsole.settings import get_settings

__all__ = [
    "ApplyResult",
    "ImportSummary",
    "IngestError",
    "apply_provider_entities",
    "import_locations",
    "purge_orphans",
]

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    """Aware UTC now: the timestamp columns are ``UTCDateTime`` and refuse naive values."""
    return datetime.now(UTC)


MANAGED_BY = "backstage.io/managed-by-location"
ORIGIN = "backstage.io/managed-by-origin-location"
PROVIDER_PREFIX = "provider:"

_E = Entity.__table__  # type: ignore[attr-defined]
_T = EntityTag.__table__  # type: ignore[attr-defined]
_R = Relation.__table__  # type: ignore[attr-defined]
_ERR = CatalogError.__table__  # type: ignore[attr-defined]
_LOC = Location.__table__  # type: ignore[attr-defined]
_CHUNK = 900  # ids per IN (...) list: below every backend's bind-parameter limit


@dataclass
class ImportSummary:
    """What one import pass did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    orphaned: int = 0
    errors: list[IngestError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def __str__(self) -> str:
        return (
            f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
            f"orphaned {self.orphaned}, errors {len(self.errors)}"
        )

    def merge(self, other: ImportSummary) -> None:
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.orphaned += other.orphaned
        self.errors.extend(other.errors)


@dataclass
class ApplyResult:
    """What one provider apply did (or would do, with ``dry_run``)."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    removed_refs: list[str] = field(default_factory=list)
    errors: list[IngestError] = field(default_factory=list)


# --- preparing one entity --------------------------------------------------------------------


@dataclass(slots=True)
class Prepared:
    """A valid entity ready to write: its columns, tags and relations."""

    ref: str
    columns: dict[str, Any]
    tags: list[str]
    relations: list[Triple]
    source: str
    document: int | None
    body_json: str = ""
    quick: bool = False  # known unchanged by etag: only ``columns["etag"]`` is filled


class _Stale(Exception):
    """A quick (unchanged) item turned out changed in the database meanwhile: prepare fully."""


def _managed_value(source: str) -> str:
    if source.startswith(PROVIDER_PREFIX):
        return source
    return f"url:{source}" if is_url(source) else f"file:{source}"


class _RawJson(str):
    """A body already serialised (for the etag); COPY sends it as is instead of dumping again."""


def _etag(body: dict[str, Any]) -> tuple[str, _RawJson]:
    # allow_nan=False: NaN/Infinity are no JSON, and PostgreSQL's cast refuses the whole COPY.
    data = json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    # encode(): a lone surrogate raises here (UnicodeEncodeError, a ValueError) as it would in
    # the COPY; a NUL is kept by JSON as \u0000, which no PostgreSQL text or JSON column takes.
    if "\\u0000" in data and unstorable_value(body):  # (or an escaped backslash before u0000)
        raise ValueError("NUL character")
    return hashlib.blake2b(data.encode(), digest_size=20).hexdigest(), _RawJson(data)


def _ref_or_none(body: Any) -> str | None:
    """The ref of a possibly invalid descriptor, if it names itself well enough."""
    if not isinstance(body, dict):
        return None
    meta = body.get("metadata")
    if not isinstance(body.get("kind"), str) or not isinstance(meta, dict):
        return None
    if not isinstance(meta.get("name"), str) or not meta["name"]:
        return None
    if meta.get("namespace") is not None and not isinstance(meta.get("namespace"), str):
        return None
    return entity_ref(body)


_OUTPUT_FIELDS = ("relations", "status")  # computed by the catalog, never read from input
_OUTPUT_METADATA = ("uid", "etag", "generation")


def _stored_body(body: dict[str, Any], source: str, location_key: str) -> dict[str, Any]:
    """The descriptor as stored: output-only fields dropped (so descriptors exported from a
    Backstage catalog import cleanly), managed-by annotations added unless present."""
    meta = {k: v for k, v in body["metadata"].items() if k not in _OUTPUT_METADATA}
    annotations = dict(meta.get("annotations") or {})
    annotations.setdefault(MANAGED_BY, _managed_value(source))
    annotations.setdefault(ORIGIN, _managed_value(location_key))
    meta["annotations"] = annotations
    stored = {k: v for k, v in body.items() if k not in _OUTPUT_FIELDS}
    stored["metadata"] = meta
    return stored


def prepare_entity(
    body: Any,
    *,
    source: str,
    document: int | None,
    location_key: str,
    doc: Document | None = None,
) -> tuple[Prepared | None, list[IngestError]]:
    """Validate one descriptor and compute everything stored for it."""

    def err(path: tuple[Any, ...], message: str, ref: str | None) -> IngestError:
        if doc is not None:
            return doc.error(message, path, entity_ref=ref)
        return IngestError(source, message, document, format_path(path) or None, ref)

    ref = _ref_or_none(body)
    problems = validate_entity(body)
    if problems:
        return None, [err(path, msg, ref) for path, msg in problems]
    relations, ref_problems = compute_relations(body)
    if ref_problems:
        return None, [err(path, msg, ref) for path, msg in ref_problems]
    assert ref is not None
    body = _stored_body(body, source, location_key)
    meta = body["metadata"]
    spec = body.get("spec") or {}
    kind = body["kind"]
    namespace = meta.get("namespace") or DEFAULT_NAMESPACE

    def field_ref(name: str) -> str | None:
        value = spec.get(name)
        if not value:
            return None
        try:
            return ref_for_field(name, value, namespace)
        except RefError:
            return None

    try:
        etag, body_json = _etag(body)
    except (TypeError, ValueError) as exc:
        path, message = unstorable_value(body) or (
            (),
            f"descriptor holds a value that is not JSON: {exc}",
        )
        return None, [err(path, message, ref)]
    tags = list(dict.fromkeys(t.lower() for t in (meta.get("tags") or [])))
    title = meta.get("title")
    description = meta.get("description")
    words = [meta["name"], title or "", description or "", " ".join(tags)]
    if kind in ("User", "Group"):
        # People and teams are searched by what they are called, not only by their id.
        profile = spec.get("profile") if isinstance(spec.get("profile"), dict) else {}
        words += [str(profile.get(k) or "") for k in ("displayName", "email")]
    search_text = " ".join(s for s in words if s).lower()
    columns: dict[str, Any] = {
        "ref": ref,
        "kind": kind.lower(),
        "namespace": namespace,
        "name": meta["name"],
        # Column widths: the full values stay in ``body``.
        "title": title[:500] if title else title,
        "description": description,
        "spec_type": spec["type"][:100] if isinstance(spec.get("type"), str) else None,
        "lifecycle": spec["lifecycle"][:100] if isinstance(spec.get("lifecycle"), str) else None,
        "owner_ref": field_ref("owner"),
        "system_ref": field_ref("system"),
        "domain_ref": field_ref("domain") if kind == "System" else None,
        "body": body,
        "search_text": search_text,
        "etag": etag,
        "location_key": location_key,
    }
    return Prepared(ref, columns, tags, relations, source, document, body_json), []


def _unchanged_item(
    body: Any, *, source: str, document: int | None, location_key: str, known: dict[str, str]
) -> Prepared | None:
    """A descriptor whose etag equals the stored one: skip validation and relations.

    The stored version passed validation with exactly this content, so a re-import of an
    unchanged catalog costs a hash per entity instead of a full preparation.
    """
    ref = _ref_or_none(body)
    if ref is None or ref not in known:
        return None
    if not isinstance(body["metadata"].get("annotations") or {}, dict):
        return None
    try:
        etag, _ = _etag(_stored_body(body, source, location_key))
    except (TypeError, ValueError):
        return None
    if known[ref] != etag:
        return None
    return Prepared(ref, {"etag": etag}, [], [], source, document, quick=True)


# --- writing ---------------------------------------------------------------------------------


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _insert_many(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if is_postgres(conn):
        # COPY is several times faster than multi-row INSERT (the benchmark's 27,500 entities
        # bring ~250,000 relation rows). Rows are written as COPY text in large blocks: the
        # per-row ``write_row`` of psycopg costs more than the server's work here.
        cols = list(rows[0])
        raw = conn.connection.driver_connection
        col_list = ", ".join(f'"{c}"' for c in cols)
        with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({col_list}) FROM STDIN') as cp:
            for chunk in _chunks(rows, 20000):
                cp.write("".join(_copy_line(row, cols) for row in chunk).encode())
        return
    if table is not _E:
        # Plain string columns: hand tuples to the driver, skipping per-row bind processing.
        cols = list(rows[0])
        sql = (
            f'INSERT INTO "{table.name}" ({", ".join(cols)}) '
            f"VALUES ({', '.join('?' for _ in cols)})"
        )
        conn.exec_driver_sql(sql, [tuple(row[c] for c in cols) for row in rows])
        return
    conn.execute(insert(table), rows)


def _copy_text(conn: Connection, table: Any, cols: Sequence[str], lines: list[str]) -> None:
    """COPY ready-made text lines (already escaped) into ``table`` (PostgreSQL only)."""
    if not lines:
        return
    raw = conn.connection.driver_connection
    col_list = ", ".join(f'"{c}"' for c in cols)
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({col_list}) FROM STDIN') as cp:
        for chunk in _chunks(lines, 50000):
            cp.write("".join(chunk).encode())


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, str):  # includes _RawJson bodies
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False).translate(_COPY_ESCAPES)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _copy_line(row: dict[str, Any], cols: list[str]) -> str:
    return "\t".join([_copy_value(row[c]) for c in cols]) + "\n"


@dataclass
class _WriteCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    orphaned: int = 0
    removed_refs: list[str] = field(default_factory=list)


def _write(
    conn: Connection,
    key: str,
    prepared: list[Prepared],
    seen: set[str],
    errors: list[IngestError],
    *,
    missing: str,  # "orphan" | "delete" | "keep"
    protected_sources: set[str] | None = None,
    dry_run: bool = False,
    score: bool = False,
) -> _WriteCounts:
    """Upsert ``prepared`` for location ``key`` and handle entities no longer there.

    With ``score`` each written entity carries its scorecard score, judged against the groups
    stored or written here (``import_locations`` settles owners from other locations).
    """
    now = utcnow()
    is_pg = is_postgres(conn)
    counts = _WriteCounts()
    existing = {
        row.ref: row
        for row in conn.execute(
            select(_E.c.uid, _E.c.ref, _E.c.etag, _E.c.location_key, _E.c.status)
        )
    }
    scored: dict[str, Any] = {}
    if score:
        groups = {r for r in existing if r.startswith("group:")}
        groups.update(item.ref for item in prepared if item.ref.startswith("group:"))
        ctx, checks = ScoreContext(frozenset(groups)), enabled_checks()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    revive: list[str] = []
    changed: list[tuple[str, Prepared]] = []
    for item in prepared:
        row = existing.get(item.ref)
        if item.quick and not (
            row is not None and row.etag == item.columns["etag"] and row.location_key == key
        ):
            raise _Stale(item.ref)
        if row is None:
            if score:
                scored = {"score": score_columns(item.columns, ctx, checks)}
            uid = str(uuid.uuid4())
            inserts.append(
                {
                    **item.columns,
                    **scored,
                    "uid": uid,
                    "status": "active",
                    "orphaned_at": None,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if is_pg and item.body_json:  # COPY sends the etag's serialisation as is
                inserts[-1]["body"] = item.body_json
            changed.append((uid, item))
            continue
        if row.location_key != key and row.status == "active":
            errors.append(
                IngestError(
                    item.source,
                    f"entity {item.ref} is already provided by {row.location_key}; skipped",
                    item.document,
                    "metadata.name",
                    item.ref,
                )
            )
            continue
        if row.etag == item.columns["etag"] and row.location_key == key:
            if row.status == "active":
                counts.unchanged += 1
            else:
                revive.append(row.uid)
            continue
        if score:
            scored = {"score": score_columns(item.columns, ctx, checks)}
        updates.append(
            {
                **item.columns,
                **scored,
                "_uid": row.uid,
                "status": "active",
                "orphaned_at": None,
                "updated_at": now,
            }
        )
        changed.append((row.uid, item))

    gone = [
        row
        for ref, row in existing.items()
        if row.location_key == key
        and ref not in seen
        and (row.status == "active" or missing == "delete")
    ]
    if gone and protected_sources and missing == "orphan":
        uids = [row.uid for row in gone]
        bodies = {}
        for chunk in _chunks(uids):
            bodies.update(
                conn.execute(select(_E.c.uid, _E.c.body).where(_E.c.uid.in_(chunk))).all()
            )
        gone = [
            row
            for row in gone
            if ((bodies.get(row.uid) or {}).get("metadata", {}).get("annotations", {}) or {}).get(
                MANAGED_BY
            )
            not in protected_sources
        ]
    if missing == "keep":
        gone = []

    counts.added = len(inserts)
    counts.updated = len(updates) + len(revive)
    if missing == "orphan":
        counts.orphaned = len(gone)
    elif missing == "delete":
        counts.removed_refs = sorted(row.ref for row in gone)
    if dry_run:
        return counts

    _insert_many(conn, _E, inserts)
    if updates:
        cols = [c for c in updates[0] if c != "_uid"]
        stmt = (
            update(_E).where(_E.c.uid == bindparam("_uid")).values({c: bindparam(c) for c in cols})
        )
        conn.execute(stmt, updates)
        for chunk in _chunks([u["_uid"] for u in updates]):
            conn.execute(delete(_T).where(_T.c.entity_uid.in_(chunk)))
            conn.execute(delete(_R).where(_R.c.origin_uid.in_(chunk)))
    for chunk in _chunks(revive):
        conn.execute(
            update(_E)
            .where(_E.c.uid.in_(chunk))
            .values(status="active", orphaned_at=None, updated_at=now)
        )
    if is_pg:
        # Refs and tags are validated free of tabs, newlines and backslashes (relations.py,
        # validation.py), so COPY lines need no escaping: the hot path of a big first import.
        _copy_text(
            conn,
            _T,
            ("entity_uid", "tag"),
            [f"{uid}\t{tag}\n" for uid, item in changed for tag in item.tags],
        )
        _copy_text(
            conn,
            _R,
            ("source_ref", "type", "target_ref", "origin_uid"),
            [f"{s}\t{t}\t{d}\t{uid}\n" for uid, item in changed for s, t, d in item.relations],
        )
    else:
        _insert_many(
            conn,
            _T,
            [{"entity_uid": uid, "tag": tag} for uid, item in changed for tag in item.tags],
        )
        _insert_many(
            conn,
            _R,
            [
                {"source_ref": s, "type": t, "target_ref": d, "origin_uid": uid}
                for uid, item in changed
                for s, t, d in item.relations
            ],
        )
    gone_uids = [row.uid for row in gone]
    for chunk in _chunks(gone_uids):
        if missing == "orphan":
            conn.execute(
                update(_E).where(_E.c.uid.in_(chunk)).values(status="orphaned", orphaned_at=now)
            )
        else:
            _delete_entities(conn, chunk)
    return counts


def _delete_entities(conn: Connection, uids: Sequence[str]) -> None:
    conn.execute(delete(_T).where(_T.c.entity_uid.in_(uids)))
    conn.execute(delete(_R).where(_R.c.origin_uid.in_(uids)))
    conn.execute(delete(_E).where(_E.c.uid.in_(uids)))


def _replace_errors(conn: Connection, key: str, errors: list[IngestError]) -> None:
    now = utcnow()
    conn.execute(delete(_ERR).where(_ERR.c.location_key == key))
    text = write_faults.storable_text  # errors quote descriptors, which may hold anything
    rows = [
        {
            "location_key": key,
            "source": text(e.source[:1000]),
            "document": e.document,
            "entity_ref": (e.entity_ref or None) and text(e.entity_ref[:400]),
            "field": e.field and text(e.field[:400]),
            "message": text(e.message + (f" (line {e.line})" if e.line else "")),
            "at": now,
        }
        for e in errors
    ]
    if rows:
        conn.execute(insert(_ERR), rows)


# --- reading a location ----------------------------------------------------------------------


@dataclass
class _Collected:
    documents: list[Document] = field(default_factory=list)
    errors: list[IngestError] = field(default_factory=list)
    incomplete: set[str] = field(default_factory=set)  # managed-by values not fully read
    refused: set[str] = field(default_factory=set)  # refs of kinds the location may not bring
    fatal: IngestError | None = None


def _location_targets(doc: Document, root: str) -> tuple[list[str], list[IngestError]]:
    spec = doc.body.get("spec") if isinstance(doc.body, dict) else None
    if not isinstance(spec, dict):
        return [], []
    raw: list[tuple[tuple[Any, ...], Any]] = []
    if spec.get("target"):
        raw.append((("spec", "target"), spec["target"]))
    for i, t in enumerate(spec.get("targets") or []):
        raw.append((("spec", "targets", i), t))
    out: list[str] = []
    errors: list[IngestError] = []
    optional = spec.get("presence") == "optional"
    for path, value in raw:
        if not isinstance(value, str) or not value.strip():
            continue
        try:
            target = resolve_target(value.strip(), doc.source, root)
        except ValueError as exc:
            errors.append(doc.error(f"Location target refused: {exc}", path))
            continue
        if not is_url(target) and any(ch in target for ch in "*?["):
            matches, refused = [], False
            for match in sorted(glob.glob(target, recursive=True)):
                try:  # a symlink among the matches may still point outside the root
                    matches.append(resolve_target(match, doc.source, root))
                except ValueError as exc:
                    errors.append(doc.error(f"Location target refused: {exc}", path))
                    refused = True
            if not matches and not refused and not optional:
                errors.append(doc.error(f"Location target {value!r} matches no file", path))
            out.extend(matches)
        elif not is_url(target) and not Path(target).exists() and optional:
            continue
        else:
            out.append(target)
    return out, errors


def _collect(key: str, reader: Reader, gate: KindGate | None = None) -> _Collected:
    """Read every document reachable from ``key``, following Location entities (cycle-safe).

    ``gate`` refuses the kinds a source may not bring in (a refused Location is not followed).
    """
    result = _Collected()
    gate = gate or KindGate(key, trusted=True)
    root = location_root(key)
    limits = Limits.from_settings()
    queue: deque[str] = deque()
    if not is_url(key) and Path(key).is_dir():
        files = [str(p) for p in iter_catalog_files(Path(key))]
        if not files:
            result.fatal = IngestError(key, "no catalog-info.yaml file found in this directory")
            return result
        gate.descend(key, files)
        queue.extend(files)
    elif not is_url(key) and not Path(key).exists():
        result.fatal = IngestError(key, "file not found")
        return result
    else:
        queue.append(key)
    visited: set[str] = set()
    while queue:
        source = queue.popleft()
        if not is_url(source):
            if Path(source).is_dir():
                files = [str(p) for p in iter_catalog_files(Path(source))]
                gate.descend(source, files)
                queue.extend(files)
                continue
            gate.alias(source, str(Path(source).resolve()))
            source = str(Path(source).resolve())
            try:  # a symlinked catalog-info.yaml in a scanned directory may point outside
                resolve_target(source, source, root)
            except ValueError as exc:
                result.errors.append(IngestError(source, f"skipped: {exc}"))
                continue
        if source in visited:
            continue
        visited.add(source)
        try:
            text = reader.read(source)
            if too_large := file_too_large(text, limits):
                raise ReadError(too_large)
        except ReadError as exc:
            error = IngestError(source, str(exc))
            if source == key:
                result.fatal = error
                return result
            result.errors.append(error)
            result.incomplete.add(_managed_value(source))
            continue
        docs, errors, complete = parse_documents(text, source, limits)
        result.errors.extend(errors)
        if not complete:
            result.incomplete.add(_managed_value(source))
        for doc in docs:
            refusal = gate.refusal(doc, _ref_or_none(doc.body))
            if refusal is not None:
                result.errors.append(refusal)
                if refusal.entity_ref:
                    result.refused.add(refusal.entity_ref)
                continue
            result.documents.append(doc)
            if isinstance(doc.body, dict) and doc.body.get("kind") == "Location":
                targets, target_errors = _location_targets(doc, root)
                result.errors.extend(target_errors)
                gate.descend(source, targets)
                queue.extend(targets)
    return result


def _prepare_all(
    docs: list[Document], key: str, known: dict[str, str]
) -> tuple[dict[str, Prepared], list[IngestError]]:
    prepared: dict[str, Prepared] = {}
    errors: list[IngestError] = []
    for doc in docs:
        item = (
            _unchanged_item(
                doc.body, source=doc.source, document=doc.index, location_key=key, known=known
            )
            if known
            else None
        )
        if item is None:
            item, item_errors = prepare_entity(
                doc.body, source=doc.source, document=doc.index, location_key=key, doc=doc
            )
            if item is None:
                errors.extend(item_errors)
                continue
        first = prepared.get(item.ref)
        if first is not None:
            errors.append(
                doc.error(
                    f"entity {item.ref} is defined twice (first in {first.source} document "
                    f"{(first.document or 0) + 1}); this one is skipped",
                    ("metadata", "name"),
                    entity_ref=item.ref,
                )
            )
            continue
        prepared[item.ref] = item
    return prepared, errors


def _ingest_location(
    key: str, reader: Reader, actor: str, score: bool, trusted: bool | None = None
) -> ImportSummary:
    summary = ImportSummary()
    if len(key) > 1000:
        summary.errors.append(
            IngestError(key[:200] + "...", "location is longer than 1000 characters")
        )
        return summary
    if trusted is None:
        with session_scope() as session:
            trusted = is_trusted(session, key)
    gate = KindGate(key, trusted=trusted)
    collected = _collect(key, reader, gate)
    if collected.fatal is not None:
        # Nothing could be read: leave every stored entity of this location as it is.
        summary.errors.append(collected.fatal)
        with session_scope() as session:
            conn = session.connection()
            _replace_errors(conn, key, [collected.fatal])
            _touch_location(conn, key, str(collected.fatal))
        return summary
    errors = list(collected.errors)
    root = location_root(key)
    cache: dict[str, str] = {}

    def read_cached(target: str) -> str:
        if target not in cache:
            cache[target] = reader.read(target)
        return cache[target]

    seen: set[str] = set(collected.refused)  # removed below, not orphaned
    ready: list[Document] = []
    for doc in collected.documents:
        ref = _ref_or_none(doc.body)
        if ref:
            seen.add(ref)
        if not isinstance(doc.body, dict):
            errors.append(
                doc.error("a descriptor must be a mapping with apiVersion, kind, metadata")
            )
            continue
        sub_errors = resolve_substitutions(doc, root, read_cached)
        if sub_errors:
            errors.extend(sub_errors)
            continue
        ready.append(doc)
    with session_scope() as session:
        known = dict(
            session.connection()
            .execute(
                select(_E.c.ref, _E.c.etag).where(_E.c.location_key == key, _E.c.status == "active")
            )
            .all()
        )
    unwritable: dict[str, IngestError] = {}  # refs a bulk write refused, found by ``isolate``
    for attempt in range(1, _ATTEMPTS + 1):
        prepared, run_errors = _prepare_all(ready, key, known)
        for ref in unwritable:
            prepared.pop(ref, None)
        run_errors = sorted(
            (
                IngestError(
                    e.source, e.message, e.document, e.field, e.entity_ref, e.line, location_key=key
                )
                for e in [*errors, *run_errors, *unwritable.values()]
            ),
            key=lambda e: (e.source, -1 if e.document is None else e.document),
        )
        try:
            with session_scope() as session:
                conn = session.connection()
                if is_postgres(conn):
                    # One import per location at a time; a lost import is redone by the next
                    # refresh, so don't wait for the WAL flush either.
                    conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))
                    conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
                counts = _write(
                    conn,
                    key,
                    list(prepared.values()),
                    seen,
                    run_errors,
                    missing="orphan",
                    protected_sources=collected.incomplete,
                    score=score,
                )
                removed = remove_refused(conn, key, gate.root, collected.refused)
                _replace_errors(conn, key, run_errors)
                _touch_location(conn, key, "\n".join(map(str, run_errors[:20])) or None)
                if counts.added or counts.updated or counts.orphaned or removed:
                    # In the import's transaction: the row exists exactly when the change does.
                    record(
                        session,
                        actor=actor,
                        action="catalog.import",
                        target=key,
                        after={
                            "added": counts.added,
                            "updated": counts.updated,
                            "unchanged": counts.unchanged,
                            "orphaned": counts.orphaned,
                            "errors": len(run_errors),
                            **({"removed_refused": removed[:200]} if removed else {}),
                        },
                    )
            break
        except _Stale:
            known = {}  # changed under us: prepare everything fully
        except Exception as exc:
            if write_faults.is_clash(exc):
                # Another location's import inserted one of our refs meanwhile: read again,
                # which turns the clash into a reported conflict.
                log.info("catalog import of %s clashed (attempt %d): %s", key, attempt, exc)
                continue
            if not write_faults.is_row_fault(exc) or unwritable:
                raise
            log.warning("catalog import of %s: a row was refused (%s); isolating it", key, exc)
            unwritable = _find_unwritable(key, list(prepared.values()))
            if not unwritable:
                raise
    else:
        summary.errors = [*errors, IngestError(key, _UNSETTLED, location_key=key)]
        with session_scope() as session:
            _replace_errors(session.connection(), key, summary.errors)
            _touch_location(session.connection(), key, _UNSETTLED)
        return summary
    errors = run_errors
    summary.added, summary.updated = counts.added, counts.updated
    summary.unchanged, summary.orphaned = counts.unchanged, counts.orphaned
    summary.errors = errors
    return summary


def remove_refused(conn: Connection, key: str, kinds: Kinds, refs: set[str]) -> list[str]:
    """Delete the entities of ``key`` that its rules refuse (``refs``, or a kind outside
    ``kinds``), relations included: an orphan would keep its memberOf and childOf relations,
    and a Group stored before the rules would go on granting membership. Returns their refs."""
    if kinds is None and not refs:
        return []
    rows = conn.execute(select(_E.c.uid, _E.c.ref, _E.c.kind).where(_E.c.location_key == key))
    gone = [
        (uid, ref)
        for uid, ref, kind in rows
        if ref in refs or (kinds is not None and kind not in kinds)
    ]
    for chunk in _chunks([uid for uid, _ in gone]):
        _delete_entities(conn, chunk)
    return sorted(ref for _, ref in gone)


_ATTEMPTS = 4
_UNSETTLED = (
    f"import clashed with concurrent imports of the same entities {_ATTEMPTS} times; "
    "nothing was changed, it is retried on the next refresh"
)


def _find_unwritable(key: str, items: list[Prepared]) -> dict[str, IngestError]:
    """The items a bulk write refuses (each probed in a transaction rolled back), as errors."""
    engine = get_engine()

    def probe(group: Sequence[Prepared]) -> None:
        with engine.connect() as conn:
            try:
                _write(conn, key, list(group), set(), [], missing="keep")
            except Exception as exc:
                if write_faults.is_clash(exc):
                    return  # not this row's fault; the real write settles it
                raise
            finally:
                conn.rollback()

    found = write_faults.isolate([i for i in items if not i.quick], probe)
    return {
        item.ref: IngestError(
            item.source,
            f"entity {item.ref} could not be stored: {str(exc).splitlines()[0][:300]}",
            item.document,
            None,
            item.ref,
            location_key=key,
        )
        for item, exc in found
    }


def _touch_location(conn: Connection, key: str, error: str | None) -> None:
    conn.execute(
        update(_LOC)
        .where(_LOC.c.target == key)
        .values(last_refresh_at=utcnow(), last_error=write_faults.storable_text(error))
    )


def import_locations(
    targets: Sequence[str], *, actor: str = "cli", score: bool = True, trusted: bool | None = None
) -> ImportSummary:
    """Read files, directories and URLs (following Location entities) into the catalog.

    Each target is one location (its own transaction); the summary adds them up. ``actor`` is
    logged; registering a location for periodic refresh is ``locations.register_location``.
    With ``score`` the entities this pass added or changed get their scorecard score as they are
    written (lists and team pages would otherwise show none until the ``catalog-scores`` job
    ran); with several targets a second look settles owners that a later target brought.
    ``trusted`` None looks each target up (``rules.is_trusted``); False applies catalog_rules.
    """
    started = utcnow()
    summary = ImportSummary()
    with Reader() as reader:
        for target in targets:
            key = normalise_target(target)
            log.info("catalog import of %s by %s", key, actor)
            summary.merge(_ingest_location(key, reader, actor, score, trusted))
    fill_api_json()
    if score and len(targets) > 1 and (summary.added or summary.updated):
        with session_scope() as session:
            compute_scores(session, since=started)
    return summary


def apply_provider_entities(
    session: Session, provider_key: str, entities: list[dict[str, Any]], *, dry_run: bool = False
) -> ApplyResult:
    """Full-mutation upsert for an entity provider (e.g. LDAP org sync).

    Entities earlier applied under ``provider_key`` and absent from ``entities`` are removed;
    unchanged ones cause no row write. Invalid entities are reported in ``errors`` (and stored as
    catalog errors unless ``dry_run``) and, if they existed before, are kept as they were.
    Runs in the caller's session/transaction.
    """
    key = PROVIDER_PREFIX + provider_key
    result = ApplyResult()
    prepared: dict[str, Prepared] = {}
    seen: set[str] = set()
    errors: list[IngestError] = []
    for i, body in enumerate(entities):
        ref = _ref_or_none(body)
        if ref:
            seen.add(ref)
        item, item_errors = prepare_entity(body, source=key, document=i, location_key=key)
        if item is None:
            errors.extend(item_errors)
        elif item.ref in prepared:
            errors.append(IngestError(key, f"entity {item.ref} is given twice", i, None, item.ref))
        else:
            prepared[item.ref] = item
    conn = session.connection()
    counts = _write(
        conn, key, list(prepared.values()), seen, errors, missing="delete", dry_run=dry_run
    )
    if not dry_run:
        _replace_errors(conn, key, errors)
    result.added, result.updated, result.unchanged = counts.added, counts.updated, counts.unchanged
    result.removed, result.removed_refs = len(counts.removed_refs), counts.removed_refs
    result.errors = errors
    return result


def purge_orphans(*, now: Any = None, actor: str = "scheduler") -> int:
    """Delete entities orphaned longer than ``settings.catalog_orphan_grace_hours``; audited."""
    cutoff = (now or utcnow()) - timedelta(hours=get_settings().catalog_orphan_grace_hours)
    with session_scope() as session:
        conn = session.connection()
        rows = conn.execute(
            select(_E.c.uid, _E.c.ref)
            .where(_E.c.status == "orphaned", _E.c.orphaned_at < cutoff)
            .order_by(_E.c.ref)
        ).all()
        uids = [uid for uid, _ in rows]
        for chunk in _chunks(uids):
            _delete_entities(conn, chunk)
        if rows:
            refs = [ref for _, ref in rows]
            record(
                session,
                actor=actor,
                action="catalog.orphans.purge",
                target=refs[0] if len(refs) == 1 else f"{len(refs)} orphaned entities",
                before={"refs": refs[:200], "count": len(refs)},
                detail=f"orphaned before {cutoff.isoformat(timespec='seconds')}",
            )
    if uids:
        log.info("purged %d orphaned catalog entities", len(uids))
        fill_api_json()
    return len(uids)
