"""Background work of applying online, run by the task worker after commit."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task


@task()
def send_confirmation(submission_id: str) -> None:
    """The confirmation e-mail of a submission, in the language the applicant used. Enqueued
    in the submit transaction, so it exists exactly when the submission does."""
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
