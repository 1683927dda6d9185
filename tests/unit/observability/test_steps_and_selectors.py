"""Step selection, rate windows and the entity -> selector/rules/alerts mapping (pure)."""

from __future__ import annotations

import pytest

from pinconsole.errors import Invalid
from pinconsole.observability.selectors import Rule, entity_metrics, parse_matchers
from pinconsole.observability.steps import MAX_POINTS, choose_step, expand, rate_interval
from pinconsole.settings import DEFAULT_SELECTOR_TEMPLATES, MonitoringInstance, Settings

HOUR, DAY = 3600, 86400


@pytest.mark.parametrize(
    ("span", "scrape", "step"),
    [
        (HOUR, 15, 15),  # 3600/600 = 6 s is below the scrape interval
        (6 * HOUR, 15, 36),
        (DAY, 15, 144),
        (7 * DAY, 15, 1008),
        (15 * 60, 1, 2),  # 900/600 = 1.5 s, rounded up to whole seconds
        (60, 0.5, 1),  # never below one second
    ],
)
def test_step_aims_at_600_points_and_never_below_the_scrape_interval(
    span: int, scrape: float, step: int
) -> None:
    assert choose_step(1_000_000, 1_000_000 + span, scrape) == step


def test_step_never_leaves_more_than_prometheus_11000_points() -> None:
    span = 365 * DAY
    step = choose_step(0, span, 1, points=50_000)
    assert span / step <= MAX_POINTS
    assert span / (step - 1) > MAX_POINTS  # the smallest step that fits


def test_step_refuses_an_empty_range() -> None:
    with pytest.raises(ValueError, match="must be after start"):
        choose_step(10, 10, 15)


@pytest.mark.parametrize(
    ("step", "scrape", "window"),
    [(15, 15, 60), (36, 15, 60), (144, 15, 159), (1008, 15, 1023), (2, 1, 4)],
)
def test_rate_window_follows_grafana_rate_interval(step: int, scrape: int, window: int) -> None:
    assert rate_interval(step, scrape) == window


def test_expand_fills_grafana_variables() -> None:
    q = "sum(rate(http_requests_total[$__rate_interval])) / $__interval"
    assert expand(q, 144, 15) == "sum(rate(http_requests_total[159s])) / 144s"


def _body(kind: str = "Component", **annotations: str) -> dict:
    return {"kind": kind, "metadata": {"name": "checkout-api", "annotations": annotations}}


def test_selector_annotation_wins_over_the_template() -> None:
    got = entity_metrics(
        _body(**{"pinconsole.io/prometheus-selector": '{service="checkout", env=~"prod|eu"}'}),
        DEFAULT_SELECTOR_TEMPLATES,
    )
    assert got.selector == 'service="checkout", env=~"prod|eu"'
    assert got.source == "annotation"


def test_template_fills_name_and_namespace_by_kind() -> None:
    got = entity_metrics(_body(), {"component": 'job="{namespace}/{name}"'})
    assert got.selector == 'job="default/checkout-api"'
    assert got.source == "template"
    assert entity_metrics(_body("Resource"), DEFAULT_SELECTOR_TEMPLATES).selector is None


def test_roadie_rules_split_on_top_level_commas_and_keep_legend_labels() -> None:
    rule = 'memUsage|component,sum by (instance, job) (rate(x[5m])),up{a="1,2"}|instance'
    got = entity_metrics(_body(**{"prometheus.io/rule": rule}), {})
    assert got.rules == (
        Rule("memUsage", "component"),
        Rule("sum by (instance, job) (rate(x[5m]))"),
        Rule('up{a="1,2"}', "instance"),
    )


def test_roadie_alerts_and_service_name() -> None:
    got = entity_metrics(
        _body(
            **{
                "prometheus.io/alert": "HighErrorRate, Crashloop",
                "prometheus.io/service-name": "eu",
            }
        ),
        {},
    )
    assert got.alerts == ("HighErrorRate", "Crashloop")
    assert got.instance == "eu"
    assert entity_metrics(_body(**{"prometheus.io/alert": "all"}), {}).alerts == "all"


def test_a_malformed_selector_names_the_entity_and_the_annotation() -> None:
    with pytest.raises(Invalid) as err:
        entity_metrics(_body(**{"pinconsole.io/prometheus-selector": "service=checkout"}), {})
    assert "component:default/checkout-api annotation pinconsole.io/prometheus-selector" in str(
        err.value
    )
    with pytest.raises(Invalid, match="expected a comma"):
        parse_matchers('a="1" b="2"', where="x")


def test_a_bad_template_names_the_setting() -> None:
    with pytest.raises(Invalid, match=r"prometheus_selector_templates\[Component\]"):
        entity_metrics(_body(), {"Component": 'service="{owner}"'})


def test_instances_refuse_two_kinds_of_auth_and_non_http_urls() -> None:
    with pytest.raises(ValueError, match="not both"):
        MonitoringInstance(name="a", url="http://x", bearer_token="t", basic_auth_user="u")
    with pytest.raises(ValueError, match="http://"):
        MonitoringInstance(name="a", url="prom:9090")


def test_several_instances_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "PINCONSOLE_PROMETHEUS_INSTANCES",
        '[{"name": "eu", "url": "http://eu:9090"}, {"name": "us", "url": "http://us:9090",'
        ' "read_timeout_seconds": 5}]',
    )
    s = Settings()
    assert [(i.name, i.read_timeout_seconds) for i in s.prometheus_instances] == [
        ("eu", 30.0),
        ("us", 5.0),
    ]
