"""The sign-in lockout counts per client: the address behind the configured proxies, never an
X-Forwarded-For a direct client wrote itself (it would get a fresh counter per request)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from reflex import constants
from reflex.istate.data import RouterData

from pinconsole.settings import get_settings
from pinconsole.state.signin import SignInState


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def _client(peer: str, forwarded_for: str) -> str:
    state = SignInState(_reflex_internal_init=True)
    state.router = RouterData.from_router_data(
        {
            constants.RouteVar.CLIENT_IP: peer,
            constants.RouteVar.HEADERS: {"x-forwarded-for": forwarded_for},
        }
    )
    return state._client()


def test_a_direct_clients_forwarded_header_is_ignored(settings: pytest.MonkeyPatch) -> None:
    settings.delenv("PINCONSOLE_TRUSTED_PROXIES", raising=False)
    assert _client("203.0.113.5", "10.9.9.9") == "203.0.113.5"


def test_the_client_behind_a_trusted_proxy_counts(settings: pytest.MonkeyPatch) -> None:
    settings.setenv("PINCONSOLE_TRUSTED_PROXIES", '["10.0.0.0/8"]')
    assert _client("10.0.0.2", "198.51.100.7, 10.0.0.3") == "198.51.100.7"
    assert _client("10.0.0.2", "forged, 198.51.100.7") == "198.51.100.7"
