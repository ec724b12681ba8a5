"""Issue 11, finding 6: the client address comes from trusted proxies only, and nothing but
`core.clientip` reads REMOTE_ADDR or X-Forwarded-For."""

import ast
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

import amtsweg
from amtsweg.core.clientip import client_ip, client_key
from amtsweg.settings import _trusted_proxies

rf = RequestFactory()


def ip(remote: str, forwarded: str | None = None) -> str:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_ip(rf.get("/", REMOTE_ADDR=remote, **extra))


def test_without_proxy_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert ip("198.51.100.7", "203.0.113.9") == "198.51.100.7"


def test_behind_a_trusted_proxy_the_hop_it_appended_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.10"]
    assert ip("10.0.0.5", "203.0.113.9") == "203.0.113.9"
    # a client that sends its own header cannot choose its address: the proxy appends
    assert ip("10.0.0.5", "1.2.3.4, 203.0.113.9") == "203.0.113.9"
    # two proxies in a row
    assert ip("10.0.0.5", "1.2.3.4, 203.0.113.9, 192.0.2.10") == "203.0.113.9"
    # a request that does not come from the proxy keeps its own address
    assert ip("198.51.100.7", "203.0.113.9") == "198.51.100.7"
    # ports, brackets, IPv4-mapped IPv6
    assert ip("10.0.0.5", "203.0.113.9:51234") == "203.0.113.9"
    assert ip("10.0.0.5", "[2001:db8::1]:443") == "2001:db8::1"
    assert ip("::ffff:10.0.0.5", "::ffff:203.0.113.9") == "203.0.113.9"
    # garbage right of the client is never taken as the client
    assert ip("10.0.0.5", "203.0.113.9, not-an-address") == "10.0.0.5"
    assert ip("10.0.0.5", "") == "10.0.0.5"


def test_ipv6_clients_are_counted_per_64(settings):
    settings.TRUSTED_PROXIES = []
    one = client_key(rf.get("/", REMOTE_ADDR="2001:db8:1:2::1"))
    other = client_key(rf.get("/", REMOTE_ADDR="2001:db8:1:2:ffff::9"))
    assert one == other == "2001:db8:1:2::/64"
    assert client_key(rf.get("/", REMOTE_ADDR="192.0.2.1")) == "192.0.2.1"


def test_trusted_proxies_setting():
    assert _trusted_proxies(None) == []
    assert _trusted_proxies("") == []
    assert _trusted_proxies("none") == []
    assert _trusted_proxies(" 10.0.0.0/8 , 192.0.2.1,::1") == ["10.0.0.0/8", "192.0.2.1/32",
                                                                "::1/128"]
    with pytest.raises(ImproperlyConfigured):
        _trusted_proxies("10.0.0.0/8, proxy.example")


HEADERS = ("REMOTE_ADDR", "X_FORWARDED_FOR", "X-FORWARDED-FOR")


def test_nothing_else_reads_the_client_address():
    """A new feature that reads REMOTE_ADDR or X-Forwarded-For itself would trust a typed
    header or count every person behind the proxy as one: use core.clientip instead."""
    root = Path(amtsweg.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if path == root / "core" / "clientip.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and any(
                    h in node.value.upper() for h in HEADERS):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert not offenders, offenders


def test_only_our_proxies_may_say_the_connection_was_encrypted(settings):
    """Outside tester: with SECURE_PROXY_SSL_HEADER, Django believed X-Forwarded-Proto from
    any client (TRUSTED_PROXIES=none and HTTPS=true: secure cookies over plain HTTP)."""
    from django.test import RequestFactory

    from amtsweg.core.clientip import ForwardedProtoMiddleware

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    seen = {}

    def view(request):
        seen["secure"] = request.is_secure()
        return None

    middleware = ForwardedProtoMiddleware(view)
    factory = RequestFactory()
    middleware(factory.get("/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_PROTO="https"))
    assert seen["secure"] is False
    middleware(factory.get("/", REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_PROTO="https"))
    assert seen["secure"] is True
    settings.TRUSTED_PROXIES = []  # "none": clients connect directly
    middleware(factory.get("/", REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_PROTO="https"))
    assert seen["secure"] is False


def test_the_forwarded_proto_guard_runs_before_django_reads_the_scheme(settings):
    order = settings.MIDDLEWARE
    assert order.index("amtsweg.core.clientip.ForwardedProtoMiddleware") == 0
