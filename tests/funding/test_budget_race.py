"""Two clerks approve at the same moment while the year's budget holds only one grant: the
budget row is locked for the decision, so exactly one grant is made and the other approval is
refused with the budget's reason (PostgreSQL; SQLite serialises writers anyway)."""

import threading

import pytest
from django.core.management import call_command
from django.db import connection

from amtsweg.cases import actions as cases
from amtsweg.funding import demo
from amtsweg.funding.models import Grant, Programme
from amtsweg.territory.models import Area
from tests.funding.conftest import apply, kommune_account, set_budget
from tests.services.staff import staff


@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_never_exceed_the_budget():
    if connection.vendor == "sqlite":
        pytest.skip("the in-memory SQLite test database is one connection")
    if not Area.objects.exists():  # an earlier transactional test flushed the tables
        call_command("import_data", demo=True, quiet=True, verbosity=0)
    programme = Programme.objects.get(slug=demo.PROGRAMME_SLUG)
    organisation, (person,) = kommune_account()
    found = [apply(organisation, person).case for _ in range(2)]
    clerks = [staff(("clerk", demo.foerderstelle())) for _ in found]
    for case, clerk in zip(found, clerks, strict=True):
        cases.transition(clerk, case.pk, "pruefen")
    set_budget(programme, "150000.00")
    barrier = threading.Barrier(2)
    done, refused = [], []

    def approve(case, clerk):
        from django.db import connections
        from django.utils import translation

        try:
            barrier.wait()
            with translation.override("en"):  # each thread has its own language
                cases.transition(clerk, case.pk, "bewilligen", note="Ok")
            done.append(case.pk)
        except cases.CaseError as exc:
            refused.append(str(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=pair)
               for pair in zip(found, clerks, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    grants = list(Grant.objects.filter(programme=programme))
    assert len(done) == 2 and not refused  # the second one gets the rest: 50,000 EUR
    assert sorted(g.amount for g in grants) == [50000, 100000]

    # 100,000 EUR more in the budget, two more approvals at once: one gets it all
    set_budget(programme, "250000.00")
    more = [apply(organisation, person).case for _ in range(2)]
    for case, clerk in zip(more, clerks, strict=True):
        cases.transition(clerk, case.pk, "pruefen")
    done.clear()
    barrier.reset()
    threads = [threading.Thread(target=approve, args=pair)
               for pair in zip(more, clerks, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(done) == 1 and len(refused) == 1
    assert "is used up by earlier grants" in refused[0]
    amounts = sorted(Grant.objects.filter(programme=programme).values_list("amount", flat=True))
    assert amounts == [50000, 100000, 100000]
