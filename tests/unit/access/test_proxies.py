"""Trusted proxies: who may tell us the client's address and the signed-in user."""

from __future__ import annotations

import pytest

from pinconsole.access.proxies import (
    MAX_USER_HEADER,
    client_address,
    is_trusted_proxy,
    parse_networks,
    proxy_user,
)
from pinconsole.errors import Invalid
from pinconsole.settings import get_settings

PROXIES = ["10.0.0.0/8", "192.168.1.5", "::1"]


def test_trusted_proxies_are_addresses_and_networks() -> None:
    assert is_trusted_proxy("10.1.2.3", PROXIES) and is_trusted_proxy("192.168.1.5", PROXIES)
    assert is_trusted_proxy("::1", PROXIES) and is_trusted_proxy("[::1]", PROXIES)
    assert is_trusted_proxy("::ffff:10.0.0.1", PROXIES)  # IPv4-mapped, as dual-stack sockets say
    assert not is_trusted_proxy("192.168.1.6", PROXIES)
    assert not is_trusted_proxy("testclient", PROXIES) and not is_trusted_proxy("", PROXIES)
    assert not is_trusted_proxy("127.0.0.1", [])  # nothing configured: nobody is trusted
    with pytest.raises(Invalid, match="trusted_proxies"):
        parse_networks(("10.0.0.0/8", "proxy.internal"))


def test_client_address_walks_forwarded_for_from_the_right() -> None:
    # A client connecting directly: its forged header changes nothing.
    assert client_address("203.0.113.9", "10.0.0.1, 1.2.3.4", PROXIES) == "203.0.113.9"
    # Through one trusted proxy: the address it appended.
    assert client_address("10.0.0.2", "198.51.100.7", PROXIES) == "198.51.100.7"
    # The client prepended a fake hop: the first untrusted one from the right wins.
    assert client_address("10.0.0.2", "6.6.6.6, 198.51.100.7", PROXIES) == "198.51.100.7"
    # Two trusted proxies in a chain.
    assert client_address("10.0.0.2", "198.51.100.7, 10.9.9.9", PROXIES) == "198.51.100.7"
    # A trusted-looking hop left of an untrusted one is not walked past.
    assert client_address("10.0.0.2", "10.5.5.5, 198.51.100.7", PROXIES) == "198.51.100.7"
    # Garbage stops the walk at the last address known.
    assert client_address("10.0.0.2", "not-an-ip, 10.9.9.9", PROXIES) == "10.9.9.9"
    assert client_address("10.0.0.2", "", PROXIES) == "10.0.0.2"
    assert client_address("10.0.0.2", "198.51.100.7", []) == "10.0.0.2"


def test_the_user_header_counts_only_from_a_trusted_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PINCONSOLE_TRUSTED_PROXIES", '["127.0.0.1"]')
    get_settings.cache_clear()
    headers = {"x-forwarded-user": " ada "}
    assert proxy_user("127.0.0.1", headers) == "ada"
    assert proxy_user("127.0.0.2", headers) == ""  # anyone else may not name a user
    assert proxy_user("127.0.0.1", {}) == ""
    assert proxy_user("127.0.0.1", {"x-forwarded-user": "a" * MAX_USER_HEADER}) != ""
    with pytest.raises(Invalid, match="at most 256"):
        proxy_user("127.0.0.1", {"x-forwarded-user": "a" * (MAX_USER_HEADER + 1)})
    monkeypatch.delenv("PINCONSOLE_TRUSTED_PROXIES")
    get_settings.cache_clear()
