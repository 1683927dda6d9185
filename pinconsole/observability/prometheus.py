"""A Prometheus HTTP API client (``/api/v1/query`` and ``/api/v1/query_range``) over httpx.

Every failure is a typed error naming the instance (see ``errors``): ``bad_data`` is
QueryInvalid, execution errors QueryFailed, the server's or our time limit QueryTimeout, a
closed port SourceUnreachable. Long queries go as a POST form body (Prometheus accepts both;
URLs past a few KB are cut by proxies). The server is told our read timeout, so it stops
working on a query nobody waits for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from pinconsole.observability.errors import QueryFailed, QueryInvalid, QueryTimeout
from pinconsole.observability.http import InstanceClient, pick_instance, refused_credentials, send
from pinconsole.observability.steps import TARGET_POINTS, choose_step, expand
from pinconsole.settings import MonitoringInstance, Settings

KIND = "Prometheus"
POST_ABOVE = 2_000  # bytes of encoded parameters past which the query goes as a form body


@dataclass(frozen=True)
class Sample:
    """One series' value at one instant (``query``)."""

    labels: dict[str, str]
    time: float
    value: float


@dataclass(frozen=True)
class Series:
    """One series over a range (``query_range``): (Unix seconds, value) points."""

    labels: dict[str, str]
    points: list[tuple[float, float]]


@dataclass(frozen=True)
class InstantResult:
    samples: list[Sample]
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RangeResult:
    """The series, the step actually used and the query as sent (variables filled)."""

    series: list[Series]
    start: float
    end: float
    step: int
    query: str
    warnings: list[str] = field(default_factory=list)


def _value(text: str) -> float:
    return float(text)  # Prometheus writes NaN, +Inf and -Inf, which float() reads


class PrometheusClient(InstanceClient):
    """Queries one Prometheus instance. Use ``async with`` or call ``aclose()``."""

    def __init__(self, instance: MonitoringInstance, *, scrape_interval: float = 15.0) -> None:
        super().__init__(instance)
        self.scrape_interval = scrape_interval

    async def query(
        self, promql: str, *, at: float | None = None, timeout: float | None = None
    ) -> InstantResult:
        """An instant query; vectors and scalars both come back as samples. ``timeout`` is
        the server's limit in seconds (default: 90% of the read timeout)."""
        params: dict[str, str] = {"query": promql}
        if at is not None:
            params["time"] = f"{at:.3f}"
        data, warnings = await self._call("/api/v1/query", params, timeout)
        kind, result = data.get("resultType"), data.get("result")
        if kind == "vector":
            samples = [
                Sample(dict(r.get("metric", {})), float(r["value"][0]), _value(r["value"][1]))
                for r in result
            ]
        elif kind in ("scalar", "string"):
            samples = [Sample({}, float(result[0]), _value(result[1]))] if kind == "scalar" else []
        elif kind == "matrix":
            raise QueryInvalid(
                "a range vector cannot be charted as an instant value: wrap it in a function "
                "such as rate()",
                instance=self.instance.name,
            )
        else:
            raise self._malformed(f"result type {kind!r}")
        return InstantResult(samples, warnings)

    async def query_range(
        self,
        promql: str,
        start: float,
        end: float,
        *,
        step: int | None = None,
        points: int = TARGET_POINTS,
        timeout: float | None = None,
    ) -> RangeResult:
        """A range query. Without ``step`` it is chosen for ``points`` points (``steps``);
        ``$__rate_interval`` and ``$__interval`` in the query are filled from it."""
        if end <= start:
            raise QueryInvalid(
                f"the range ends ({end}) before it starts ({start})", instance=self.instance.name
            )
        step = step or choose_step(start, end, self.scrape_interval, points=points)
        sent = expand(promql, step, self.scrape_interval)
        params = {"query": sent, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": str(step)}
        data, warnings = await self._call("/api/v1/query_range", params, timeout)
        if data.get("resultType") != "matrix":
            raise self._malformed(f"result type {data.get('resultType')!r}")
        series = [
            Series(
                dict(r.get("metric", {})), [(float(t), _value(v)) for t, v in r.get("values", [])]
            )
            for r in data.get("result", [])
        ]
        return RangeResult(series, start, end, step, sent, warnings)

    async def _call(
        self, path: str, params: dict[str, str], timeout: float | None
    ) -> tuple[dict[str, Any], list[str]]:
        # By default the server's own limit is a little under ours, so its clearer error
        # arrives first; Prometheus reads the limit as float seconds.
        limit = timeout if timeout is not None else self.instance.read_timeout_seconds * 0.9
        params = {**params, "timeout": f"{limit:g}"}
        if len(urlencode(params)) > POST_ABOVE:
            response = await send(self._http, self.instance, KIND, "POST", path, data=params)
        else:
            response = await send(self._http, self.instance, KIND, "GET", path, params=params)
        return self._data(response)

    def _data(self, response: httpx.Response) -> tuple[dict[str, Any], list[str]]:
        """The answer's ``data`` and its warnings (e.g. a query over too many series)."""
        refused_credentials(response, self.instance, KIND)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, Mapping) or "status" not in body:
            raise QueryFailed(
                f"HTTP {response.status_code} without a Prometheus answer "
                f"({response.text[:120]!r}); is {self.instance.url} a Prometheus?",
                instance=self.instance.name,
            )
        if body["status"] != "success":
            raise self._error(str(body.get("errorType", "")), str(body.get("error", "")))
        data = body.get("data")
        if not isinstance(data, dict):
            raise self._malformed("no data")
        return data, [str(w) for w in body.get("warnings") or []]

    def _error(self, error_type: str, error: str) -> Exception:
        name = self.instance.name
        if error_type == "bad_data":
            return QueryInvalid(f"the query is not valid PromQL: {error}", instance=name)
        if error_type in ("timeout", "canceled"):
            return QueryTimeout(f"the query took too long ({error})", instance=name)
        if error_type == "execution":
            return QueryFailed(f"the query failed while running: {error}", instance=name)
        return QueryFailed(f"{error_type or 'error'}: {error}", instance=name)

    def _malformed(self, what: str) -> QueryFailed:
        return QueryFailed(f"unexpected answer: {what}", instance=self.instance.name)


def prometheus_client(settings: Settings, name: str | None = None) -> PrometheusClient:
    """A client for the instance called ``name`` (the first configured one by default)."""
    instance = pick_instance(settings.prometheus_instances, name, "prometheus_instances", KIND)
    return PrometheusClient(instance, scrape_interval=settings.prometheus_scrape_interval_seconds)
