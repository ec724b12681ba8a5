"""E-mail as a side effect: enqueued after commit, sent by the task worker.

A slow or broken mail server never fails the person's request; a failed task stays visible
to admins (django_tasks_db results) and the person can ask for the mail again.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django_tasks import task


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
