"""Test eID provider for demos and development: asserts a chosen level with fake data.

Off unless TEST_EID_ENABLED is set. Every page and every attribute it produces says that it is
a test identity; the default data is the well-known sample of the German identity card.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from ..models import TrustLevel
from . import IdentityProvider, providers

SAMPLE = {
    "given_name": "Erika", "family_name": "Mustermann", "birth_date": "1964-08-12",
    "street": "Heidestraße", "house_number": "17", "postal_code": "51147", "city": "Köln",
}


class TestEidProvider(IdentityProvider):
    key = "test-eid"
    label = "Test-eID (Demo)"
    test_only = "TEST_EID_ENABLED"
    levels = (TrustLevel.SUBSTANZIELL, TrustLevel.HOCH)

    def is_enabled(self) -> bool:
        return bool(getattr(settings, "TEST_EID_ENABLED", False))

    def start(self, request: HttpRequest, level: str) -> HttpResponse:
        return redirect(f"{reverse('accounts:test_eid')}?{urlencode({'level': level})}")


providers.register(TestEidProvider())
