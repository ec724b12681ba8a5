"""Background work of applying online, run by the task worker after commit."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from amtsweg.jobs import reliable

from . import signals


@reliable(max_attempts=8)
def submission_received(submission_id: str) -> None:
    """The outbox entry of a submission, stored in the submit transaction, so it exists
    exactly when the submission does. Runs at least once: the receivers (the back office
    opens its case) are idempotent; the confirmation e-mail goes last, after they succeeded."""
    signals.received.send(sender=None, submission_id=submission_id)
    send_confirmation(submission_id)


def send_confirmation(submission_id: str) -> None:
    """The confirmation e-mail of a submission, in the language the applicant used."""
    from .models import Submission

    submission = (Submission.objects.select_related("adoption__service", "authority")
                  .get(pk=submission_id))
    email = submission.content.get("email", "")
    if not email:
        return
    site = settings.SITE_URL.rstrip("/")
    with translation.override(submission.lang):
        url = site + (reverse("submissions:account_list") if submission.user_id else "/")
        subject = _("Your application %(number)s was received") % {
            "number": submission.receipt_number}
        body = render_to_string("submissions/email/confirmation.txt", {
            "submission": submission, "service": submission.adoption.service.title_text,
            "authority": submission.authority, "url": url})
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email], fail_silently=False)
