"""Who sent this request: the one address every limit and log here counts by.

A client can put anything in ``X-Forwarded-For`` or ``X-Real-IP``; only a
proxy we run may be believed. So the address of the connection
(``REMOTE_ADDR``, which Daphne takes from the socket: ``serve`` does not pass
``--proxy-headers``) is the client, unless it is one of ``TRUSTED_PROXIES``.
Then ``X-Forwarded-For`` is read from the right, the end our proxy wrote,
skipping hops that are themselves trusted proxies; the first other hop is the
client. nginx (deploy/nginx) overwrites the header with ``$remote_addr``, so
whatever the client sent never reaches us; with a CDN in front that appends,
the right-most untrusted hop is still the one that connected to it.

The embedded default has no proxy (``TRUSTED_PROXIES`` empty): forwarded
headers are ignored entirely.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

# What a request without a usable address counts as: still a valid address, so
# a limit keyed on it is shared (strict) rather than skipped.
UNKNOWN = "0.0.0.0"  # noqa: S104 - a value, never bound to


def _parse(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = (value or "").strip()
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # 203.0.113.5:443
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _trusted(address) -> bool:
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))
    return any(address.version == net.version and address in net for net in networks)


def client_ip(request: HttpRequest) -> str:
    """The client's address as a valid IP string; never a value the client chose."""
    peer = _parse(request.META.get("REMOTE_ADDR"))
    if peer is None:
        return UNKNOWN
    if not _trusted(peer):
        return str(peer)
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if not hops and request.META.get("HTTP_X_REAL_IP"):
        hops = [request.META["HTTP_X_REAL_IP"]]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            # Our proxy wrote something that is not an address: believe nothing
            # further left, count the proxy itself.
            break
        if not _trusted(address):
            return str(address)
        peer = address
    return str(peer)
