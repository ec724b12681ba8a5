"""A real SAML 2.0 identity provider for the tests: pysaml2's Server behind a WSGI app,
listening on a local port in a thread, with its own key and certificate."""

import base64
import datetime
import re
import shutil
import socket
import threading
import urllib.parse
import zlib
from wsgiref.simple_server import WSGIRequestHandler, make_server

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT
from saml2.server import Server


def keypair(directory, name):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    key_file, cert_file = directory / f"{name}.key", directory / f"{name}.crt"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_file), str(cert_file)


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class SamlIdp:
    """Authenticates one fake person; answers with the level it is told to assert."""

    def __init__(self, directory) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.entity_id = self.base + "/metadata"
        self.key_file, self.cert_file = keypair(directory, "idp")
        self.assert_ref = "STORK-QAA-Level-3"
        self.lifetime = {"minutes": 5}
        self.requested: list[str] = []
        self.sp_metadata = ""
        self.person = {"givenName": ["Erika"], "surname": ["Mustermann"],
                       "dateOfBirth": ["1964-08-12"]}
        self.userid = "erika-bundid"

    def _config(self, with_sp: bool) -> IdPConfig:
        conf = {
            "entityid": self.entity_id, "key_file": self.key_file,
            "cert_file": self.cert_file, "xmlsec_binary": shutil.which("xmlsec1"),
            "service": {"idp": {
                "endpoints": {"single_sign_on_service": [(self.base + "/sso",
                                                          BINDING_HTTP_REDIRECT)]},
                "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                "policy": {"default": {"lifetime": self.lifetime,
                                       "attribute_restrictions": None,
                                       "name_form": NAME_FORMAT_URI}}}},
        }
        if with_sp:
            conf["metadata"] = {"inline": [self.sp_metadata]}
        config = IdPConfig()
        config.load(conf)
        return config

    def metadata(self) -> str:
        return str(entity_descriptor(self._config(with_sp=False)))

    def app(self, environ, start_response):
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        if environ["PATH_INFO"] == "/metadata":
            start_response("200 OK", [("Content-Type", "application/samlmetadata+xml")])
            return [self.metadata().encode()]
        if environ["PATH_INFO"] != "/sso" or "SAMLRequest" not in query:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        server = Server(config=self._config(with_sp=True))
        request = server.parse_authn_request(query["SAMLRequest"][0], BINDING_HTTP_REDIRECT)
        wanted = request.message.requested_authn_context
        self.requested = [r.text for r in wanted.authn_context_class_ref] if wanted else []
        args = server.response_args(request.message)
        response = server.create_authn_response(
            identity=self.person, userid=self.userid,
            authn={"class_ref": self.assert_ref, "authn_auth": self.entity_id},
            sign_assertion=True, **args)
        http = server.apply_binding(BINDING_HTTP_POST, str(response), args["destination"],
                                    query.get("RelayState", [""])[0], response=True)
        start_response("200 OK", [("Content-Type", "text/html")])
        return [http["data"].encode()]

    def start(self) -> None:
        self.httpd = make_server("127.0.0.1", self.port, self.app, handler_class=_Quiet)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()


def form_fields(html: str) -> tuple[str, dict[str, str]]:
    action = re.search(r'action="([^"]+)"', html).group(1)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', html))
    return action, fields


def decode_redirect_request(location: str) -> str:
    data = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["SAMLRequest"][0]
    return zlib.decompress(base64.b64decode(data), -15).decode()
