"""Staff users with roles at demo Behörden, logged in with two factors done (the 2FA itself is
tested in tests/accounts/test_twofactor.py)."""

import itertools

from django.test import Client

from amtsweg.accounts.models import StaffRole, User
from amtsweg.territory.models import Authority

_n = itertools.count()


def fulda() -> Authority:
    return Authority.objects.get(name="Standesamt der Stadt Fulda")


def other_authority() -> Authority:
    return Authority.objects.filter(is_demo=True).exclude(pk=fulda().pk).order_by("pk").first()


def staff(*roles: tuple[str, Authority], is_staff: bool = True) -> User:
    user = User.objects.create_user(f"staff{next(_n)}@amt.example", "Sehr-geheim-2026",
                                    is_staff=is_staff)
    for role, authority in roles:
        StaffRole.objects.create(user=user, role=role, authority=authority)
    return user


def client_for(user: User) -> Client:
    """Staff pages in English (the msgids), so that the assertions read like the code."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    session = client.session
    session["mfa"] = True
    session.save()
    return client

