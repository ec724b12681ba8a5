"""The one way to call an address that a user configured (webhook URLs of API clients).

Such a URL is attacker-controlled input: it must not make the platform's worker call its own
network (cloud metadata at 169.254.169.254, Redis on 127.0.0.1:6379, a Kommune's intranet).
So the address is checked twice, with the same parser:

- when it is registered (:func:`check_url`), for a clear sentence to the person;
- when it is called (:func:`post`): the host is resolved once, every address it resolves to
  must be public, and the connection goes to that checked address (no second DNS lookup
  between check and connect, which DNS rebinding would exploit). TLS still verifies the
  certificate against the host name and sends it as SNI.

Redirects are never followed (a 3xx is an answer like any other, the caller treats it as a
failure); connect, read and total time are bounded. Plain http and non-public networks are
refused unless the operator allows them explicitly (WEBHOOK_ALLOW_HTTP,
WEBHOOK_ALLOWED_NETWORKS, see docs/operations.md). Proxies from the environment are not
used: a proxy would resolve the host again, out of reach of the check.

tests/core/test_outbound.py fails when other code in src starts calling HTTP clients.
"""

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.utils.translation import gettext as _

CONNECT_TIMEOUT = 5.0  # seconds to establish TCP (and TLS) with one address
READ_TIMEOUT = 10.0  # seconds of silence while waiting for the answer
TOTAL_TIMEOUT = 20.0  # seconds for the whole exchange, against a receiver that drips bytes
MAX_URL = 500  # the length of ApiClient.webhook_url

IP = ipaddress.IPv4Address | ipaddress.IPv6Address

# Not reachable from the internet, or not meant to be called: refused whatever Python's
# `is_global` says (its tables differ between versions; 3.11 calls multicast global).
_REFUSED = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    "::/96",  # unspecified, loopback and the deprecated IPv4-compatible addresses
    "::ffff:0:0/96",  # IPv4-mapped: the kernel would connect to the IPv4 address
    "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32",
    "2002::/16",  # 6to4 (deprecated, RFC 7526): may embed any IPv4 address
    "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # DNS64 gives public IPv4 hosts these names
# IANA assigns global unicast IPv6 only from 2000::/3; everything outside it is reserved or
# special-purpose (Python's is_global calls some of it global, e.g. ::ffff:0:a9fe:a9fe, 400::1).
_IPV6_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")


class OutboundRefused(ValueError):
    """The URL or the address it resolves to may not be called. From parse() and
    check_url() the message is a sentence for the person; from resolve() and post() it names
    the refused `address` in English, for the delivery log."""

    def __init__(self, message: str, address: str = "") -> None:
        super().__init__(message)
        self.address = address


class OutboundError(OSError):
    """The receiver answered with something that is not HTTP."""


@dataclass(frozen=True)
class Target:
    url: str  # normalised: scheme and host in lower case
    scheme: str
    host: str  # ASCII (IDNA) host name or IP literal, without brackets
    port: int
    path: str  # path and query, at least "/"


@dataclass(frozen=True)
class Answer:
    status: int
    address: str  # the address that answered


def allow_http() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_HTTP", False))


@cache
def _allowed_networks(value: str) -> tuple:
    return tuple(ipaddress.ip_network(n.strip(), strict=False)
                 for n in value.split(",") if n.strip())


def allowed_networks() -> tuple:
    """WEBHOOK_ALLOWED_NETWORKS: networks the operator allows although they are not public
    (a Fachverfahren in the Kommune's data centre; the tests' local receiver)."""
    return _allowed_networks(str(getattr(settings, "WEBHOOK_ALLOWED_NETWORKS", "") or ""))


def refused(address: IP) -> bool:
    """Whether this address may not be called. Allowed networks win."""
    if any(address in net for net in allowed_networks() if net.version == address.version):
        return False
    if address.version == 6 and address in _NAT64:
        return refused(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.version == 6 and address not in _IPV6_GLOBAL_UNICAST:
        return True
    return (any(address in net for net in _REFUSED if net.version == address.version)
            or not address.is_global or address.is_multicast or address.is_reserved)


def _literal(host: str) -> IP | None:
    """An IP address written in the host, including the legacy IPv4 spellings that
    resolvers accept ("2130706433", "0x7f.1", "127.1")."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def parse(url: str) -> Target:
    """Normalise and check the form of a URL (no network access). Used at registration and
    again before every call, so the two can never disagree (`HTTP://` is `http://`)."""
    url = (url or "").strip()
    if not url or len(url) > MAX_URL or any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise OutboundRefused(_("The webhook URL is not a valid address."))
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname or ""
    except ValueError:
        raise OutboundRefused(_("The webhook URL is not a valid address.")) from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or (scheme == "http" and not allow_http()):
        raise OutboundRefused(_("The webhook URL must be an https:// address."))
    if parts.username is not None or parts.password is not None:
        raise OutboundRefused(_("The webhook URL must not contain a user name or password."))
    host = host.rstrip(".")
    if not host or port == 0:
        raise OutboundRefused(_("The webhook URL is not a valid address."))
    if _literal(host) is None:
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise OutboundRefused(_("The webhook URL is not a valid address.")) from None
    port = port or (443 if scheme == "https" else 80)
    netloc = f"[{host}]" if ":" in host else host
    if port != (443 if scheme == "https" else 80):
        netloc += f":{port}"
    path = parts.path or "/"
    normalised = urlunsplit((scheme, netloc, path, parts.query, ""))
    return Target(normalised, scheme, host, port,
                  path + (f"?{parts.query}" if parts.query else ""))


def check_url(url: str) -> str:
    """At registration: the normalised URL, or OutboundRefused with a sentence. A host name
    that resolves now to a non-public address is refused; one that does not resolve yet is
    accepted (it is resolved and checked again at every call)."""
    target = parse(url)
    try:
        resolve(target)
    except OutboundRefused as exc:
        raise OutboundRefused(_("The webhook URL must point to a public internet address; "
                                "%(address)s is not one.") % {"address": exc.address},
                              exc.address) from None
    except OSError:
        pass
    return target.url


def resolve(target: Target) -> list[str]:
    """Every address of the host, checked; one refused address refuses the host (a name that
    also points into the local network is not used at all). OSError when it does not
    resolve."""
    literal = _literal(target.host)
    if literal is not None:
        addresses = [literal]
    else:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM,
                                   proto=socket.IPPROTO_TCP)
        addresses = list(dict.fromkeys(
            ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos))
    for address in addresses:
        if refused(address):
            raise OutboundRefused(f"{address} is not a public internet address", str(address))
    if not addresses:
        raise OSError(f"{target.host} has no address")
    return [str(a) for a in addresses]


def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def _connection(target: Target, address: str) -> http.client.HTTPConnection:
    """A connection to `address` that speaks to `target.host` (Host header, SNI, certificate
    check) without resolving the host again."""
    if target.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            target.host, target.port, timeout=READ_TIMEOUT, context=_tls_context())
    else:
        conn = http.client.HTTPConnection(target.host, target.port, timeout=READ_TIMEOUT)

    def pinned(_address, _timeout=None, source_address=None):
        sock = socket.create_connection((address, target.port), CONNECT_TIMEOUT,
                                        source_address)
        sock.settimeout(READ_TIMEOUT)
        conn._watched = sock.dup()  # survives TLS wrapping, for the watchdog
        return sock

    conn._create_connection = pinned
    return conn


def _stop(conn: http.client.HTTPConnection) -> None:
    """The watchdog: shutting the socket down wakes a thread blocked reading it (closing
    the file descriptor would not)."""
    watched = getattr(conn, "_watched", None)
    if watched is not None:
        try:
            watched.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to a user-configured URL and return the status, never following a
    redirect. OutboundRefused when the URL or its address may not be called; OSError
    (TimeoutError, OutboundError, ...) when no answer came in time."""
    target = parse(url)
    addresses = resolve(target)
    deadline = time.monotonic() + TOTAL_TIMEOUT
    error: Exception = OSError(f"{target.host}: no address answered")
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        conn = _connection(target, address)
        watchdog = threading.Timer(remaining, _stop, args=(conn,))
        watchdog.daemon = True
        watchdog.start()
        try:
            try:
                conn.connect()
            except OSError as exc:
                error = exc  # this address does not answer; the next one may
                continue
            conn.request("POST", target.path, body=body,
                         headers={**headers, "Connection": "close"})
            status = conn.getresponse().status
            if time.monotonic() >= deadline:  # cut off by the watchdog mid-answer
                raise TimeoutError(f"{target.host}: no answer within {TOTAL_TIMEOUT:g} s")
            return Answer(status, address)
        except (OSError, http.client.HTTPException) as exc:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{target.host}: no answer within {TOTAL_TIMEOUT:g} s") \
                    from exc
            if isinstance(exc, http.client.HTTPException):
                raise OutboundError(f"{target.host}: {exc!r}") from exc
            raise
        finally:
            watchdog.cancel()
            conn.close()
            if getattr(conn, "_watched", None) is not None:
                conn._watched.close()
    raise error
