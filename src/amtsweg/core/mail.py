"""E-mail as a side effect: enqueued after commit, sent by the task worker.

A slow or broken mail server never fails the person's request; a failed task stays visible
to admins (django_tasks_db results) and the person can ask for the mail again.

Mail to an address that a person typed (registration, password reset, a new confirmation
link, invitations) is counted first with :func:`count_typed_address`, per target address and
per client (distinct addresses), so nobody can make the platform flood a stranger's mailbox.
Every call site of the senders below is listed in tests/core/test_mail_throttle.py with the
reason it needs no count or the count it makes.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy
from django_tasks import task

from . import clientip, throttle

TOO_MANY_MAILS = gettext_lazy("Too many e-mails were asked for to this address or from your "
                              "connection. Please try again in an hour.")


class TooManyMails(Exception):
    """The limit of mails to this address, or from this client, is used up for now."""


def count_typed_address(request: HttpRequest | None, address: str) -> None:
    """Count one mail request for a typed address, whether a mail goes out or not (so the
    answer is the same for addresses with and without an account).

    Per target address every request counts (``MAIL_THROTTLE_PER_ADDRESS``). Per client the
    distinct addresses count (``MAIL_THROTTLE_PER_CLIENT``): a Bürgerbüro where many citizens
    register behind one address, each asking for a new link now and then, is not stopped by
    its own repeats, while a client spraying strangers' mailboxes still is."""
    window = settings.MAIL_THROTTLE_WINDOW
    per_address = throttle.hit(throttle.key("mail-address", address), window).used
    if request is not None:
        client = clientip.client_key(request)
        # the addresses this client was let through once; a refused one is not among them
        admitted = throttle.key("mail-pair", f"{client}|{address.strip().lower()}")
        if not throttle.peek(admitted):
            if (throttle.hit(throttle.key("mail-client", client), window).used
                    > settings.MAIL_THROTTLE_PER_CLIENT):
                raise TooManyMails
            throttle.hit(admitted, window)
    if per_address > settings.MAIL_THROTTLE_PER_ADDRESS:
        raise TooManyMails


def budget_left(address: str) -> bool:
    """Whether mails to this address are still within its limit, without counting one (for
    notices to an account's own address that a stranger's actions set off)."""
    return (throttle.peek(throttle.key("mail-address", address))
            < settings.MAIL_THROTTLE_PER_ADDRESS)


@task()
def send_email(to: str, subject: str, body: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)


def queue_email(to: str, subject: str, body: str) -> None:
    """Send once the transaction has committed (never for a rolled-back change)."""
    subject = "".join(str(subject).splitlines())
    transaction.on_commit(lambda: send_email.enqueue(to, subject, body))


def send_after_commit(to: str, subject: str, template: str, context: dict) -> None:
    """Render now, in the person's language; send after commit."""
    queue_email(to, subject, render_to_string(template, context))
