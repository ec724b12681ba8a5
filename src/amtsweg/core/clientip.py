"""The client's address, the one place that reads REMOTE_ADDR and X-Forwarded-For.

Behind a reverse proxy REMOTE_ADDR is the proxy, so every person would share one throttle
counter; X-Forwarded-For, on the other hand, is typed by whoever sends the request. Only the
hops that our own proxies (``settings.TRUSTED_PROXIES``) appended can be believed, so the list
is walked from the right and the first address that is not a trusted proxy is the client.
A test (tests/core/test_clientip.py) fails when code elsewhere reads either header.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(e, strict=False) for e in entries)


def _parse(value: str) -> Address | None:
    """An address as proxies write it: plain, with a port, or IPv6 in brackets."""
    value = value.strip().strip('"')
    if value.startswith("["):  # [2001:db8::1]:443
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:  # 192.0.2.1:443
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == n.version and address in n for n in networks)


def client_ip(request: HttpRequest) -> str:
    """The address of the person or program behind the request, as a string."""
    remote = _parse(request.META.get("REMOTE_ADDR", "") or "")
    if remote is None:
        return "unknown"
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or not _trusted(remote, networks):
        return str(remote)
    client = remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([h for h in forwarded.split(",") if h.strip()]):
        address = _parse(hop)
        if address is None:
            break  # garbage is never a client: keep the last hop a trusted proxy vouched for
        client = address
        if not _trusted(address, networks):
            break
    return str(client)


def client_key(request: HttpRequest) -> str:
    """The client address for counting: an IPv6 client is counted per /64, the block one
    household or server usually holds, so that rotating addresses within it does not help."""
    address = ipaddress.ip_address(ip) if (ip := client_ip(request)) != "unknown" else None
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return ip


def from_trusted_proxy(request: HttpRequest) -> bool:
    """Whether the request came through one of our own reverse proxies."""
    remote = _parse(request.META.get("REMOTE_ADDR", "") or "")
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    return remote is not None and _trusted(remote, networks)


class ForwardedProtoMiddleware:
    """Django believes ``X-Forwarded-Proto: https`` (SECURE_PROXY_SSL_HEADER) from anybody;
    only our proxies may say that the connection was encrypted. Without this, a client
    talking plain HTTP to a node with ``TRUSTED_PROXIES=none`` could claim TLS and receive
    secure-only cookies over an unencrypted connection. Runs before SecurityMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if "HTTP_X_FORWARDED_PROTO" in request.META and not from_trusted_proxy(request):
            del request.META["HTTP_X_FORWARDED_PROTO"]
        return self.get_response(request)
