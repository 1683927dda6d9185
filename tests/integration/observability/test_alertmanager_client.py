"""The Alertmanager read client against a real Alertmanager, alerts and silences POSTed to it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fixtures.ldap import free_port
from fixtures.prometheus import Server
from fixtures.prometheus import alertmanager as alertmanager

from pinconsole.observability.alertmanager import AlertmanagerClient, Matcher, alertmanager_client
from pinconsole.observability.errors import QueryInvalid, SourceUnreachable
from pinconsole.settings import MonitoringInstance, Settings

pytestmark = pytest.mark.xdist_group("alertmanager")

RUNBOOK = "https://runbooks.example.org/checkout/high-errors"


def _iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def _post_alerts(server: Server) -> None:
    now = datetime.now(UTC)
    alerts = [
        {
            "labels": {"alertname": "HighErrorRate", "service": "checkout-api", "team": "payments"},
            "annotations": {"summary": "5% of requests fail", "runbook_url": RUNBOOK},
            "generatorURL": "http://prometheus.example.org/graph?g0.expr=x",
            "startsAt": _iso(now - timedelta(minutes=5)),
            "endsAt": _iso(now + timedelta(hours=1)),
        },
        {
            "labels": {"alertname": "CrashLooping", "service": "search", "team": "discovery"},
            "annotations": {"description": "search-0 restarted 5 times"},
            "startsAt": _iso(now - timedelta(minutes=1)),
            "endsAt": _iso(now + timedelta(hours=1)),
        },
    ]
    httpx.post(f"{server.url}/api/v2/alerts", json=alerts, timeout=5).raise_for_status()


def _client(url: str) -> AlertmanagerClient:
    return AlertmanagerClient(MonitoringInstance(name="am-eu", url=url))


async def test_alerts_by_labels_and_receiver(alertmanager: Server) -> None:
    _post_alerts(alertmanager)
    async with _client(alertmanager.url) as client:
        every = await client.alerts()
        mine = await client.alerts({"service": "checkout-api"})
        by_receiver = await client.alerts(receiver="payments")
        by_regex = await client.alerts(['service=~"check.*|sea.*"', 'team!="payments"'])
    assert sorted(a.alertname for a in every) == ["CrashLooping", "HighErrorRate"]
    [alert] = mine
    assert (alert.alertname, alert.summary, alert.runbook_url) == (
        "HighErrorRate",
        "5% of requests fail",
        RUNBOOK,
    )
    assert alert.generator_url == "http://prometheus.example.org/graph?g0.expr=x"
    assert alert.receivers == ["payments"]
    assert alert.starts_at is not None and alert.starts_at.tzinfo is not None
    assert alert.silenced_by == [] and alert.state in ("active", "unprocessed")
    assert [a.alertname for a in by_receiver] == ["HighErrorRate"]
    assert [(a.alertname, a.description) for a in by_regex] == [
        ("CrashLooping", "search-0 restarted 5 times")
    ]


async def test_silences_listed_and_silenced_alerts_marked(alertmanager: Server) -> None:
    _post_alerts(alertmanager)
    now = datetime.now(UTC)
    response = httpx.post(
        f"{alertmanager.url}/api/v2/silences",
        json={
            "matchers": [
                {"name": "service", "value": "checkout-api", "isRegex": False, "isEqual": True}
            ],
            "startsAt": _iso(now),
            "endsAt": _iso(now + timedelta(hours=1)),
            "createdBy": "alice",
            "comment": "deploying the fix",
        },
        timeout=5,
    )
    response.raise_for_status()
    silence_id = response.json()["silenceID"]
    async with _client(alertmanager.url) as client:
        silences = await client.silences()
        none = await client.silences({"service": "search"})
        [silenced] = await client.alerts({"service": "checkout-api"})
        unsilenced = await client.alerts(silenced=False)
    [silence] = silences
    assert (silence.id, silence.state, silence.created_by, silence.comment) == (
        silence_id,
        "active",
        "alice",
        "deploying the fix",
    )
    assert silence.matchers == [Matcher("service", "checkout-api")]
    assert str(silence.matchers[0]) == 'service="checkout-api"'
    assert silence.ends_at is not None and silence.ends_at > now
    assert none == []
    assert (silenced.state, silenced.silenced_by) == ("suppressed", [silence_id])
    assert [a.alertname for a in unsilenced] == ["CrashLooping"]


async def test_a_bad_filter_is_query_invalid_naming_the_instance(alertmanager: Server) -> None:
    async with _client(alertmanager.url) as client:
        with pytest.raises(QueryInvalid) as err:
            await client.alerts(['service=~"checkout-api("'])
    assert str(err.value).startswith("Alertmanager 'am-eu': refused the request: ")
    assert "missing closing )" in str(err.value)


async def test_a_closed_port_is_source_unreachable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    async with _client(url) as client:
        with pytest.raises(
            SourceUnreachable, match=rf"^Alertmanager 'am-eu': cannot connect to {url}"
        ):
            await client.silences()


def test_instances_are_picked_by_name() -> None:
    settings = Settings(
        alertmanager_instances=[MonitoringInstance(name="eu", url="http://am-eu:9093")]
    )
    assert alertmanager_client(settings, "eu").instance.url == "http://am-eu:9093"
