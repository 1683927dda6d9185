"""An Alertmanager v2 API read client: alerts (with matcher filters and a receiver) and silences.

Failures are typed errors naming the instance, as for Prometheus: a filter Alertmanager cannot
parse is QueryInvalid, a closed port SourceUnreachable, a slow server QueryTimeout.
Creating and expiring silences (owners only, audited) is not here yet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from pinconsole.observability.errors import QueryFailed, QueryInvalid
from pinconsole.observability.http import InstanceClient, pick_instance, refused_credentials, send
from pinconsole.observability.selectors import quote
from pinconsole.settings import Settings

KIND = "Alertmanager"
_FRACTION = re.compile(r"(\.\d{6})\d+")


def _time(text: str | None) -> datetime | None:
    """RFC 3339 as Alertmanager writes it (nanoseconds and ``Z`` included)."""
    if not text:
        return None
    return datetime.fromisoformat(_FRACTION.sub(r"\1", text).replace("Z", "+00:00"))


@dataclass(frozen=True)
class Alert:
    """One alert as the v2 API gives it; ``state`` is active, suppressed or unprocessed."""

    fingerprint: str
    labels: dict[str, str]
    annotations: dict[str, str]
    state: str
    starts_at: datetime | None
    ends_at: datetime | None
    updated_at: datetime | None
    generator_url: str | None
    receivers: list[str] = field(default_factory=list)
    silenced_by: list[str] = field(default_factory=list)
    inhibited_by: list[str] = field(default_factory=list)

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "")

    @property
    def summary(self) -> str | None:
        return self.annotations.get("summary")

    @property
    def description(self) -> str | None:
        return self.annotations.get("description")

    @property
    def runbook_url(self) -> str | None:
        return self.annotations.get("runbook_url")


@dataclass(frozen=True)
class Matcher:
    name: str
    value: str
    is_regex: bool = False
    is_equal: bool = True

    def __str__(self) -> str:
        op = (
            ("=~" if self.is_regex else "=") if self.is_equal else ("!~" if self.is_regex else "!=")
        )
        return f'{self.name}{op}"{self.value}"'


@dataclass(frozen=True)
class Silence:
    """One silence; ``state`` is active, pending or expired."""

    id: str
    matchers: list[Matcher]
    state: str
    starts_at: datetime | None
    ends_at: datetime | None
    updated_at: datetime | None
    created_by: str
    comment: str


def _filters(filters: Mapping[str, str] | Iterable[str]) -> list[str]:
    """``{"service": "checkout"}`` (equality) or matcher strings (``service=~"a|b"``)."""
    if isinstance(filters, Mapping):
        return [f"{k}={quote(v)}" for k, v in filters.items()]
    return [str(f) for f in filters]


class AlertmanagerClient(InstanceClient):
    """Reads one Alertmanager instance. Use ``async with`` or call ``aclose()``."""

    async def alerts(
        self,
        filters: Mapping[str, str] | Iterable[str] = (),
        *,
        receiver: str | None = None,
        active: bool = True,
        silenced: bool = True,
        inhibited: bool = True,
        unprocessed: bool = True,
    ) -> list[Alert]:
        """Alerts matching every filter; ``receiver`` is a regex on receiver names."""
        params: list[tuple[str, str]] = [("filter", f) for f in _filters(filters)]
        for key, value in (
            ("active", active),
            ("silenced", silenced),
            ("inhibited", inhibited),
            ("unprocessed", unprocessed),
        ):
            params.append((key, str(value).lower()))
        if receiver:
            params.append(("receiver", receiver))
        body = await self._get("/api/v2/alerts", params)
        return [
            Alert(
                fingerprint=str(a.get("fingerprint", "")),
                labels=dict(a.get("labels") or {}),
                annotations=dict(a.get("annotations") or {}),
                state=str((a.get("status") or {}).get("state", "")),
                starts_at=_time(a.get("startsAt")),
                ends_at=_time(a.get("endsAt")),
                updated_at=_time(a.get("updatedAt")),
                generator_url=a.get("generatorURL") or None,
                receivers=[str(r.get("name", "")) for r in a.get("receivers") or []],
                silenced_by=list((a.get("status") or {}).get("silencedBy") or []),
                inhibited_by=list((a.get("status") or {}).get("inhibitedBy") or []),
            )
            for a in body
        ]

    async def silences(self, filters: Mapping[str, str] | Iterable[str] = ()) -> list[Silence]:
        """Silences (active, pending and recently expired) whose matchers match the filters."""
        body = await self._get("/api/v2/silences", [("filter", f) for f in _filters(filters)])
        return [
            Silence(
                id=str(s.get("id", "")),
                matchers=[
                    Matcher(
                        str(m.get("name", "")),
                        str(m.get("value", "")),
                        bool(m.get("isRegex", False)),
                        bool(m.get("isEqual", True)),
                    )
                    for m in s.get("matchers") or []
                ],
                state=str((s.get("status") or {}).get("state", "")),
                starts_at=_time(s.get("startsAt")),
                ends_at=_time(s.get("endsAt")),
                updated_at=_time(s.get("updatedAt")),
                created_by=str(s.get("createdBy", "")),
                comment=str(s.get("comment", "")),
            )
            for s in body
        ]

    async def _get(self, path: str, params: list[tuple[str, str]]) -> list[dict[str, Any]]:
        response = await send(self._http, self.instance, KIND, "GET", path, params=params)
        return self._body(response)

    def _body(self, response: httpx.Response) -> list[dict[str, Any]]:
        name = self.instance.name
        refused_credentials(response, self.instance, KIND)
        try:
            body = response.json()
        except ValueError:
            body = response.text
        if response.status_code == 400:
            raise QueryInvalid(
                f"refused the request: {str(body).strip()[:300]}",
                instance=name,
                kind=KIND,
            )
        if response.status_code != 200 or not isinstance(body, list):
            raise QueryFailed(
                f"HTTP {response.status_code} without an Alertmanager answer ({str(body)[:120]!r})",
                instance=name,
                kind=KIND,
            )
        return body


def alertmanager_client(settings: Settings, name: str | None = None) -> AlertmanagerClient:
    """A client for the instance called ``name`` (the first configured one by default)."""
    return AlertmanagerClient(
        pick_instance(settings.alertmanager_instances, name, "alertmanager_instances", KIND)
    )
