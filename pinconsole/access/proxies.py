"""Which reverse proxies are trusted, and what their headers may tell us.

A request's own peer address is the only thing a client cannot forge. ``X-Forwarded-For`` and
the header-mode user header are believed only when that peer is one of ``trusted_proxies``
(addresses or CIDR networks in settings): anyone else who reaches the backend could send them.
The websocket (``state/base.py``), the REST API (``api/deps.py``) and the sign-in lockout all
ask this one module.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from functools import lru_cache

from pinconsole.errors import Invalid
from pinconsole.settings import get_settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# A user name from a proxy is short; anything longer is an attack or a broken proxy.
MAX_USER_HEADER = 256


@lru_cache(maxsize=8)
def parse_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """The networks of ``trusted_proxies`` entries ("10.0.0.5", "10.0.0.0/8", "::1")."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise Invalid(
                f"{entry!r} is not an IP address or CIDR network", where="trusted_proxies"
            ) from None
    return tuple(networks)


def _address(text: str) -> Address | None:
    """The IP address in ``text`` (an IPv4-mapped IPv6 address as IPv4), ``None`` if none."""
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[::1]:443" as some proxies write it
        text = text[1 : text.index("]")]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(networks: Iterable[str] | None) -> tuple[Network, ...]:
    entries = get_settings().trusted_proxies if networks is None else networks
    return parse_networks(tuple(entries))


def is_trusted_proxy(peer: str, networks: Iterable[str] | None = None) -> bool:
    """Whether ``peer`` (an address as the server saw it) is a configured proxy."""
    return _in(peer, _trusted(networks))


def client_address(
    peer: str, forwarded_for: str = "", networks: Iterable[str] | None = None
) -> str:
    """The client behind the configured proxies.

    ``forwarded_for`` is the request's ``X-Forwarded-For``; it is walked from the right (each
    proxy appends the address it saw), stopping at the first hop that is no trusted proxy. A
    peer that is no trusted proxy is the client itself, whatever the header says.
    """
    trusted = _trusted(networks)
    if not _in(peer, trusted):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    client = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:  # garbage left of the last trusted hop: stop at what we know
            break
        client = str(address)
        if not _in(client, trusted):
            break
    return client


def _in(peer: str, trusted: tuple[Network, ...]) -> bool:
    address = _address(peer)
    return address is not None and any(address in n for n in trusted)


def proxy_user(peer: str, headers: Mapping[str, str], networks: Iterable[str] | None = None) -> str:
    """The user the trusted proxy names in ``settings.auth_header``; "" when it names nobody
    or the request did not come from a trusted proxy (a client's own header is ignored).

    ``headers`` is looked up with the header's lower-case name (ASGI and Reflex headers are).
    Raises ``Invalid`` for a value over ``MAX_USER_HEADER`` characters.
    """
    name = get_settings().auth_header
    if not is_trusted_proxy(peer, networks):
        return ""
    value = (headers.get(name.lower()) or "").strip()
    if len(value) > MAX_USER_HEADER:
        raise Invalid(
            f"the proxy's {name} header is {len(value)} characters long; at most "
            f"{MAX_USER_HEADER} are accepted",
            where=name,
        )
    return value
