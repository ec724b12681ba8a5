"""The programme rules (funding/rules.py), case by case: members, consent, Kommunen of Hessen,
task area, application period, the grant with its caps (eligible costs, the year's budget)
and the reasons given for every refusal. Pure functions: no database."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from amtsweg.funding import rules
from amtsweg.funding.rules import Application, Kommune, Rules

D = Decimal
PROGRAMME = Rules(amount_per_member=D("25000.00"), min_members=2, opens_on=date(2026, 1, 1),
                  closes_on=date(2026, 12, 31), eligible_task_areas=("digitalisierung",))
APPLIED = date(2026, 11, 30)
ALLENDORF, BATTENBERG, BURGWALD, HATZFELD = "06635001", "06635004", "06635006", "06635014"


def kommune(ags: str, consent=date(2025, 1, 2), kind="gemeinde", **kw) -> Kommune:
    return Kommune(ags=ags, name=f"K{ags}", kind=kind, consent_on=consent, **kw)


FOUR = (kommune(ALLENDORF), kommune(BATTENBERG), kommune(BURGWALD), kommune(HATZFELD))


def application(participants=FOUR, costs="120000.00", **kw) -> Application:
    values = {"applied_on": APPLIED, "lead_ags": ALLENDORF, "task_area": "digitalisierung",
              "eligible_costs": D(costs), "participants": tuple(participants)}
    return Application(**{**values, **kw})


def decide(app: Application, *, rules_=PROGRAMME, budget="3000000.00", granted="0",
           year=2026) -> rules.Decision:
    return rules.decide(rules_, app, year=year, budget=None if budget is None else D(budget),
                        granted=D(granted))


def codes(decision: rules.Decision) -> list[str]:
    return [r.code for r in decision.reasons]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


# --- the grant ------------------------------------------------------------------------------

def test_four_kommunen_get_100000():
    decision = decide(application())
    assert decision.eligible and decision.reasons == ()
    assert decision.amount == D("100000.00") == decision.full_amount
    assert [k.ags for k in decision.members] == [ALLENDORF, BATTENBERG, BURGWALD, HATZFELD]
    assert decision.capped_by == ()
    assert decision.budget_left == D("3000000.00")


def test_never_more_than_the_eligible_costs():
    decision = decide(application(costs="80000.00"))
    assert decision.eligible
    assert decision.amount == D("80000.00") and decision.full_amount == D("100000.00")
    assert decision.capped_by == ("eligible_costs",)


def test_eligible_costs_exactly_at_the_cap_are_not_capped():
    decision = decide(application(costs="100000.00"))
    assert decision.amount == D("100000.00") and decision.capped_by == ()
    below = decide(application(costs="99999.99"))
    assert below.amount == D("99999.99") and below.capped_by == ("eligible_costs",)


def test_the_minimum_of_two_members_exactly():
    two = decide(application(participants=FOUR[:2]))
    assert two.eligible and two.amount == D("50000.00")
    one = decide(application(participants=FOUR[:1]))
    assert codes(one) == ["members"] and one.amount == 0
    assert one.message == ("At least 2 Kommunen must take part, the lead Kommune included; "
                           "1 eligible Kommunen take part.")


def test_a_repeated_kommune_counts_once():
    decision = decide(application(participants=(*FOUR[:2], kommune(BATTENBERG))))
    assert decision.amount == D("50000.00") and len(decision.members) == 2


def test_a_kreis_counts_like_a_gemeinde():
    decision = decide(application(participants=(FOUR[0], kommune("06635", kind="kreis"))))
    assert decision.eligible and decision.amount == D("50000.00")


def test_the_programme_amount_is_used():
    cheaper = replace(PROGRAMME, amount_per_member=D("12500.50"), min_members=3)
    assert decide(application(), rules_=cheaper).amount == D("50002.00")
    assert codes(decide(application(participants=FOUR[:2]), rules_=cheaper)) == ["members"]


# --- who takes part ---------------------------------------------------------------------------

def test_the_lead_must_take_part():
    decision = decide(application(participants=FOUR[1:]))
    assert codes(decision) == ["lead"]
    assert decision.message == "The lead Kommune must be one of the participating Kommunen."


def test_only_gemeinden_and_kreise_of_hessen():
    others = (
        kommune("06600000", kind="regierungsbezirk"),  # not a Kommune
        kommune("09162000"),  # München: a Gemeinde, but not in Hessen
        kommune("06435200", gemeindefrei=True),  # an uninhabited area without a Gemeinde
    )
    decision = decide(application(participants=(*FOUR[:2], *others)))
    assert codes(decision) == ["not_kommune"] * 3
    assert decision.reasons[1].message == ("K09162000 (09162000) is not a Gemeinde or Kreis of "
                                           "Hessen.")
    assert decision.amount == 0
    unknown = decide(application(participants=(*FOUR, Kommune(ags="06999999"))))
    assert codes(unknown) == ["unknown_kommune"]
    assert unknown.message == "06999999 is not the AGS of a Gemeinde or Kreis."


def test_every_kommune_must_have_consented_by_the_application_date():
    missing = decide(application(participants=(*FOUR[:3], kommune(HATZFELD, consent=None))))
    assert codes(missing) == ["consent"]
    assert missing.message == f"K{HATZFELD} ({HATZFELD}) has not given its consent."
    same_day = decide(application(participants=(*FOUR[:3], kommune(HATZFELD, consent=APPLIED))))
    assert same_day.eligible and same_day.amount == D("100000.00")
    later = decide(application(participants=(*FOUR[:3],
                                             kommune(HATZFELD, consent=date(2026, 12, 1)))))
    assert codes(later) == ["consent"] and "after the application" in later.message


def test_consent_missing_below_the_minimum_gives_both_reasons():
    decision = decide(application(participants=(FOUR[0], kommune(BATTENBERG, consent=None))))
    assert codes(decision) == ["consent", "members"]


# --- task area, period, applicant, cooperation ------------------------------------------------

def test_task_area_must_be_eligible():
    decision = decide(application(task_area="feuerwehr", task_area_label="Fire brigade"))
    assert codes(decision) == ["task_area"]
    assert decision.message == ("The programme does not fund projects in the task area "
                                "“Fire brigade”.")
    every = replace(PROGRAMME, eligible_task_areas=())
    assert decide(application(task_area="feuerwehr"), rules_=every).eligible


@pytest.mark.parametrize(("applied", "ok"), [
    (date(2025, 12, 31), False), (date(2026, 1, 1), True), (date(2026, 12, 31), True),
    (date(2027, 1, 1), False),
])
def test_application_period_includes_both_days(applied, ok):
    decision = decide(application(applied_on=applied), year=2026)
    assert decision.eligible is ok
    if not ok:
        assert codes(decision) == ["period"]


def test_period_messages():
    early = decide(application(applied_on=date(2025, 12, 31)))
    assert early.message == ("Applications are accepted from Jan. 1, 2026; this application "
                             "is dated Dec. 31, 2025.")
    late = decide(application(applied_on=date(2027, 1, 1)))
    assert late.message == ("Applications were accepted until Dec. 31, 2026; this "
                            "application is dated Jan. 1, 2027.")
    open_ended = replace(PROGRAMME, closes_on=None)
    assert decide(application(applied_on=date(2030, 5, 5)), rules_=open_ended).eligible


def test_only_a_kommune_applies():
    decision = decide(application(applicant_is_kommune=False))
    assert codes(decision) == ["applicant"]


def test_existing_cooperation_must_exist_and_be_led_by_the_applicant():
    unknown = decide(application(cooperation_key="gibt-es-nicht", cooperation_found=False))
    assert codes(unknown) == ["cooperation"]
    assert "gibt-es-nicht" in unknown.message
    foreign = decide(application(cooperation_key="ederbergland-digital",
                                 cooperation_lead_ags=BATTENBERG))
    assert codes(foreign) == ["cooperation_lead"]
    own = decide(application(cooperation_key="ederbergland-digital",
                             cooperation_lead_ags=ALLENDORF))
    assert own.eligible


def test_no_eligible_costs():
    assert codes(decide(application(costs="0"))) == ["costs"]


def test_several_reasons_at_once_each_as_a_sentence():
    decision = decide(application(participants=FOUR[1:2], task_area="bauen",
                                  applied_on=date(2025, 6, 1), costs="0"), budget=None)
    assert codes(decision) == ["period", "task_area", "lead", "members", "costs", "budget"]
    assert all(r.message.endswith(".") for r in decision.reasons)
    assert decision.message == " ".join(r.message for r in decision.reasons)


def test_reasons_follow_the_language():
    with translation.override("de"):
        german = decide(application(participants=FOUR[1:])).message
    english = decide(application(participants=FOUR[1:])).message
    assert english == "The lead Kommune must be one of the participating Kommunen."
    assert german  # the catalogue may translate it; it is a sentence either way
    assert german.endswith(".")


# --- the year's budget ------------------------------------------------------------------------

def test_budget_exhausted_refuses_with_the_reason():
    decision = decide(application(), budget="500000.00", granted="500000.00")
    assert codes(decision) == ["budget"] and decision.amount == 0
    assert decision.message == ("The budget of 2026 (500,000.00 EUR) is used up by earlier "
                                "grants.")
    overspent = decide(application(), budget="500000.00", granted="600000.00")
    assert codes(overspent) == ["budget"] and overspent.budget_left == 0


def test_no_budget_for_the_year_refuses():
    decision = decide(application(), budget=None, year=2027)
    assert codes(decision) == ["budget"]
    assert decision.message == "The programme has no budget for 2027."


def test_the_rest_of_the_budget_caps_the_grant():
    decision = decide(application(), budget="500000.00", granted="440000.00")
    assert decision.eligible and decision.amount == D("60000.00")
    assert decision.capped_by == ("budget",)


def test_budget_exactly_enough():
    decision = decide(application(), budget="500000.00", granted="400000.00")
    assert decision.amount == D("100000.00") and decision.capped_by == ()
    assert decision.budget_left == D("100000.00")


def test_both_caps():
    decision = decide(application(costs="90000.00"), budget="500000.00",
                      granted="420000.00")
    assert decision.amount == D("80000.00")
    assert decision.capped_by == ("eligible_costs", "budget")


@given(members=st.integers(min_value=2, max_value=12),
       costs=st.decimals(min_value=1, max_value=500000, places=2),
       budget=st.decimals(min_value=0, max_value=400000, places=2),
       granted=st.decimals(min_value=0, max_value=400000, places=2))
def test_the_grant_is_never_more_than_any_cap(members, costs, budget, granted):
    participants = [kommune(f"06635{n:03d}") for n in range(1, members + 1)]
    app = application(participants=participants, costs=str(costs))
    with translation.override("en"):
        decision = decide(app, budget=str(budget), granted=str(granted))
    if decision.eligible:
        assert 0 < decision.amount <= min(D(25000) * members, costs, budget - granted)
        assert decision.amount == min(D(25000) * members, costs, budget - granted)
    else:
        assert decision.amount == 0 and codes(decision) == ["budget"]
        assert budget - granted <= 0
