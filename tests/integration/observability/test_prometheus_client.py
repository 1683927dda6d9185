"""The Prometheus client against a real Prometheus holding a backfilled, exact history."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fixtures.ldap import free_port
from fixtures.prometheus import Server, openmetrics, start_prometheus

from pinconsole.errors import Invalid, NotFound, Unavailable
from pinconsole.observability.errors import (
    QueryFailed,
    QueryInvalid,
    QueryTimeout,
    SourceUnreachable,
)
from pinconsole.observability.prometheus import PrometheusClient, prometheus_client
from pinconsole.settings import MonitoringInstance, Settings

pytestmark = pytest.mark.xdist_group("prometheus")

END = 1_700_006_400  # a multiple of 2 h, so the backfill lands in whole blocks
START = END - 7200
SELECTOR = 'service="checkout-api"'


def _counter(per_second: float) -> list[tuple[float, float]]:
    return [(t, per_second * (t - START)) for t in range(START, END + 1, 15)]


HISTORY = openmetrics(
    {
        "http_requests": (
            "counter",
            [
                ({"service": "checkout-api", "code": "200"}, _counter(2.0)),
                ({"service": "checkout-api", "code": "500"}, _counter(0.2)),
            ],
        )
    }
)


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_prometheus(tmp_path_factory.mktemp("prometheus"), history=HISTORY)
    try:
        yield server
    finally:
        server.stop()


def _client(url: str, **timeouts: float) -> PrometheusClient:
    return PrometheusClient(
        MonitoringInstance(name="eu-1", url=url, **timeouts), scrape_interval=15
    )


async def test_range_query_over_the_backfilled_history(prometheus: Server) -> None:
    async with _client(prometheus.url) as client:
        got = await client.query_range(
            f"sum by (code) (rate(http_requests_total{{{SELECTOR}}}[$__rate_interval]))",
            END - 3600,
            END,
        )
    assert got.step == 15  # 3600 s / 600 points = 6 s, below the scrape interval
    assert "[60s]" in got.query  # max(4 x 15 s, 15 s + 15 s)
    by_code = {s.labels["code"]: s for s in got.series}
    assert sorted(by_code) == ["200", "500"]
    for code, rate in (("200", 2.0), ("500", 0.2)):
        points = by_code[code].points
        assert len(points) == 241
        assert points[0][0] == END - 3600 and points[-1][0] == END
        assert all(v == pytest.approx(rate) for _, v in points)


async def test_instant_query(prometheus: Server) -> None:
    async with _client(prometheus.url) as client:
        got = await client.query(f'http_requests_total{{{SELECTOR}, code="500"}}', at=END)
        scalar = await client.query("scalar(sum(http_requests_total))", at=END)
    assert [(s.labels["code"], s.value) for s in got.samples] == [("500", pytest.approx(1440.0))]
    assert scalar.samples[0].value == pytest.approx(2.2 * 7200)


async def test_a_long_query_goes_as_a_form_post(prometheus: Server) -> None:
    codes = "|".join(["200", *(f"9{i:02d}x" for i in range(600))])
    methods: list[str] = []
    async with _client(prometheus.url) as client:
        client._http.event_hooks["request"].append(lambda r: _record(methods, r))
        got = await client.query(f'sum(http_requests_total{{code=~"{codes}"}})', at=END)
        await client.query("vector(1)", at=END)
    assert got.samples[0].value == pytest.approx(2.0 * 7200)
    assert methods == ["POST", "GET"]


async def _record(methods: list[str], request: httpx.Request) -> None:
    methods.append(request.method)


@pytest.mark.parametrize(
    ("auth", "header"),
    [
        ({"bearer_token": "s3cret"}, "Bearer s3cret"),
        ({"basic_auth_user": "ada", "basic_auth_password": "pw"}, "Basic YWRhOnB3"),
        ({}, None),
    ],
)
async def test_the_configured_credentials_are_sent(
    prometheus: Server, auth: dict[str, str], header: str | None
) -> None:
    sent: list[str | None] = []

    async def record(request: httpx.Request) -> None:
        sent.append(request.headers.get("Authorization"))

    instance = MonitoringInstance(name="eu-1", url=prometheus.url, **auth)
    async with PrometheusClient(instance) as client:
        client._http.event_hooks["request"].append(record)
        await client.query("vector(1)")
    assert sent == [header]


async def test_invalid_promql_is_query_invalid_naming_the_instance(prometheus: Server) -> None:
    async with _client(prometheus.url) as client:
        with pytest.raises(QueryInvalid) as err:
            await client.query_range("sum(rate(http_requests_total[5m]", END - 600, END)
    assert isinstance(err.value, Invalid) and err.value.status == 422
    assert str(err.value).startswith("Prometheus 'eu-1': the query is not valid PromQL: ")
    assert "parse error" in str(err.value)


async def test_an_execution_error_is_query_failed(prometheus: Server) -> None:
    async with _client(prometheus.url) as client:
        with pytest.raises(QueryFailed) as err:
            await client.query("http_requests_total + on() http_requests_total", at=END)
    assert "failed while running" in str(err.value) and "many-to-many" in str(err.value)
    assert isinstance(err.value, Unavailable)


async def test_prometheus_time_limit_is_query_timeout(prometheus: Server) -> None:
    async with _client(prometheus.url) as client:
        with pytest.raises(QueryTimeout) as err:
            await client.query_range("sum(http_requests_total)", START, END, timeout=1e-6)
    assert str(err.value).startswith("Prometheus 'eu-1': the query took too long")


async def test_a_server_that_never_answers_is_query_timeout() -> None:
    with socket.socket() as silent:  # accepts connections (the kernel's backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        async with _client(url, read_timeout_seconds=0.2) as client:
            with pytest.raises(QueryTimeout) as err:
                await client.query("up")
    assert err.value.status == 504
    assert str(err.value) == f"Prometheus 'eu-1': no answer from {url} within 0.2 s"


async def test_a_closed_port_is_source_unreachable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    async with _client(url) as client:
        with pytest.raises(SourceUnreachable) as err:
            await client.query_range("up", END - 600, END)
    assert err.value.instance == "eu-1" and err.value.status == 503
    assert str(err.value).startswith(f"Prometheus 'eu-1': cannot connect to {url}")


async def test_something_that_is_not_prometheus_is_query_failed(tmp_path: Path) -> None:
    from fixtures.prometheus import start_alertmanager

    other = start_alertmanager(tmp_path / "am")  # a real HTTP server with other paths
    try:
        async with _client(other.url) as client:
            with pytest.raises(QueryFailed, match=r"is .* a Prometheus"):
                await client.query("up")
    finally:
        other.stop()


def test_instances_are_picked_by_name() -> None:
    settings = Settings(
        prometheus_instances=[
            MonitoringInstance(name="eu", url="http://eu:9090"),
            MonitoringInstance(name="us", url="http://us:9090"),
        ],
        prometheus_scrape_interval_seconds=30,
    )
    assert prometheus_client(settings).instance.name == "eu"
    us = prometheus_client(settings, "us")
    assert (us.instance.name, us.scrape_interval) == ("us", 30)
    with pytest.raises(NotFound, match=r"no Prometheus instance named 'ap' \(configured: eu, us\)"):
        prometheus_client(settings, "ap")
    with pytest.raises(Unavailable, match="no Prometheus is configured"):
        prometheus_client(Settings(prometheus_instances=[]))
