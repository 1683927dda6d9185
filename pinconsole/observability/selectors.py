"""Which metrics and alerts belong to an entity, read from its descriptor.

``pinconsole.io/prometheus-selector`` holds label matchers (``service="checkout-api"``); without
it the kind's template from ``prometheus_selector_templates`` applies. Roadie's Backstage plugin
annotations carry over unchanged: ``prometheus.io/rule`` (comma-separated queries, each with an
optional ``|label`` naming the legend label), ``prometheus.io/alert`` (comma-separated alert
names, or ``all``) and ``prometheus.io/service-name`` (which Prometheus instance to ask).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pinconsole.errors import Invalid

SELECTOR = "pinconsole.io/prometheus-selector"
RULE = "prometheus.io/rule"
ALERT = "prometheus.io/alert"
SERVICE_NAME = "prometheus.io/service-name"

_NAME = r"[a-zA-Z_][a-zA-Z0-9_]*"
_VALUE = r'"(?:[^"\\]|\\.)*"'
_MATCHER = re.compile(rf"\s*({_NAME})\s*(=~|!~|!=|=)\s*({_VALUE})\s*")


@dataclass(frozen=True)
class Rule:
    """One Roadie rule: a PromQL query and the label its legend shows (``None``: all)."""

    query: str
    label: str | None = None


@dataclass(frozen=True)
class EntityMetrics:
    """What an entity's Metrics and Alerts tabs ask for.

    ``selector`` is the matchers without braces (``None`` when neither the annotation nor a
    template gives one); ``alerts`` is ``"all"`` or alert names; ``instance`` a Prometheus
    instance name or ``None`` for the default.
    """

    selector: str | None
    rules: tuple[Rule, ...] = ()
    alerts: tuple[str, ...] | Literal["all"] = ()
    instance: str | None = None
    source: str = field(default="none", compare=False)  # annotation, template or none


def parse_matchers(text: str, *, where: str) -> list[tuple[str, str, str]]:
    """``a="x", b=~"y.*"`` (braces optional) as (name, op, quoted value); Invalid names
    ``where`` and the part that does not parse."""
    body = text.strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1]
    out: list[tuple[str, str, str]] = []
    pos = 0
    while pos < len(body):
        m = _MATCHER.match(body, pos)
        if not m:
            raise Invalid(
                f'not a label matcher at {body[pos:][:40]!r}: expected name="value", '
                "separated by commas (=, !=, =~, !~)",
                where=where,
            )
        out.append((m.group(1), m.group(2), m.group(3)))
        pos = m.end()
        if pos < len(body):
            if body[pos] != ",":
                raise Invalid(f"expected a comma at {body[pos:][:40]!r}", where=where)
            pos += 1
            if not body[pos:].strip():
                break  # a trailing comma, as PromQL allows
    if not out:
        raise Invalid("no label matchers", where=where)
    return out


def quote(value: str) -> str:
    """A PromQL/Alertmanager label value literal, quotes and backslashes escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside (), {}, [] and quotes: ``sum by (a, b) (x)`` stays whole."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote and text[i - 1] != "\\":
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _rules(text: str) -> tuple[Rule, ...]:
    rules = []
    for part in _split_top_level(text):
        query, _, label = part.rpartition("|") if "|" in part else (part, "", "")
        label = label.strip()
        if query and re.fullmatch(_NAME, label):
            rules.append(Rule(query.strip(), label))
        else:
            rules.append(Rule(part))
    return tuple(rules)


def entity_metrics(body: Mapping[str, Any], templates: Mapping[str, str]) -> EntityMetrics:
    """Map an entity body (``kind``, ``metadata``) to its selector, rules and alert names.

    Pure: no database, no network. An annotation that does not parse is an Invalid error
    naming the entity and the annotation, never a silently empty chart.
    """
    kind = str(body.get("kind") or "")
    meta = body.get("metadata") or {}
    name = str(meta.get("name") or "")
    namespace = str(meta.get("namespace") or "default")
    annotations = {str(k): str(v) for k, v in (meta.get("annotations") or {}).items()}
    ref = f"{kind.lower()}:{namespace}/{name}"

    selector, source = None, "none"
    if SELECTOR in annotations:
        where = f"{ref} annotation {SELECTOR}"
        selector = ", ".join(
            f"{n}{op}{v}" for n, op, v in parse_matchers(annotations[SELECTOR], where=where)
        )
        source = "annotation"
    else:
        template = next((t for k, t in templates.items() if k.lower() == kind.lower()), None)
        if template:
            values = {
                "name": quote(name)[1:-1],
                "namespace": quote(namespace)[1:-1],
                "kind": kind,
            }
            try:
                filled = template.format_map(values)
            except (KeyError, IndexError, ValueError) as exc:
                raise Invalid(
                    f"template {template!r} uses {exc}; only {{name}}, {{namespace}}, {{kind}}",
                    where=f"prometheus_selector_templates[{kind}]",
                ) from exc
            where = f"prometheus_selector_templates[{kind}] for {ref}"
            selector = ", ".join(f"{n}{op}{v}" for n, op, v in parse_matchers(filled, where=where))
            source = "template"

    alerts: tuple[str, ...] | Literal["all"] = ()
    if ALERT in annotations:
        names = tuple(a.strip() for a in annotations[ALERT].split(",") if a.strip())
        alerts = "all" if any(a.lower() == "all" for a in names) else names

    return EntityMetrics(
        selector=selector,
        rules=_rules(annotations.get(RULE, "")),
        alerts=alerts,
        instance=annotations.get(SERVICE_NAME, "").strip() or None,
        source=source,
    )
