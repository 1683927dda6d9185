"""The Origins the state websocket accepts: the public URL's, as a browser writes it."""

from __future__ import annotations

import pytest

from pinconsole.access.origins import allowed_origins
from pinconsole.errors import Invalid


def test_the_public_url_gives_one_origin() -> None:
    assert allowed_origins("https://Console.Example.com/") == ["https://console.example.com"]
    assert allowed_origins("https://console.example.com:443/x") == ["https://console.example.com"]
    assert allowed_origins("http://console.example.com:8080") == ["http://console.example.com:8080"]
    assert allowed_origins("http://[2001:db8::1]:90") == ["http://[2001:db8::1]:90"]


def test_a_loopback_url_allows_its_other_spellings_on_the_same_port() -> None:
    assert allowed_origins("http://localhost:3000") == [
        "http://localhost:3000",
        "http://127.0.0.1:3000",
        "http://[::1]:3000",
    ]


def test_anything_but_http_is_refused() -> None:
    with pytest.raises(Invalid, match="public_url"):
        allowed_origins("console.example.com")
