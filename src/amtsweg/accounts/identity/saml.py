"""SAML 2.0 identity provider plugin (the protocol of BundID).

The platform is the service provider: it sends an AuthnRequest with the requested level as
STORK-QAA authentication context (HTTP-Redirect) and receives a signed assertion (HTTP-POST).
pysaml2 checks signature, audience, validity window and InResponseTo; signing and
verification use Debian's xmlsec1.
"""

import datetime
import shutil

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import AuthnContextClassRef
from saml2.samlp import RequestedAuthnContext

from ..models import TrustLevel
from . import Assertion, ConfiguredProvider, IdentityError

STORK = {TrustLevel.SUBSTANZIELL: "STORK-QAA-Level-3", TrustLevel.HOCH: "STORK-QAA-Level-4"}
ATTRIBUTES = {"givenName": "given_name", "surname": "family_name", "birthdate": "birth_date",
              "dateOfBirth": "birth_date", "postalCode": "postal_code", "localityName": "city",
              "street": "street"}


def _sp_keypair() -> tuple[str, str]:
    """The service provider's signing/encryption key, generated once into var/."""
    key_path, cert_path = settings.VAR_DIR / "saml_sp.key", settings.VAR_DIR / "saml_sp.crt"
    if not key_path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Amtsweg SAML SP")])
        now = datetime.datetime.now(datetime.UTC)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=3 * 365))
                .sign(key, hashes.SHA256()))
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        key_path.chmod(0o600)
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_path), str(cert_path)


class SamlIdentityProvider(ConfiguredProvider):
    SETTING = "IDENTITY_SAML_PROVIDERS"

    def _entity_id(self) -> str:
        return settings.SITE_URL + reverse("accounts:saml_metadata", args=[self.key])

    def _sp_config(self, with_idp: bool = True) -> SPConfig:
        key_file, cert_file = _sp_keypair()
        acs = settings.SITE_URL + reverse("accounts:saml_acs", args=[self.key])
        conf = {
            "entityid": self._entity_id(), "key_file": key_file, "cert_file": cert_file,
            "xmlsec_binary": shutil.which("xmlsec1"),
            "allow_unknown_attributes": True,
            "service": {"sp": {
                "endpoints": {"assertion_consumer_service": [(acs, BINDING_HTTP_POST)]},
                "want_assertions_signed": True, "want_response_signed": False,
                "authn_requests_signed": False, "allow_unsolicited": False}},
        }
        if with_idp:
            conf["metadata"] = {"inline": [self.config["idp_metadata"]]}
        sp = SPConfig()
        sp.load(conf)
        return sp

    def metadata_xml(self) -> str:
        return str(entity_descriptor(self._sp_config(with_idp=False)))

    def start(self, request: HttpRequest, level: str) -> HttpResponse:
        client = Saml2Client(self._sp_config())
        wanted = RequestedAuthnContext(
            authn_context_class_ref=[AuthnContextClassRef(STORK[level])], comparison="minimum")
        request_id, info = client.prepare_for_authenticate(
            entityid=self.config["idp_entity_id"], binding=BINDING_HTTP_REDIRECT,
            requested_authn_context=wanted)
        request.session[f"saml:{self.key}"] = {"id": request_id, "level": level}
        return HttpResponseRedirect(dict(info["headers"])["Location"])

    def finish_response(self, request: HttpRequest, saml_response: str) -> Assertion:
        pending = request.session.pop(f"saml:{self.key}", None)
        if not pending:
            raise IdentityError("state")
        client = Saml2Client(self._sp_config())
        try:
            parsed = client.parse_authn_request_response(
                saml_response, BINDING_HTTP_POST, outstanding={pending["id"]: "/"})
        except Exception as exc:  # pysaml2 raises many kinds for forged or stale answers
            raise IdentityError("token") from exc
        if parsed is None:
            raise IdentityError("token")
        refs = [ref for ref, *_ in parsed.authn_info()]
        by_ref = {v: k for k, v in STORK.items()}
        levels = [by_ref[r] for r in refs if r in by_ref]
        level = max(levels, key=TrustLevel.rank) if levels else None
        if level is None or TrustLevel.rank(level) < TrustLevel.rank(pending["level"]):
            raise IdentityError("level")
        attributes = {ours: values[0] for theirs, ours in ATTRIBUTES.items()
                      if (values := parsed.get_identity().get(theirs))}
        return Assertion(self.key, parsed.name_id.text, level, attributes)

