"""The rules of an IKZ funding programme, as pure functions over plain values.

Why pure: the same rules decide in the back office (the guard and the effect of the approval
transition), preview the decision on the Förderstelle's pages and are tested case by case
without a database. The caller gathers the values (`Rules`, `Application`, the budget and
what was granted of it) and gets a `Decision`: either the grant or the reasons for refusing,
each a sentence in the active language (msgids English, German from the catalogue).

The rules:

- only a Kommune applies (the organisation account of a Gemeinde or Kreis);
- the application date lies within the programme's period (both days included);
- the task area is one of the programme's eligible ones (none named: every task area);
- at least `min_members` Kommunen take part, the lead Kommune included; every one of them is
  a Gemeinde or Kreis of Hessen and has given its consent on or before the application date;
- an application for an existing cooperation comes from the cooperation's lead Kommune;
- the grant is `amount_per_member` × participating Kommunen, never more than the eligible
  costs and never more than what is left of the year's budget (the sum of the programme's
  grants in that year is taken from it); no budget or nothing left: refused.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _

HESSEN = "06"  # the first two digits of every AGS in Hessen
KOMMUNE_KINDS = ("gemeinde", "kreis")
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Rules:
    """What a programme says (funding.Programme)."""

    amount_per_member: Decimal
    min_members: int
    opens_on: date
    closes_on: date | None = None
    eligible_task_areas: tuple[str, ...] = ()


@dataclass(frozen=True)
class Kommune:
    """A participating Kommune as the application names it. `kind` is the territory kind of
    the AGS ("" when no area has this AGS); `consent_on` the date of its consent."""

    ags: str
    name: str = ""
    kind: str = ""
    gemeindefrei: bool = False
    consent_on: date | None = None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.ags})" if self.name else self.ags


@dataclass(frozen=True)
class Application:
    """What the lead Kommune applied for."""

    applied_on: date
    lead_ags: str
    task_area: str
    eligible_costs: Decimal
    participants: tuple[Kommune, ...]
    applicant_is_kommune: bool = True
    cooperation_key: str = ""  # the key of an existing cooperation the applicant named
    cooperation_found: bool = True  # whether that cooperation exists
    cooperation_lead_ags: str = ""  # the lead of that cooperation
    task_area_label: str = ""


@dataclass(frozen=True)
class Reason:
    """Why an application cannot be granted: a code for programs, a sentence for people."""

    code: str
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Decision:
    reasons: tuple[Reason, ...]
    amount: Decimal  # the grant; 0 when refused
    full_amount: Decimal  # amount per member × counted members
    members: tuple[Kommune, ...]  # the Kommunen the grant counts (distinct, eligible)
    capped_by: tuple[str, ...] = ()  # "eligible_costs", "budget"
    budget_left: Decimal | None = None  # before this grant; None: no budget

    @property
    def eligible(self) -> bool:
        return not self.reasons

    @property
    def message(self) -> str:
        return " ".join(r.message for r in self.reasons)


def money(amount: Decimal) -> str:
    return formats.number_format(amount, 2, use_l10n=True, force_grouping=True) + " EUR"


def _day(value: date) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def is_hessian_kommune(kommune: Kommune) -> bool:
    return (kommune.kind in KOMMUNE_KINDS and not kommune.gemeindefrei
            and kommune.ags.startswith(HESSEN))


def distinct(participants: tuple[Kommune, ...]) -> list[Kommune]:
    """Each Kommune once (a repeated AGS counts once; the first entry wins)."""
    seen: set[str] = set()
    out = []
    for kommune in participants:
        if kommune.ags not in seen:
            seen.add(kommune.ags)
            out.append(kommune)
    return out


def has_consented(kommune: Kommune, applied_on: date) -> bool:
    return kommune.consent_on is not None and kommune.consent_on <= applied_on


def counted(application: Application) -> list[Kommune]:
    """The participating Kommunen that count for the grant: distinct Gemeinden and Kreise of
    Hessen that consented on or before the application date."""
    return [k for k in distinct(application.participants)
            if is_hessian_kommune(k) and has_consented(k, application.applied_on)]


def eligibility(rules: Rules, application: Application) -> list[Reason]:
    """Every reason why the application is not eligible (empty: it is)."""
    reasons: list[Reason] = []
    applied = application.applied_on
    if not application.applicant_is_kommune:
        reasons.append(Reason("applicant", _(
            "Only a Kommune can apply: use the organisation account of a Gemeinde or Kreis.")))
    if applied < rules.opens_on:
        reasons.append(Reason("period", _(
            "Applications are accepted from %(opens)s; this application is dated %(date)s.")
            % {"opens": _day(rules.opens_on), "date": _day(applied)}))
    elif rules.closes_on is not None and applied > rules.closes_on:
        reasons.append(Reason("period", _(
            "Applications were accepted until %(closes)s; this application is dated "
            "%(date)s.") % {"closes": _day(rules.closes_on), "date": _day(applied)}))
    if rules.eligible_task_areas and application.task_area not in rules.eligible_task_areas:
        reasons.append(Reason("task_area", _(
            "The programme does not fund projects in the task area “%(area)s”.")
            % {"area": application.task_area_label or application.task_area}))
    if application.cooperation_key and not application.cooperation_found:
        reasons.append(Reason("cooperation", _(
            "There is no IKZ cooperation with the key “%(key)s”.")
            % {"key": application.cooperation_key}))
    elif (application.cooperation_lead_ags
          and application.cooperation_lead_ags != application.lead_ags):
        reasons.append(Reason("cooperation_lead", _(
            "Only the lead Kommune of the cooperation can apply for it.")))
    participants = distinct(application.participants)
    if application.lead_ags not in {k.ags for k in participants}:
        reasons.append(Reason("lead", _(
            "The lead Kommune must be one of the participating Kommunen.")))
    for kommune in participants:
        if not kommune.kind:
            reasons.append(Reason("unknown_kommune", _(
                "%(ags)s is not the AGS of a Gemeinde or Kreis.") % {"ags": kommune.ags}))
        elif not is_hessian_kommune(kommune):
            reasons.append(Reason("not_kommune", _(
                "%(kommune)s is not a Gemeinde or Kreis of Hessen.")
                % {"kommune": kommune.label}))
        elif kommune.consent_on is None:
            reasons.append(Reason("consent", _(
                "%(kommune)s has not given its consent.") % {"kommune": kommune.label}))
        elif kommune.consent_on > applied:
            reasons.append(Reason("consent", _(
                "The consent of %(kommune)s is dated %(consent)s, after the application "
                "(%(date)s).") % {"kommune": kommune.label,
                                  "consent": _day(kommune.consent_on), "date": _day(applied)}))
    members = len(counted(application))
    if members < rules.min_members:
        reasons.append(Reason("members", _(
            "At least %(min)d Kommunen must take part, the lead Kommune included; "
            "%(n)d eligible Kommunen take part.") % {"min": rules.min_members, "n": members}))
    if application.eligible_costs <= 0:
        reasons.append(Reason("costs", _("The application names no eligible costs.")))
    return reasons


def budget_left(budget: Decimal | None, granted: Decimal) -> Decimal | None:
    """What is left of a year's budget after the grants made from it (never below 0)."""
    if budget is None:
        return None
    return max(budget - granted, ZERO)


def decide(rules: Rules, application: Application, *, year: int, budget: Decimal | None,
           granted: Decimal = ZERO) -> Decision:
    """The decision on an application in `year`, whose budget is `budget` (None: the
    programme has none that year) of which `granted` is already granted."""
    reasons = eligibility(rules, application)
    members = tuple(counted(application))
    full = (rules.amount_per_member * len(members)).quantize(CENT)
    amount = full
    capped: list[str] = []
    if application.eligible_costs < amount:
        amount = max(application.eligible_costs, ZERO).quantize(CENT)
        capped.append("eligible_costs")
    left = budget_left(budget, granted)
    if left is None:
        reasons.append(Reason("budget", _(
            "The programme has no budget for %(year)d.") % {"year": year}))
    elif left <= 0:
        reasons.append(Reason("budget", _(
            "The budget of %(year)d (%(budget)s) is used up by earlier grants.")
            % {"year": year, "budget": money(budget)}))
    elif amount > left:
        amount = left.quantize(CENT)
        capped.append("budget")
    return Decision(reasons=tuple(reasons), amount=ZERO if reasons else amount,
                    full_amount=full, members=members, capped_by=tuple(capped),
                    budget_left=left)
