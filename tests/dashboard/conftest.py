import uuid
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from amtsweg.cases.models import Case, CaseEvent
from amtsweg.dashboard import actions, coverage
from amtsweg.submissions.models import Submission
from amtsweg.territory.models import Authority
from tests.submissions.conftest import make_small_service


@pytest.fixture(autouse=True)
def _fresh_matrix():
    coverage.forget()
    yield
    coverage.forget()


@pytest.fixture
def standesamt():
    return Authority.objects.get(area__ags="06635001", kind=Authority.Kind.STANDESAMT)


@pytest.fixture
def fulda():
    return Authority.objects.get(name="Standesamt der Stadt Fulda")


@pytest.fixture
def adoption(standesamt):
    return make_small_service(standesamt)


def months_ago(n: int, day: int, hour: int = 12) -> datetime:
    """A moment in the month n months before the current one."""
    month = actions.add_months(timezone.localdate().replace(day=1), -n)
    return timezone.make_aware(datetime(month.year, month.month, day, hour))


def make_case(adoption, received: datetime, *, outcome: str = "", state: str = "eingegangen",
              closed_after: float | None = None, decided_after: float | None = None,
              due_in: float = 14, assignee=None) -> Case:
    """A submission and its case, received at `received`; closed (closed_at) or decided
    without closing (a transition event) that many days later."""
    authority = adoption.authority
    s = Submission(draft_key=uuid.uuid4(), version=adoption.version, adoption=adoption,
                   authority=authority, area=authority.area, trust_level="basis",
                   submitted_at=received,
                   receipt_number=f"AW-2026-D{uuid.uuid4().hex[:10].upper()}")
    s.data = s.seal({"answers": {}, "email": "", "applicant": "Erika Muster"})
    s.save()
    case = Case.objects.create(
        submission=s, authority=authority, version=adoption.version,
        receipt_number=s.receipt_number, state=state, outcome=outcome, received_at=received,
        due_at=received + timedelta(days=due_in), assignee=assignee,
        closed_at=received + timedelta(days=closed_after) if closed_after is not None else None)
    if decided_after is not None:
        event = CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.TRANSITION,
                                         from_state="in_pruefung", to_state=state)
        CaseEvent.objects.filter(pk=event.pk).update(
            at=received + timedelta(days=decided_after))
    return case
