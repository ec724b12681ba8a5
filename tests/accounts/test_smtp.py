"""E-mail through a real SMTP conversation with a local peer (aiosmtpd) started here."""

import re
import socket

import pytest
from aiosmtpd.controller import Controller

from tests.accounts.conftest import CommitClient

pytestmark = pytest.mark.django_db


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, envelope.rcpt_tos,
                              envelope.content.decode("utf8", "replace")))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_peer(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield inbox
    controller.stop()


def test_confirmation_mail_goes_over_smtp(smtp_peer):
    client = CommitClient()
    client.post("/konto/registrieren/", {
        "email": "smtp@example.org", "password1": "Ein langer Satz als Passwort 7",
        "password2": "Ein langer Satz als Passwort 7", "privacy": "on"})
    assert len(smtp_peer.messages) == 1
    sender, recipients, content = smtp_peer.messages[0]
    assert recipients == ["smtp@example.org"] and "noreply@amtsweg.example" in sender
    assert re.search(r"http://testserver/konto/bestaetigen/\S+/", content.replace("=\n", ""))


def test_broken_mail_server_does_not_break_registration(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    client = CommitClient()
    response = client.post("/konto/registrieren/", {
        "email": "kaputt@example.org", "password1": "Ein langer Satz als Passwort 7",
        "password2": "Ein langer Satz als Passwort 7", "privacy": "on"})
    assert response.status_code == 302
    from amtsweg.accounts.models import User
    assert User.objects.filter(email="kaputt@example.org").exists()
