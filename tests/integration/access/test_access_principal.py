"""Principals resolved from the catalog: nested groups, admins, service accounts."""

from __future__ import annotations

import pytest

from pinconsole.access.principal import resolve_principal
from pinconsole.settings import get_settings


def test_groups_include_every_ancestor(org: str) -> None:
    ada = resolve_principal("ada")
    assert ada.display_name == "Ada Lovelace"
    assert ada.groups == {
        "group:default/platform-api",
        "group:default/platform",
        "group:default/engineering",
    }
    assert not ada.is_admin and not ada.is_service_account
    assert resolve_principal("linus").groups == {"group:default/sales"}


def test_names_are_case_insensitive(org: str) -> None:
    assert resolve_principal("ADA").name == "ada"


def test_unknown_name_is_a_service_account(org: str) -> None:
    bot = resolve_principal("deploy-bot")
    assert bot.is_service_account and bot.groups == frozenset() and not bot.is_admin
    assert resolve_principal("deploy-bot", force_admin=True).is_admin


@pytest.mark.parametrize(
    "spelling", ["console-admins", "group:console-admins", "group:default/Console-Admins"]
)
def test_admin_group_from_settings(
    org: str, monkeypatch: pytest.MonkeyPatch, spelling: str
) -> None:
    monkeypatch.setenv("PINCONSOLE_ADMIN_GROUP", spelling)
    get_settings.cache_clear()
    assert resolve_principal("margaret").is_admin
    assert not resolve_principal("ada").is_admin


def test_admin_group_through_nesting(org: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINCONSOLE_ADMIN_GROUP", "engineering")
    get_settings.cache_clear()
    assert resolve_principal("ada").is_admin  # platform-api < platform < engineering
    assert not resolve_principal("linus").is_admin


def test_admins_from_settings(org: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINCONSOLE_ADMINS", '["Linus", "ci-bot"]')
    get_settings.cache_clear()
    assert resolve_principal("linus").is_admin
    assert resolve_principal("ci-bot").is_admin  # a service account named in admins
    assert not resolve_principal("ada").is_admin
