"""The reading allow-list's rules on their own: hosts, ports, paths, addresses, location roots."""

from __future__ import annotations

import ipaddress

import pytest

from pinconsole.catalog.descriptors import resolve_target, url_within_root
from pinconsole.outbound.allowlist import Allowlist, is_public, parse_rule
from pinconsole.settings import Settings


def _allows(rules: list[str | tuple[str, list[str]]], url: str) -> bool:
    parsed = [parse_rule(r) if isinstance(r, str) else parse_rule(*r) for r in rules]
    return Allowlist(parsed).refusal(url) is None


@pytest.mark.parametrize(
    ("rules", "url", "allowed"),
    [
        ([], "https://github.com/org/repo/catalog-info.yaml", False),  # the default: nothing
        (["github.com"], "https://github.com/org/repo/catalog-info.yaml", True),
        (["github.com"], "https://GitHub.com./org/catalog-info.yaml", True),
        (["github.com"], "https://github.com:8443/x", False),  # no port: the default one only
        (["github.com"], "http://github.com:443/x", False),
        (["github.com"], "https://api.github.com/x", False),
        (["github.com"], "https://github.com.evil.test/x", False),
        (["*.example.com"], "https://git.example.com/x", True),
        (["*.example.com"], "https://a.b.example.com/x", True),
        (["*.example.com"], "https://example.com/x", False),  # as Backstage: subdomains only
        (["*.example.com"], "https://evilexample.com/x", False),
        (["git.internal:8443"], "https://git.internal:8443/x", True),
        (["git.internal:8443"], "https://git.internal/x", False),
        (["127.0.0.1:8080"], "http://127.0.0.1:8080/x", True),
        (["127.0.0.1:8080"], "http://localhost:8080/x", False),
        (["127.0.0.1:8080"], "http://2130706433:8080/x", False),  # the same address, unlisted
        (["[::1]:8080"], "http://[::1]:8080/x", True),
        (["github.com"], "https://user:token@github.com/x", False),
        (["github.com"], "file:///etc/passwd", False),
        (["github.com"], "ftp://github.com/x", False),
        ([("github.com", ["/org/"])], "https://github.com/org/repo/x.yaml", True),
        ([("github.com", ["/org/"])], "https://github.com/other/x.yaml", False),
        ([("github.com", ["/org/"])], "https://github.com/org/../other/x.yaml", False),
        ([("github.com", ["/org/"])], "https://github.com/org/%2e%2e/other/x.yaml", False),
        ([("github.com", ["/org/"])], "https://github.com/org/..%2fother/x.yaml", False),
        ([("github.com", ["/org"])], "https://github.com/org", True),
        ([("github.com", ["/org"])], "https://github.com/organisation/x", False),
        (["bücher.example"], "https://xn--bcher-kva.example/x", True),
    ],
)
def test_which_urls_a_rule_allows(rules: list, url: str, allowed: bool) -> None:
    assert _allows(rules, url) is allowed


@pytest.mark.parametrize(
    "bad", ["", "exa mple.com", "*.*.example.com", "example.com:0", "example.com:99999", "a:b:c"]
)
def test_malformed_rules_fail_when_settings_load(bad: str) -> None:
    with pytest.raises(ValueError, match="catalog_reading_allow"):
        Settings(catalog_reading_allow=[{"host": bad}])


def test_path_prefixes_must_be_absolute() -> None:
    with pytest.raises(ValueError, match="must start with /"):
        Settings(catalog_reading_allow=[{"host": "github.com", "paths": ["org/"]}])


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.5.5.5", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
        "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "239.1.1.1", "255.255.255.255",
        "192.0.2.2", "198.18.0.1", "240.0.0.1", "::1", "::", "fe80::1", "fc00::1", "fd00::2",
        "fec0::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:7f00:1::",
        "2002:a9fe:a9fe::", "64:ff9b::a9fe:a9fe", "2001:db8::1",
    ],
)  # fmt: skip
def test_addresses_outside_the_public_internet(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "93.184.216.34", "2606:4700::1111", "2002:808:808::"]
)
def test_public_addresses(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


def test_only_a_rule_naming_the_host_reaches_inside() -> None:
    rules = Allowlist([parse_rule("*.corp.example"), parse_rule("git.corp.example")])
    inside, outside = ipaddress.ip_address("10.0.0.5"), ipaddress.ip_address("93.184.216.34")
    assert rules.permits_address("git.corp.example", 443, inside)  # listed by name
    assert not rules.permits_address("wiki.corp.example", 443, inside)  # only by wildcard
    assert rules.permits_address("wiki.corp.example", 443, outside)
    assert not rules.permits_address("wiki.corp.example", 8080, outside)  # port not listed
    assert not rules.permits_address("elsewhere.example", 443, outside)  # no rule at all


@pytest.mark.parametrize(
    ("url", "root", "inside"),
    [
        ("http://h/a/b.yaml", "http://h/", True),
        ("http://h:80/a", "http://h/", True),
        ("http://H/a", "http://h/", True),
        ("http://h:8080/a", "http://h/", False),
        ("https://h/a", "http://h/", False),
        ("http://h.evil/a", "http://h/", False),
        ("http://h@evil/a", "http://h/", False),
        ("http://h/repo/x", "http://h/repo/", True),
        ("http://h/repo/../other", "http://h/repo/", False),
        ("http://h/repo/%2e%2e/other", "http://h/repo/", False),
        ("http://h/repository", "http://h/repo/", False),
    ],
)
def test_url_within_root(url: str, root: str, inside: bool) -> None:
    assert url_within_root(url, root) is inside


def test_substitutions_may_not_leave_a_url_locations_root() -> None:
    base, root = "http://h/repo/catalog-info.yaml", "http://h/repo/"
    assert resolve_target("./api.yaml", base, root) == "http://h/repo/api.yaml"
    for value in ("../secret", "http://h/repo/%2e%2e/secret", "http://127.0.0.1/x"):
        with pytest.raises(ValueError, match="outside the location root"):
            resolve_target(value, base, root)
