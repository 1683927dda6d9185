"""catalog_rules: which kinds a target may bring in, and how nested Locations narrow them."""

from __future__ import annotations

import json

import pytest

from pinconsole.catalog.rules import describe, kinds_for, narrow
from pinconsole.settings import get_settings

DEFAULT = frozenset({"component", "api", "resource", "system", "domain", "location"})


@pytest.fixture
def rules(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def use(value: list[dict[str, object]]) -> None:
        monkeypatch.setenv("PINCONSOLE_CATALOG_RULES", json.dumps(value))
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


def test_by_default_a_non_admin_location_brings_no_group_nor_user() -> None:
    get_settings.cache_clear()
    assert kinds_for("https://git.example.org/a/catalog-info.yaml", trusted=False) == DEFAULT
    assert kinds_for("https://git.example.org/a/catalog-info.yaml", trusted=True) is None


def test_rules_match_targets_by_glob_and_add_up(rules) -> None:  # type: ignore[no-untyped-def]
    rules(
        [
            {"allow": ["Component"]},
            {"allow": ["Group", "user"], "targets": ["https://git.example.org/org/*"]},
            {"allow": ["*"], "targets": ["https://git.example.org/free/*"]},
        ]
    )
    assert kinds_for("https://git.example.org/org/teams.yaml", trusted=False) == {
        "component",
        "group",
        "user",
    }
    assert kinds_for("https://git.example.org/other/teams.yaml", trusted=False) == {"component"}
    assert kinds_for("https://git.example.org/free/x.yaml", trusted=False) is None
    # Case of the host does not matter; a path that climbs matches no pattern at all.
    assert "group" in kinds_for("https://Git.Example.org/org/t.yaml", trusted=False)  # type: ignore[operator]
    for climbing in (
        "https://git.example.org/org/../evil/t.yaml",
        "https://git.example.org/org/%2e%2e/evil/t.yaml",
    ):
        assert kinds_for(climbing, trusted=False) == frozenset()


def test_no_rule_means_nothing_from_non_admin_locations(rules) -> None:  # type: ignore[no-untyped-def]
    rules([])
    assert kinds_for("https://git.example.org/a.yaml", trusted=False) == frozenset()
    assert describe(frozenset()) == "no kind"


def test_a_nested_target_never_brings_more_than_its_parent() -> None:
    parent = frozenset({"component", "location"})
    assert narrow(parent, frozenset({"group", "component"})) == {"component"}
    assert narrow(parent, None) == parent
    assert narrow(None, frozenset({"group"})) == {"group"}
    assert narrow(None, None) is None
    assert describe(parent) == "Component, Location"
