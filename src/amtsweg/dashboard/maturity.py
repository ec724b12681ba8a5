"""OZG maturity (Reifegrad) of a Leistung in a Kommune, as the dashboard and the service
library show it.

    0  none: nobody is recorded as responsible for the Leistung there
    1  information: the portal names the responsible Behörde (a Zuständigkeit exists)
    2  online form: that Behörde has adopted a published online service for the Leistung
    3  fully digital: level 2, and the fee can be paid online (or there is none), and the
       workflow issues the Bescheid electronically into the Postfach (applicants with a
       Servicekonto or an organisation account)
    4  level 3, and the form prefills data from the eID (prefill items and a trust level of
       at least "substanziell")

The level of an offer depends only on the adopted version and the adoption's parameters, so
`offer_level` is a pure function of both; callers that rate many offers load them in bulk.
"""

from django.utils.translation import gettext_lazy as _

from amtsweg.accounts.models import TrustLevel
from amtsweg.cases import workflow
from amtsweg.forms.engine import has_prefill
from amtsweg.payments.actions import online_providers
from amtsweg.services.models import ServiceVersion
from amtsweg.submissions.actions import form_of

NONE, INFORMATION, ONLINE_FORM, FULLY_DIGITAL, EID_PREFILL = range(5)
LEVELS = (NONE, INFORMATION, ONLINE_FORM, FULLY_DIGITAL, EID_PREFILL)
LABELS = {
    NONE: _("none"),
    INFORMATION: _("information"),
    ONLINE_FORM: _("online form"),
    FULLY_DIGITAL: _("fully digital"),
    EID_PREFILL: _("fully digital with eID data"),
}

ISSUE_NOTICE = "issue_notice"


def notice_effects() -> set[str]:
    """Names of the workflow effects that issue the Bescheid into the Postfach (the built-in
    `issue_notice`, and e.g. the funding programme's grant and refusal)."""
    return {e.key for e in workflow.effects.enabled() if e.issues_notice}


def _fee_amount(version, adoption) -> float | None:
    """The fixed fee (0 when there is none), None when it is a rule (depends on answers);
    the same sources as `submissions.actions.compute_fee`."""
    amount = adoption.fee if adoption.fee is not None else (version.fee or {}).get("amount")
    if amount is None:
        return 0.0
    return float(amount) if isinstance(amount, (int, float)) else None


def pays_online(version, adoption) -> bool:
    """No fee, or an online payment provider is available to the adopting Behörde."""
    if _fee_amount(version, adoption) == 0.0:
        return True
    return bool(online_providers(adoption))


def notice_to_postfach(version) -> bool:
    """Some transition issues the Bescheid, and applicants can have a Postfach."""
    flow = workflow.of(version)
    issuing = notice_effects()
    issues = any(issuing & set(t.get("effects") or []) for t in flow.get("transitions", []))
    with_postfach = {"person", "organisation"} & set(version.applicants or [])
    return issues and bool(with_postfach)


def eid_prefill(version) -> bool:
    return (TrustLevel.rank(version.trust_level) >= TrustLevel.rank(TrustLevel.SUBSTANZIELL)
            and has_prefill(form_of(version)))


def offer_level(version, adoption) -> int:
    """The level (2–4) of an active adoption of a published version."""
    if not (pays_online(version, adoption) and notice_to_postfach(version)):
        return ONLINE_FORM
    return EID_PREFILL if eid_prefill(version) else FULLY_DIGITAL


def offered(version, adoption) -> bool:
    """An adoption counts as an online offer while it is active and its version published
    (a retired version is no longer offered, as in `services.actions.offers`)."""
    return (version is not None and adoption is not None and adoption.active
            and version.state == ServiceVersion.State.PUBLISHED)


def level(*, responsible: bool, version=None, adoption=None) -> int:
    """The level of one Leistung in one Kommune."""
    if offered(version, adoption):
        return offer_level(version, adoption)
    return INFORMATION if responsible else NONE
