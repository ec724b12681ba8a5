"""The OZG maturity levels (dashboard.maturity): each level and the edge cases — an ended
adoption, a retired version, a fee as a rule, a local fee, a workflow that issues no notice, a
service for guests only, eID prefill only with a trust level of substanziell or more."""

import copy

import pytest
from django.test import override_settings

from amtsweg.cases import workflow
from amtsweg.dashboard import maturity
from amtsweg.payments.providers import PaymentProvider, providers
from amtsweg.services.models import Adoption, ServiceVersion
from tests.submissions.conftest import SMALL_FORM

NO_PREFILL = copy.deepcopy(SMALL_FORM)
for _step in NO_PREFILL["steps"]:
    for _item in _step["items"]:
        _item.pop("prefill", None)


def version(**changes) -> ServiceVersion:
    fields = {"number": 1, "state": ServiceVersion.State.PUBLISHED, "form": NO_PREFILL,
              "trust_level": "basis", "applicants": ["person", "guest"], "fee": {},
              "workflow": None}
    return ServiceVersion(**{**fields, **changes})


def adoption(**changes) -> Adoption:
    return Adoption(**{"active": True, "fee": None, "payment_account": {}, **changes})


class OnlinePay(PaymentProvider):
    key = "dashboard-test-pay"
    online = True

    def is_enabled(self) -> bool:
        return True


@pytest.fixture
def no_online_payment():
    with override_settings(TEST_PAYMENT_ENABLED=False):
        yield


@pytest.fixture
def online_payment(no_online_payment):
    providers.register(OnlinePay())
    yield
    providers.unregister(OnlinePay.key)


def test_nobody_responsible_is_level_0():
    assert maturity.level(responsible=False) == maturity.NONE == 0


def test_responsible_without_offer_is_level_1():
    assert maturity.level(responsible=True) == maturity.INFORMATION == 1


def test_ended_adoption_falls_back_to_information():
    v, a = version(), adoption(active=False)
    assert maturity.level(responsible=True, version=v, adoption=a) == 1
    assert maturity.level(responsible=False, version=v, adoption=a) == 0


def test_retired_version_is_no_offer():
    v = version(state=ServiceVersion.State.RETIRED)
    assert maturity.level(responsible=True, version=v, adoption=adoption()) == 1


def test_free_service_with_notice_to_postfach_is_fully_digital(no_online_payment):
    assert maturity.level(responsible=True, version=version(), adoption=adoption()) == 3


def test_fixed_fee_needs_online_payment(no_online_payment):
    v = version(fee={"amount": 12})
    assert maturity.offer_level(v, adoption()) == maturity.ONLINE_FORM == 2


def test_fixed_fee_with_online_payment_is_level_3(online_payment):
    assert maturity.offer_level(version(fee={"amount": 12}), adoption()) == 3


def test_fee_as_a_rule_needs_online_payment(no_online_payment):
    rule = {"amount": {"*": [12, {"var": "anzahl"}]}}
    assert maturity.offer_level(version(fee=rule), adoption()) == 2


def test_fee_as_a_rule_with_online_payment(online_payment):
    rule = {"amount": {"*": [12, {"var": "anzahl"}]}}
    assert maturity.offer_level(version(fee=rule), adoption()) == 3


def test_local_fee_overrides_the_services_fee(no_online_payment):
    v = version(fee={"amount": 12})
    assert maturity.offer_level(v, adoption(fee=0)) == 3
    assert maturity.offer_level(version(), adoption(fee=20)) == 2


def test_invoice_is_not_online_payment(no_online_payment):
    """The invoice provider is enabled and takes the fee, but not online."""
    a = adoption(payment_account={"iban": "DE02120300000000202051"})
    assert maturity.offer_level(version(fee={"amount": 12}), a) == 2


def test_workflow_without_notice_is_an_online_form(no_online_payment):
    flow = copy.deepcopy(workflow.DEFAULT)
    for tr in flow["transitions"]:
        tr["effects"] = [e for e in tr.get("effects", []) if e != "issue_notice"]
    assert maturity.offer_level(version(workflow=flow), adoption()) == 2


def test_guest_only_service_has_no_postfach(no_online_payment):
    assert maturity.offer_level(version(applicants=["guest"]), adoption()) == 2
    assert maturity.offer_level(version(applicants=["organisation"]), adoption()) == 3


def test_eid_prefill_needs_prefill_and_substanziell(no_online_payment):
    assert maturity.offer_level(version(form=SMALL_FORM, trust_level="substanziell"),
                                adoption()) == maturity.EID_PREFILL == 4
    assert maturity.offer_level(version(form=SMALL_FORM, trust_level="hoch"), adoption()) == 4
    assert maturity.offer_level(version(form=SMALL_FORM, trust_level="basis"), adoption()) == 3
    assert maturity.offer_level(version(trust_level="substanziell"), adoption()) == 3


def test_eid_prefill_is_still_level_2_without_online_payment(no_online_payment):
    v = version(form=SMALL_FORM, trust_level="hoch", fee={"amount": 30})
    assert maturity.offer_level(v, adoption()) == 2


def test_labels_cover_every_level():
    assert sorted(maturity.LABELS) == list(maturity.LEVELS) == [0, 1, 2, 3, 4]


@pytest.mark.django_db
def test_the_foerderantrag_issues_its_notice_through_the_funding_effects(no_online_payment):
    """The Förderantrag's workflow has no `issue_notice`: its grant and refusal effects put
    the Bescheid into the organisation's Postfach, so it is fully digital (level 3)."""
    from amtsweg.services.actions import latest_published
    from amtsweg.services.models import OnlineService

    service = OnlineService.objects.get(slug="foerderantrag-ikz")
    published = latest_published(service)
    flow = workflow.of(published)
    assert not any("issue_notice" in (t.get("effects") or []) for t in flow["transitions"])
    assert maturity.notice_to_postfach(published)
    assert maturity.offer_level(published, published.adoptions.get()) == 3
    assert {"issue_notice", "funding.grant", "funding.refuse"} <= maturity.notice_effects()
