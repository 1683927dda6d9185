"""Scorecards: configurable checks per entity, a score per entity and per team.

Every check is defined once in ``CHECKS``; ``settings.scorecard_checks`` maps a check id to a
weight (``0`` turns it off), so an installation tunes its scorecard without code. An entity's
score is the weighted share of the checks that apply to its kind that pass, as a percentage,
stored in ``entity.score`` by ``compute_scores`` so lists can sort and filter on it in SQL. A
team's score is the average over the entities it owns.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import yaml
from sqlalchemy import bindparam, func, select, update
from sqlmodel import Session

from pinconsole.catalog.descriptors import load_all
from pinconsole.models.catalog import Entity
from pinconsole.settings import get_settings

__all__ = [
    "CHECKS",
    "Check",
    "CheckResult",
    "ScoreContext",
    "compute_scores",
    "enabled_checks",
    "evaluate",
    "evaluate_entity",
    "refresh_scores",
    "score_columns",
    "team_scorecard",
    "team_scores",
]

SCORED_KINDS = frozenset({"component", "api", "resource", "system", "domain"})


@dataclass(frozen=True)
class ScoreContext:
    """What checks may look up besides the entity itself (loaded once per batch)."""

    group_refs: frozenset[str]


class _ScoredRow(NamedTuple):
    """The columns the checks read (they take an ``Entity`` or this, by attribute)."""

    uid: str
    kind: str
    owner_ref: str | None
    system_ref: str | None
    description: str | None
    lifecycle: str | None
    spec_type: str | None
    body: dict[str, Any]
    score: int | None


Scored = Entity | _ScoredRow


@dataclass(frozen=True)
class Check:
    id: str
    label: str
    description: str
    kinds: frozenset[str]
    test: Callable[[Scored, ScoreContext], bool]
    weight: float = 1.0


@dataclass(frozen=True)
class CheckResult:
    id: str
    label: str
    passed: bool
    weight: float
    description: str = ""


def _meta(e: Scored) -> Mapping[str, Any]:
    return e.body.get("metadata") or {}


def _spec(e: Scored) -> Mapping[str, Any]:
    return e.body.get("spec") or {}


def _has_link(e: Entity, words: Sequence[str], annotations: Sequence[str] = ()) -> bool:
    """A link whose type, title, icon or URL mentions one of ``words``, or a known annotation."""
    meta = _meta(e)
    notes = meta.get("annotations") or {}
    if any(notes.get(a) for a in annotations):
        return True
    for link in meta.get("links") or []:
        if not isinstance(link, Mapping):
            continue
        text = " ".join(str(link.get(k) or "") for k in ("type", "title", "icon", "url")).lower()
        if any(w in text for w in words):
            return True
    return False


def definition_parses(definition: Any, api_type: str | None) -> bool:
    """OpenAPI (YAML or JSON) must parse and have at least one path; other types non-empty."""
    if isinstance(definition, Mapping):
        doc: Any = definition
    elif isinstance(definition, str) and definition.strip():
        if (api_type or "").lower() != "openapi":
            return True
        try:
            doc = json.loads(definition) if definition.lstrip().startswith("{") else None
            if doc is None:
                # libyaml: the pure-Python parser made this check most of a scoring pass.
                docs = load_all(definition)
                if len(docs) != 1:
                    return False
                doc = docs[0]
        except (ValueError, RecursionError, yaml.YAMLError):  # RecursionError: deep JSON
            return False
    else:
        return False
    if (api_type or "").lower() != "openapi":
        return True
    return isinstance(doc, Mapping) and isinstance(doc.get("paths"), Mapping) and bool(doc["paths"])


_OWNED = frozenset({"component", "api", "resource", "system", "domain"})

CHECKS: tuple[Check, ...] = (
    Check(
        "owner",
        "Owner is a team",
        "spec.owner names a Group that exists in the catalog",
        _OWNED,
        lambda e, ctx: bool(e.owner_ref) and e.owner_ref in ctx.group_refs,
        2.0,
    ),
    Check(
        "description",
        "Has a description",
        "metadata.description says what the entity is for",
        SCORED_KINDS,
        lambda e, ctx: bool((e.description or "").strip()),
    ),
    Check(
        "system",
        "Part of a system",
        "spec.system places the entity in a system",
        frozenset({"component", "api", "resource"}),
        lambda e, ctx: bool(e.system_ref),
    ),
    Check(
        "lifecycle",
        "Has a lifecycle",
        "spec.lifecycle is set (experimental, production, deprecated)",
        frozenset({"component", "api"}),
        lambda e, ctx: bool(e.lifecycle),
    ),
    Check(
        "runbook",
        "Runbook link",
        "metadata.links has a runbook (type, title or URL mentions 'runbook')",
        frozenset({"component", "resource"}),
        lambda e, ctx: _has_link(e, ("runbook", "playbook")),
    ),
    Check(
        "docs",
        "Documentation link",
        "metadata.links has documentation, or backstage.io/techdocs-ref is set",
        frozenset({"component", "api", "system"}),
        lambda e, ctx: _has_link(
            e, ("doc", "wiki", "readme", "manual"), ("backstage.io/techdocs-ref",)
        ),
    ),
    Check(
        "api_definition",
        "API definition parses",
        "spec.definition parses (OpenAPI: YAML/JSON with at least one path)",
        frozenset({"api"}),
        lambda e, ctx: definition_parses(_spec(e).get("definition"), e.spec_type),
        2.0,
    ),
    Check(
        "tags",
        "Has tags",
        "metadata.tags has at least one tag",
        frozenset({"component", "api", "resource"}),
        lambda e, ctx: bool(_meta(e).get("tags")),
    ),
    Check(
        "source",
        "Source location",
        "backstage.io/source-location or a repository link is set",
        frozenset({"component"}),
        lambda e, ctx: _has_link(
            e, ("github.com", "gitlab", "repo", "source"), ("backstage.io/source-location",)
        ),
        0.0,  # off unless an installation turns it on
    ),
)


def enabled_checks(overrides: Mapping[str, float] | None = None) -> list[Check]:
    """The checks with weights from settings (``scorecard_checks``); weight 0 means off."""
    if overrides is None:
        overrides = getattr(get_settings(), "scorecard_checks", {}) or {}
    known = {c.id for c in CHECKS}
    unknown = set(overrides) - known
    if unknown:
        raise ValueError(f"unknown scorecard check(s) {sorted(unknown)}; known: {sorted(known)}")
    out = []
    for check in CHECKS:
        weight = float(overrides.get(check.id, check.weight))
        if weight > 0:
            out.append(
                Check(check.id, check.label, check.description, check.kinds, check.test, weight)
            )
    return out


def evaluate(entity: Scored, ctx: ScoreContext, checks: Iterable[Check]) -> list[CheckResult]:
    """The results of the checks that apply to ``entity``'s kind."""
    out = []
    for check in checks:
        if entity.kind not in check.kinds:
            continue
        try:
            passed = bool(check.test(entity, ctx))
        except Exception:  # a malformed descriptor fails the check, never the scoring run
            passed = False
        out.append(CheckResult(check.id, check.label, passed, check.weight, check.description))
    return out


def score_columns(
    columns: Mapping[str, Any], ctx: ScoreContext, checks: Sequence[Check]
) -> int | None:
    """The score of an entity about to be written, from its row's columns: an import scores as
    it writes (a second pass of UPDATEs cost more than the import's own writes)."""
    if columns["kind"] not in SCORED_KINDS:
        return None
    row = _ScoredRow(
        "",
        columns["kind"],
        columns.get("owner_ref"),
        columns.get("system_ref"),
        columns.get("description"),
        columns.get("lifecycle"),
        columns.get("spec_type"),
        columns["body"],
        None,
    )
    return score_of(evaluate(row, ctx, checks))


def score_of(results: Sequence[CheckResult]) -> int | None:
    total = sum(r.weight for r in results)
    if not total:
        return None
    return round(100 * sum(r.weight for r in results if r.passed) / total)


def _context(session: Session) -> ScoreContext:
    rows = session.exec(select(Entity.ref).where(Entity.kind == "group")).all()  # type: ignore[call-overload]
    return ScoreContext(group_refs=frozenset(r[0] for r in rows))


def score_context(session: Session) -> ScoreContext:
    """What the checks need beyond the entity (the catalog's group refs): read it once for
    many entities."""
    return _context(session)


def evaluate_entity(session: Session, entity: Entity) -> dict[str, Any]:
    """The scorecard of one entity for its page: ``{score, checks: [{id, label, passed}]}``."""
    results = evaluate(entity, _context(session), enabled_checks())
    return {
        "score": score_of(results),
        "checks": [
            {"id": r.id, "label": r.label, "passed": r.passed, "description": r.description}
            for r in results
        ],
    }


def compute_scores(
    session: Session,
    refs: Sequence[str] | None = None,
    batch: int = 1000,
    *,
    since: datetime | None = None,
) -> int:
    """Recompute ``entity.score`` for ``refs`` (or every scored entity, or those updated at or
    after ``since``); returns how many changed.

    Reads in keyset batches and writes only changed scores, so a full pass over a large catalog
    stays small in memory and cheap when little changed. The caller commits.
    """
    ctx = _context(session)
    checks = enabled_checks()
    table = Entity.__table__  # type: ignore[attr-defined]
    upd = update(table).where(table.c.uid == bindparam("b_uid")).values(score=bindparam("b_score"))
    # Plain rows, not ORM objects: building 20,000 entities was most of an import's scoring.
    cols = [table.c[name] for name in _ScoredRow._fields]
    conn = session.connection()
    changed = 0
    refs = list(refs) if refs is not None else None
    chunks: Iterable[Sequence[str] | None]
    chunks = (
        [refs[i : i + batch] for i in range(0, len(refs), batch)] if refs is not None else [None]
    )
    for chunk in chunks:
        last = ""
        while True:
            stmt = select(*cols).order_by(table.c.uid).limit(batch)
            if refs is None:
                stmt = stmt.where(table.c.kind.in_(SCORED_KINDS))
            if since is not None:
                stmt = stmt.where(table.c.updated_at >= since)
            if chunk is not None:
                stmt = stmt.where(table.c.ref.in_(chunk))
            if last:
                stmt = stmt.where(table.c.uid > last)
            rows = [_ScoredRow(*r) for r in conn.execute(stmt)]
            if not rows:
                break
            updates = []
            for e in rows:
                score = score_of(evaluate(e, ctx, checks)) if e.kind in SCORED_KINDS else None
                if score != e.score:
                    updates.append({"b_uid": e.uid, "b_score": score})
            if updates:
                conn.execute(upd, updates)
                changed += len(updates)
            last = rows[-1].uid
            if chunk is not None or len(rows) < batch:
                break
    return changed


def team_scores(session: Session, owner_refs: Sequence[str] | None = None) -> dict[str, float]:
    """Average score of the entities each owner owns (owners without scored entities omitted)."""
    stmt = (
        select(Entity.owner_ref, func.avg(Entity.score))
        .where(Entity.score.is_not(None), Entity.owner_ref.is_not(None))  # type: ignore[union-attr]
        .group_by(Entity.owner_ref)
    )
    if owner_refs is not None:
        stmt = stmt.where(Entity.owner_ref.in_(owner_refs))  # type: ignore[union-attr]
    return {ref: round(float(avg), 1) for ref, avg in session.exec(stmt).all()}  # type: ignore[call-overload]


def team_scorecard(
    session: Session,
    owner_ref: str,
    *,
    with_checks: bool = True,
    also: Sequence[str] = (),
) -> dict[str, Any]:
    """A team's summary: average score, scored entity count and pass counts per check, over
    what ``owner_ref`` and the owners in ``also`` (a department's teams) own.

    With ``with_checks`` the average is computed from the same evaluation as the pass counts
    (so the two always agree, even before the scheduled job stored fresh scores); without, it
    is the average of the stored scores.
    """
    owners = [owner_ref, *also]
    if not with_checks:
        if also:
            raise ValueError("a roll-up's average needs the evaluation (with_checks=True)")
        return {"score": team_scores(session, owners).get(owner_ref), "checks": []}
    out: dict[str, Any] = {"score": None, "checks": []}
    checks = enabled_checks()
    ctx = _context(session)
    stmt = select(Entity).where(
        Entity.owner_ref.in_(owners),  # type: ignore[union-attr]
        Entity.kind.in_(SCORED_KINDS),  # type: ignore[attr-defined]
    )
    tally: dict[str, list[int]] = {c.id: [0, 0] for c in checks}
    scored = 0
    scores: list[int] = []
    for e in session.exec(stmt).scalars().all():  # type: ignore[call-overload]
        scored += 1
        results = evaluate(e, ctx, checks)
        for r in results:
            tally[r.id][1] += 1
            tally[r.id][0] += int(r.passed)
        entity_score = score_of(results)
        if entity_score is not None:
            scores.append(entity_score)
    if scores:
        out["score"] = round(sum(scores) / len(scores), 1)
    out["entities"] = scored
    out["checks"] = [
        {"id": c.id, "label": c.label, "passed": tally[c.id][0], "total": tally[c.id][1]}
        for c in checks
        if tally[c.id][1]
    ]
    return out


_last_refresh: dict[str, Any] = {}


def refresh_scores() -> int:
    """The scheduled job: rescore what changed since the last run (only changed scores are
    written). A full pass when the set of groups or the check weights changed, since the
    ``owner`` check of every entity depends on the former and every score on the latter."""
    from pinconsole.db import session_scope
    from pinconsole.models._types import utcnow

    started = utcnow()
    with session_scope() as session:
        ctx = _context(session)
        state = (hash(ctx.group_refs), tuple((c.id, c.weight) for c in enabled_checks()))
        last = _last_refresh.get("at") if _last_refresh.get("state") == state else None
        # An import committed after our last start may carry earlier updated_at stamps.
        since = last - timedelta(hours=1) if last is not None else None
        changed = compute_scores(session, since=since)
    _last_refresh.update(at=started, state=state)
    return changed
