"""Deadlines: every morning the clerks of a Behörde learn which of their cases are due
within the next days or overdue (one e-mail per person, no personal data of applicants:
receipt numbers and dates only)."""

from collections import defaultdict
from datetime import timedelta

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from amtsweg.accounts.models import StaffRole
from amtsweg.core.mail import queue_email

from .models import Case

SOON_DAYS = 3


def due_cases(now=None):
    now = now or timezone.now()
    return (Case.objects.filter(closed_at__isnull=True, due_at__lte=now + timedelta(
        days=SOON_DAYS)).exclude(state__in=["abgeschlossen", "zurueckgezogen", "entschieden"])
        .order_by("due_at"))


def send_reminders(now=None) -> int:
    """One e-mail per clerk: the assignee for assigned cases, every clerk and lead of the
    Behörde for unassigned ones. Returns the number of e-mails."""
    now = now or timezone.now()
    per_person: dict[int, list[Case]] = defaultdict(list)
    people = {}
    cases = list(due_cases(now).select_related("assignee"))
    authorities = {c.authority_id for c in cases if c.assignee_id is None}
    staff = defaultdict(list)
    for role in (StaffRole.objects.filter(authority_id__in=authorities,
                                          role__in=["clerk", "lead"])
                 .select_related("user")):
        staff[role.authority_id].append(role.user)
    for case in cases:
        for user in ([case.assignee] if case.assignee_id else staff[case.authority_id]):
            if user.is_active and not any(c.pk == case.pk for c in per_person[user.pk]):
                per_person[user.pk].append(case)
                people[user.pk] = user
    for pk, mine in per_person.items():
        with translation.override("de"):
            lines = [f"{c.receipt_number}: "
                     + (_("overdue since %(date)s") if c.due_at < now else _("due on %(date)s"))
                     % {"date": formats.date_format(timezone.localtime(c.due_at),
                                                    "SHORT_DATE_FORMAT")}
                     for c in mine]
            queue_email(people[pk].email, _("%(n)d cases are due") % {"n": len(mine)},
                        "\n".join(lines))
    return len(per_person)

