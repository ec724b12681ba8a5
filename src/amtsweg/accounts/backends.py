"""The authentication backend: Django's model backend, minus demo logins outside demo mode.

Demo installations create documented logins (README) at ``DEMO_EMAIL_DOMAIN``. Should such an
account reach a production database, it must not open, whatever its password: this backend
refuses it at login and drops it from every existing session (Django asks the backend again
on each request), so switching ``DEMO_DATA`` off takes effect even before `amtsweg run` has
disabled the accounts themselves (accounts/demo.py).
"""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend

BACKEND = "amtsweg.accounts.backends.AccountBackend"


def is_demo_login(email: str) -> bool:
    return email.lower().endswith("@" + settings.DEMO_EMAIL_DOMAIN)


class AccountBackend(ModelBackend):
    def user_can_authenticate(self, user) -> bool:
        if not settings.DEMO_DATA and is_demo_login(getattr(user, "email", "") or ""):
            return False
        return super().user_can_authenticate(user)
