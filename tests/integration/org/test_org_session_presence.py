"""An ldap-mode UI session ends when its user leaves the directory: at the next minute's
re-check after the org sync removed them, within 15 minutes when the sync has not run yet; a
person the sync has not brought yet stays signed in while the directory has them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from fixtures.browser_state import tab_with_cookie
from fixtures.ldap import BASE, Slapd

from pinconsole.access.sessions import PRESENCE_RECHECK_SECONDS, sign_session
from pinconsole.org import auth
from pinconsole.org.sync import sync_org
from pinconsole.plugins import Plugin, get_registry
from pinconsole.state.base import AppState

pytestmark = pytest.mark.slapd

BOB_DN = f"uid=bob,ou=people,{BASE}"


@pytest.fixture
def synced(ldap_settings: Slapd, db: str, write_config: Callable[..., Path]) -> Path:
    """The directory synced into the catalog once (the org plugin's ldap presence check)."""
    config = write_config(ldap_settings)
    run = sync_org(config, triggered_by="test")
    assert run.status == "ok", run.error
    return config


def _signed_in(user: str) -> AppState:
    """A browser's state right after ``user`` signed in (cookie and state as the sign-in sets)."""
    state = tab_with_cookie(sign_session(user))
    assert _check(state) and state.user_name == user
    return state


def _check(state: AppState, *, minutes_later: float = 0) -> bool:
    """The state's re-check as it runs ``minutes_later`` (the clocks of its caches moved back)."""
    state._resolved_at -= minutes_later * 60
    state._present_at -= minutes_later * 60
    return asyncio.run(state._check())


def test_a_user_removed_by_the_org_sync_is_signed_out(synced: Path, ldap_settings: Slapd) -> None:
    state = _signed_in("bob")
    ldap_settings.delete(BOB_DN)
    assert sync_org(synced, triggered_by="test").users_removed == 1
    assert not _check(state, minutes_later=1)
    assert state.user_name == ""


def test_a_user_removed_from_the_directory_is_signed_out_within_15_minutes(
    synced: Path, ldap_settings: Slapd
) -> None:
    state = _signed_in("bob")
    ldap_settings.delete(BOB_DN)  # the org sync has not run since
    assert _check(state, minutes_later=5)  # the catalog still vouches
    assert not _check(state, minutes_later=PRESENCE_RECHECK_SECONDS / 60)
    assert state.user_name == ""


def test_others_stay_signed_in_and_the_directory_is_asked_every_15_minutes(
    synced: Path, with_plugin: Callable[[Plugin], Plugin]
) -> None:
    asked: list[str] = []

    def spy(name: str) -> bool | None:
        asked.append(name)
        return auth.user_in_directory(name)

    org = get_registry().plugins["org"]
    (ldap,) = org.authenticators
    with_plugin(replace(org, authenticators=[replace(ldap, still_present=spy)]))
    state = _signed_in("carol")
    for _ in range(14):
        assert _check(state, minutes_later=1)
    assert asked == ["carol"]  # the first check of this browser; then the catalog for 15 min
    assert _check(state, minutes_later=1)
    assert asked == ["carol", "carol"] and state.user_name == "carol"


def test_a_person_not_synced_yet_stays_while_the_directory_has_them(
    ldap_settings: Slapd, db: str
) -> None:
    # Nothing synced: the catalog knows nobody.
    state = _signed_in("alice")
    assert _check(state, minutes_later=20)
    ldap_settings.stop()  # the directory cannot tell: only people the catalog knows stay
    assert not _check(state, minutes_later=20)


def test_a_directory_outage_keeps_people_the_catalog_knows(
    synced: Path, ldap_settings: Slapd
) -> None:
    state = _signed_in("dave")
    ldap_settings.stop()
    assert _check(state, minutes_later=20) and state.user_name == "dave"
