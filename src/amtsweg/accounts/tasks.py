"""Background work of the Servicekonto, run by the task worker."""

import logging

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from amtsweg.core import mail

log = logging.getLogger(__name__)


@task()
def tell_login_locked(email: str, everywhere: bool, reset_url: str, language: str) -> None:
    """Tell the holder that wrong passwords locked the login (accounts/throttle.py).

    Queued for every locking address, with an account or without, so that the request costs
    the same either way; only here, in the worker, is the account looked up. The mail does
    not spend the address's mail budget (locks could else use up the holder's reset mails),
    but is left out while that budget is used up."""
    from .models import User

    holder = User.objects.filter(email=email, is_active=True).first()
    if holder is None or not mail.budget_left(email):
        return
    log.warning("login locked user=%s everywhere=%s", holder.pk, everywhere)
    with translation.override(language):
        mail.send_after_commit(
            holder.email, _("Your Servicekonto: login paused after wrong passwords"),
            "accounts/mail/login_locked.txt", {
                "everywhere": everywhere, "reset_url": reset_url,
                "minutes": settings.LOGIN_THROTTLE_WINDOW // 60})
