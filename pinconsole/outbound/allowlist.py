"""The reading allow-list: which hosts, ports and paths outbound reads may reach, at what address.

As Backstage's ``backend.reading.allow``: a URL is readable only when a rule lists its host (exact
or ``*.example.com``, optional port) and, if the rule has paths, one of its path prefixes.
Addresses outside the public internet (loopback, private, link-local with cloud metadata,
unspecified, multicast, reserved, documentation) are reached only through a rule naming the host
exactly: a wildcard never reaches them, so a descriptor author who controls some subdomain's DNS
cannot point it at an internal service. Pure functions, no I/O: the fetcher does the resolving.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_PORTS = {"http": 80, "https": 443}
_NAME = re.compile(r"^(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9-]{1,63}$")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _normal_host(host: str) -> str:
    """Lowercase, IDNA-encoded, without a trailing dot or IPv6 brackets: how rules compare hosts."""
    host = host.strip().strip("[]").rstrip(".").lower()
    if host and not host.isascii():
        host = host.encode("idna").decode("ascii")
    return host


def _ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class AllowRule:
    """One entry: ``host`` (``*.`` prefix for subdomains), ``port`` (None: the scheme's default)."""

    host: str
    port: int | None = None
    paths: tuple[str, ...] = ()

    @property
    def wildcard(self) -> bool:
        return self.host.startswith("*.")

    def matches_host(self, host: str, port: int, scheme: str | None = None) -> bool:
        """Host and port; without a scheme (at connect time) a port-less rule takes 80 and 443."""
        if self.port is None:
            defaults = (DEFAULT_PORTS[scheme],) if scheme else tuple(DEFAULT_PORTS.values())
            if port not in defaults:
                return False
        elif port != self.port:
            return False
        host = _normal_host(host)
        if self.wildcard:
            return host.endswith(self.host[1:]) and _ip(host) is None
        return host == self.host

    def matches_path(self, path: str) -> bool:
        """Prefix match on the decoded, dot-segment-free path (what a decoding server serves)."""
        if not self.paths:
            return True
        normal = normal_path(path)
        return any(
            normal.startswith(p) if p.endswith("/") else normal == p or normal.startswith(p + "/")
            for p in self.paths
        )


def normal_path(path: str) -> str:
    """A URL path decoded, without dot segments, trailing slash kept: what a server serves."""
    path = unquote(path or "/")
    normal = "/" + posixpath.normpath(path).lstrip("/") if path.startswith("/") else "/"
    if path.endswith("/") and normal != "/":
        normal += "/"
    return normal


def parse_rule(host: str, paths: Iterable[str] = ()) -> AllowRule:
    """``git.example.com:8443``, ``*.example.com``, ``[::1]:8080``; ValueError if malformed."""
    text = host.strip()
    port: int | None = None
    match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?", text)
    if match:
        name, port_text = match.group(1), match.group(2)
    elif text.count(":") == 1:
        name, port_text = text.split(":")
    else:
        name, port_text = text, None
    if port_text is not None:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"{host!r}: the port must be a number from 1 to 65535")
        port = int(port_text)
    name = _normal_host(name)
    if _ip(name) is None and not _NAME.match(name):
        raise ValueError(f"{host!r} is not a host name, an IP address or a *.domain pattern")
    cleaned: list[str] = []
    for path in paths:
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"{host!r}: path prefix {path!r} must start with /")
        cleaned.append(path)
    return AllowRule(name, port, tuple(cleaned))


def is_public(address: IPAddress) -> bool:
    """Whether ``address`` is on the public internet (IPv4 embedded in IPv6 is judged as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(embedded)
        if address.is_site_local:
            return False
    return address.is_global and not address.is_multicast and not address.is_reserved


class Allowlist:
    """The configured rules; an empty list allows nothing (the default)."""

    def __init__(self, rules: Iterable[AllowRule]) -> None:
        self.rules = tuple(rules)

    @classmethod
    def from_config(cls, entries: Iterable[Mapping[str, Any] | Any]) -> Allowlist:
        """From settings entries (mappings or objects with ``host`` and ``paths``)."""
        rules = []
        for entry in entries:
            if isinstance(entry, Mapping):
                rules.append(parse_rule(entry["host"], entry.get("paths") or ()))
            else:
                rules.append(parse_rule(entry.host, entry.paths or ()))
        return cls(rules)

    def refusal(self, url: str) -> str | None:
        """Why ``url`` may not be read (a reason for people), or None when a rule allows it.

        Decided on the URL's text alone (no DNS, no connection), so saying so reveals only the
        configuration, never what answers on the network. The URL is parsed as httpx (which sends
        the request) parses it, so the check and the request cannot disagree on the host.
        """
        import httpx  # here: descriptor parsing imports this module, and rarely reads URLs

        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError):
            return "not a valid URL"
        if parsed.scheme not in DEFAULT_PORTS or not parsed.raw_host:
            return "not an http(s) URL with a host"
        if parsed.userinfo:
            return "credentials in URLs are not accepted (user:password@host)"
        host = parsed.raw_host.decode("ascii")
        port = parsed.port or DEFAULT_PORTS[parsed.scheme]
        path = parsed.raw_path.decode("ascii").split("?", 1)[0]
        for rule in self.rules:
            if rule.matches_host(host, port, parsed.scheme) and rule.matches_path(path):
                return None
        return (
            "not in the reading allow-list (setting catalog_reading_allow); "
            "an administrator can add its host"
        )

    def permits_address(self, host: str, port: int, address: IPAddress) -> bool:
        """Whether a connection for ``host:port`` may go to ``address`` (checked at connect)."""
        matching = [r for r in self.rules if r.matches_host(host, port)]
        if any(not r.wildcard for r in matching):
            return True
        return bool(matching) and is_public(address)


def reading_allowlist() -> Allowlist:
    """The allow-list from settings (``catalog_reading_allow``)."""
    from pinconsole.settings import get_settings

    return Allowlist.from_config(get_settings().catalog_reading_allow)
