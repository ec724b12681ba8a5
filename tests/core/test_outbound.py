"""core.outbound: the one way to call a user-configured URL (finding 7 of issue 11, webhook
SSRF). Addresses are checked at registration and again, resolved once, at every call; the
connection goes to the checked address with TLS verified for the host name; no redirects."""

import datetime
import ipaddress
import re
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.utils import translation

from amtsweg.core import outbound

REFUSED = [
    "https://169.254.169.254/latest/meta-data/",  # cloud metadata
    "https://10.1.2.3/hook", "https://172.16.0.1/hook", "https://192.168.1.1/hook",
    "https://127.0.0.1:6379/", "https://localhost/hook", "https://[::1]/hook",
    "https://100.64.0.1/hook",  # CGNAT
    "https://0.0.0.0/hook", "https://[::]/hook", "https://224.0.0.1/hook",
    "https://[ff02::1]/hook", "https://255.255.255.255/hook", "https://240.0.0.1/hook",
    "https://198.18.0.1/hook", "https://192.0.2.1/hook",
    "https://[fe80::1]/hook", "https://[fd00::1]/hook", "https://[fec0::1]/hook",
    "https://[::ffff:127.0.0.1]/hook", "https://[::ffff:10.0.0.1]/hook",  # IPv4-mapped
    "https://[::127.0.0.1]/hook",  # IPv4-compatible
    "https://[64:ff9b::a00:1]/hook",  # NAT64 of 10.0.0.1
    "https://[2002:7f00:1::]/hook",  # 6to4 of 127.0.0.1
    "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook",  # Teredo
    "https://[2001:db8::1]/hook",
    "https://2130706433/hook", "https://0x7f.1/hook", "https://127.1/hook",  # 127.0.0.1
    "https://017700000001/hook",
    # reserved IPv6 outside 2000::/3 that Python's is_global lets through (outside tester)
    "https://[::ffff:0:a9fe:a9fe]/hook", "https://[::ffff:0:0:7f00:1]/hook",
    "https://[1::1]/hook", "https://[400::1]/hook", "https://[4000::1]/hook",
]


@pytest.fixture(autouse=True)
def _strict(settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.WEBHOOK_ALLOWED_NETWORKS = ""
    with translation.override("en"):  # the sentences are asserted in English
        yield


@pytest.mark.parametrize("url", REFUSED)
def test_non_public_addresses_are_refused_at_registration(url):
    with pytest.raises(outbound.OutboundRefused, match="public internet address"):
        outbound.check_url(url)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:6379/", "HTTP://127.0.0.1:6379/", "http://fv.example.org/hook",
    "ftp://fv.example.org/", "gopher://127.0.0.1:6379/_SET", "file:///etc/passwd",
    "//fv.example.org/hook", "fv.example.org/hook",
])
def test_only_https_unless_the_operator_allows_http(url):
    with pytest.raises(outbound.OutboundRefused, match="https://"):
        outbound.check_url(url)


@pytest.mark.parametrize("url", [
    "", "https://", "https:///path", "https://user:pw@fv.example.org/",
    "https://fv.example.org@10.0.0.1/", "https://fv.example.org:0/",
    "https://fv.example.org:99999/", "https://fv.example.org/a b", "https://fv.exa\nmple.org/",
    "https://" + "a" * 600 + ".org/",
])
def test_malformed_urls_are_refused_with_a_sentence(url):
    with pytest.raises(outbound.OutboundRefused) as exc:
        outbound.check_url(url)
    assert str(exc.value).startswith("The webhook URL ")


def test_urls_are_normalised_so_that_check_and_sender_agree(settings, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _resolver({"fv.example.org": "93.184.215.14"}))
    assert outbound.check_url("HTTPS://FV.Example.ORG/Callbacks?x=1") == \
        "https://fv.example.org/Callbacks?x=1"
    assert outbound.check_url("https://fv.example.org:443") == "https://fv.example.org/"
    assert outbound.check_url("https://fv.example.org:8443/h") == "https://fv.example.org:8443/h"
    assert outbound.check_url("https://[2606:4700::1111]/h") == "https://[2606:4700::1111]/h"
    assert outbound.check_url("https://bürgeramt.example.org/") == \
        "https://xn--brgeramt-65a.example.org/"
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_NETWORKS = "127.0.0.0/8"
    assert outbound.check_url("HTTP://127.0.0.1:6379") == "http://127.0.0.1:6379/"


def test_a_name_that_does_not_resolve_yet_is_accepted_and_checked_at_delivery():
    assert outbound.check_url("https://fv.example/hook") == "https://fv.example/hook"


def test_a_name_that_resolves_into_the_local_network_is_refused(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _resolver(
        {"intern.example.org": ["93.184.215.14", "10.0.0.7"]}))
    with pytest.raises(outbound.OutboundRefused, match=r"10\.0\.0\.7 is not one"):
        outbound.check_url("https://intern.example.org/hook")


def test_nat64_of_a_public_address_is_allowed():
    for address in ("64:ff9b::808:808", "2606:4700::1111", "8.8.8.8"):
        assert not outbound.refused(ipaddress.ip_address(address))


def test_allowed_networks_are_the_operators_explicit_exception(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = "10.20.0.0/16, fd00:1::/64"
    assert outbound.check_url("https://10.20.3.4/hook") == "https://10.20.3.4/hook"
    assert outbound.check_url("https://[fd00:1::5]/hook")
    with pytest.raises(outbound.OutboundRefused):
        outbound.check_url("https://10.21.0.1/hook")


# --- calls ----------------------------------------------------------------------------------


def _resolver(names: dict):
    """getaddrinfo for invented names (and the real one for everything else), counting."""
    real = socket.getaddrinfo
    calls: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        calls.append(host)
        if host in names:
            found = names[host] if isinstance(names[host], list) else [names[host]]
            return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM,
                     socket.IPPROTO_TCP, "", (a, port)) for a in found]
        return real(host, port, *args, **kwargs)

    getaddrinfo.calls = calls
    return getaddrinfo


class Receiver:
    """A local HTTP(S) server that records requests and answers with `status` (and a
    Location header for redirects)."""

    def __init__(self, status: int = 200, location: str = "", tls: ssl.SSLContext | None = None):
        self.requests: list[tuple[str, dict, bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                outer.requests.append((self.command, dict(self.headers.items()),
                                       self.rfile.read(length)))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_GET = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_a_redirect_is_returned_not_followed(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_NETWORKS = "127.0.0.0/8"
    with Receiver() as internal, Receiver(302, f"http://127.0.0.1:{internal.port}/") as hook:
        answer = outbound.post(f"http://127.0.0.1:{hook.port}/hook", b"{}", {})
    assert answer.status == 302
    assert len(hook.requests) == 1 and internal.requests == []


def test_the_host_is_resolved_once_and_the_checked_address_is_called(settings, monkeypatch):
    """DNS rebinding: a name that resolves to a public address for the check and to an
    internal one a moment later must not reach the internal one."""
    settings.WEBHOOK_ALLOW_HTTP = True
    answers = iter(["93.184.215.14", "127.0.0.1"])
    real = socket.getaddrinfo
    calls = []

    def rebinding(host, port, *args, **kwargs):
        if host != "rebind.example.org":
            return real(host, port, *args, **kwargs)
        calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "",
                 (next(answers), port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    connected = []
    monkeypatch.setattr(socket, "create_connection",
                        lambda address, *a, **k: connected.append(address) or _refuse())
    with Receiver() as internal:
        with pytest.raises(OSError):
            outbound.post(f"http://rebind.example.org:{internal.port}/hook", b"{}", {})
    assert calls == ["rebind.example.org"]  # one lookup
    assert connected == [("93.184.215.14", internal.port)]  # to the checked address
    assert internal.requests == []


def _refuse():
    raise ConnectionRefusedError("refused in the test")


def test_a_name_that_resolves_to_loopback_at_delivery_is_refused(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _resolver({"fv.example.org": "127.0.0.1"}))
    with Receiver() as receiver:
        with pytest.raises(outbound.OutboundRefused, match=r"127\.0\.0\.1"):
            outbound.post(f"https://fv.example.org:{receiver.port}/hook", b"{}", {})
    assert receiver.requests == []


def test_https_connects_to_the_pinned_address_with_sni_and_verifies_the_name(
        settings, monkeypatch, tmp_path):
    settings.WEBHOOK_ALLOWED_NETWORKS = "127.0.0.0/8"
    ca_context, server_context = _tls_pair(tmp_path, "fv.example.org")
    monkeypatch.setattr(outbound, "_tls_context", lambda: ca_context)
    resolver = _resolver({"fv.example.org": "127.0.0.1", "other.example.org": "127.0.0.1"})
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    seen_sni = []
    server_context.sni_callback = lambda sock, name, ctx: seen_sni.append(name)
    with Receiver(204, tls=server_context) as receiver:
        answer = outbound.post(f"https://fv.example.org:{receiver.port}/hook", b'{"a":1}',
                               {"Content-Type": "application/json"})
        assert (answer.status, answer.address) == (204, "127.0.0.1")
        assert seen_sni == ["fv.example.org"]
        method, headers, body = receiver.requests[0]
        assert (method, body) == ("POST", b'{"a":1}')
        assert headers["Host"] == f"fv.example.org:{receiver.port}"
        # the certificate names fv.example.org: another name on the same address fails
        with pytest.raises(ssl.SSLCertVerificationError):
            outbound.post(f"https://other.example.org:{receiver.port}/hook", b"{}", {})
    names = [host for host in resolver.calls if not host[0].isdigit()]  # not the literals
    assert names == ["fv.example.org", "other.example.org"]  # once each


def test_a_silent_receiver_is_given_up_after_the_read_timeout(settings, monkeypatch):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_NETWORKS = "127.0.0.0/8"
    monkeypatch.setattr(outbound, "READ_TIMEOUT", 0.3)
    silent = socket.create_server(("127.0.0.1", 0))
    try:
        with pytest.raises(TimeoutError):
            outbound.post(f"http://127.0.0.1:{silent.getsockname()[1]}/", b"{}", {})
    finally:
        silent.close()


def test_a_dripping_receiver_is_cut_off_at_the_total_timeout(settings, monkeypatch):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_NETWORKS = "127.0.0.0/8"
    monkeypatch.setattr(outbound, "TOTAL_TIMEOUT", 0.6)
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip():
        conn, _ = server.accept()
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        while not stop.wait(0.1):
            try:
                conn.sendall(b"X-Drip: 1\r\n")
            except OSError:
                break
        conn.close()

    threading.Thread(target=drip, daemon=True).start()
    try:
        with pytest.raises(TimeoutError, match="no answer within"):
            outbound.post(f"http://127.0.0.1:{server.getsockname()[1]}/", b"{}", {})
    finally:
        stop.set()
        server.close()


def _tls_pair(tmp_path: Path, name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A throwaway CA and a server certificate for `name`."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(1)
          .not_valid_before(now - datetime.timedelta(hours=1))
          .not_valid_after(now + datetime.timedelta(hours=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    client = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return client, server


# --- the mechanism --------------------------------------------------------------------------

# Modules that may use an HTTP client directly, and why. Anything that calls an address a
# user can configure must go through core.outbound instead.
KNOWN_HTTP_CALLERS = {
    "core/outbound.py": "the helper itself",
    # The OpenID Connect issuer is configured by the operator (IDENTITY_OIDC_PROVIDERS),
    # never by a user, and may legitimately be an internal address.
    "accounts/identity/oidc.py": "operator-configured identity provider",
}
HTTP_CLIENT = re.compile(
    r"\b(import requests|from requests|requests\.(get|post|put|patch|delete|request|Session)"
    r"|import httpx|from httpx|urllib\.request|urlopen|import http\.client|from http\.client"
    r"|http\.client\.|OAuth2Session|aiohttp|pycurl|urllib3|create_connection)\b")


def test_no_other_module_calls_http_clients():
    """A new module that sends HTTP requests must use core.outbound (or, for an address
    only the operator configures, be listed above with its reason)."""
    src = Path(outbound.__file__).parents[1]
    callers = {str(path.relative_to(src)) for path in src.rglob("*.py")
               if HTTP_CLIENT.search(path.read_text())}
    assert callers == set(KNOWN_HTTP_CALLERS), (
        "call user-configured URLs through amtsweg.core.outbound")
    # webhooks only catch the helper's errors; they never open connections themselves
    webhooks = (src / "api/webhooks.py").read_text()
    assert "outbound.post(" in webhooks
    assert not re.search(r"urllib\.request|urlopen|requests\.|httpx|create_connection",
                         webhooks)
