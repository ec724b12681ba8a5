from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "amtsweg.accounts"
    label = "accounts"
    verbose_name = _("Servicekonto")

    def ready(self) -> None:
        from . import actions, organisations  # noqa: F401 - connect their signal receivers
        from .identity import oidc, testeid  # noqa: F401 - registers the test eID

        oidc.OidcIdentityProvider.register_configured()
        if settings.IDENTITY_SAML_PROVIDERS:  # pysaml2 is loaded only when SAML is configured
            from .identity import saml

            saml.SamlIdentityProvider.register_configured()
