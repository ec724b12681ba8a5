"""Shared set-up of the Fachverfahren API tests (test_fachverfahren, test_webhooks): a small
service at a Standesamt, submissions by a guest and by an account holder, API clients."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from amtsweg.api import clients
from amtsweg.submissions import actions as submit_actions
from amtsweg.submissions.models import Submission
from amtsweg.territory.models import Authority
from tests.submissions.conftest import make_small_service

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
ANSWERS = {"vorname": "Erika", "familienname": "Mustermann", "zweck": "rente", "anzahl": "2"}


@pytest.fixture
def standesamt(db) -> Authority:
    return Authority.objects.get(area__ags="06635001", kind=Authority.Kind.STANDESAMT)


@pytest.fixture
def other_authority(standesamt) -> Authority:
    return Authority.objects.exclude(pk=standesamt.pk).filter(is_demo=True).first()


@pytest.fixture
def adoption(standesamt):
    return make_small_service(standesamt)


@pytest.fixture
def citizen(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user("buerger@example.org", "x" * 14)


def submit(adoption, user=None, answers=None, attach: bool = False) -> Submission:
    draft, _token = submit_actions.start(adoption=adoption, area=adoption.authority.area,
                                         user=user, trust_level="basis",
                                         guest_email="" if user else "erika@example.org")
    draft.set_content(answers=dict(answers or ANSWERS))
    draft.save()
    submission = submit_actions.submit(draft.pk, user=user, accepted=True)
    if attach:
        item = {"file": {}, "label": {"de": "Nachweis"}}
        submit_actions.store_upload(submission, "nachweis", item,
                                    SimpleUploadedFile("nachweis.pdf", PDF), 0)
    return submission


def make_client(authority, name="Fachverfahren", **kwargs) -> tuple[object, str]:
    made = clients.create(authority=authority, name=name, **kwargs)
    return made.client, made.token


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}
