"""Switching demo mode off: the demo logins close and test-eID identities stop counting.

A database that once ran with ``DEMO_DATA`` (or ``TEST_EID_ENABLED``) keeps what demo mode
made: logins with the password printed in the README and identities "confirmed" by fake eID
data. `amtsweg run` calls these actions at every start in production mode (and `amtsweg
retire_demo` does on request), so a restart with demo off leaves none of it usable. The login
backend refuses demo logins in the meantime (accounts/backends.py).
"""

from django.conf import settings
from django.db import transaction
from django.db.models import F

from amtsweg.audit import actions as audit

from .identity.testeid import TestEidProvider
from .models import Identity, ProfileAttribute, TrustLevel, User


def demo_logins():
    return User.objects.filter(email__iendswith="@" + settings.DEMO_EMAIL_DOMAIN)


@transaction.atomic
def retire_demo_logins() -> int:
    """Deactivate every demo login: no password, every session ended. Returns how many."""
    count = 0
    for user in demo_logins().filter(is_active=True).select_for_update():
        user.set_unusable_password()
        user.is_active = False
        user.save(update_fields=["password", "is_active"])
        User.objects.filter(pk=user.pk).update(session_version=F("session_version") + 1)
        count += 1
    if count:
        audit.record(tenant=audit.PLATFORM, actor="system", action="demo.logins_disabled",
                     data={"accounts": count})
    return count


@transaction.atomic
def retire_test_identities() -> dict[str, int]:
    """Unlink identities of the test eID, mark what it "confirmed" as typed by the person and
    end the sessions of those accounts.

    The values stay (the person may correct them); they no longer count as confirmed, so
    nothing a fake eID asserted prefills an application at a higher trust level, and no
    session keeps a level the fake eID gave it.
    """
    key = TestEidProvider.key
    holders = set(Identity.objects.filter(provider=key).values_list("user_id", flat=True))
    holders |= set(ProfileAttribute.objects.filter(provider=key)
                   .values_list("user_id", flat=True))
    links, _ = Identity.objects.filter(provider=key).delete()
    attributes = ProfileAttribute.objects.filter(provider=key).update(
        source=ProfileAttribute.Source.TYPED, provider="", level=TrustLevel.BASIS)
    # A session raised to substanziell or hoch by the fake eID must not keep that level.
    User.objects.filter(pk__in=holders).update(session_version=F("session_version") + 1)
    if links or attributes:
        audit.record(tenant=audit.PLATFORM, actor="system", action="demo.test_eid_retired",
                     data={"identities": links, "attributes": attributes,
                           "accounts_logged_out": len(holders)})
    return {"identities": links, "attributes": attributes}


@transaction.atomic
def restore_demo_logins(password: str) -> int:
    """Demo mode switched on again (`make run` on a database that ran without it): the
    disabled demo logins open with the documented password once more."""
    if not settings.DEMO_DATA:
        raise RuntimeError("restore_demo_logins needs DEMO_DATA on")
    count = 0
    for user in demo_logins().filter(is_active=False).select_for_update():
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        count += 1
    if count:
        audit.record(tenant=audit.PLATFORM, actor="system", action="demo.logins_restored",
                     data={"accounts": count})
    return count
