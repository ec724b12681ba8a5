"""The applicant's cases in the export of all own data (accounts.dataprotection): what the
applicant's case page shows (state, outcome, the history with Nachforderungen and answers)
and the notices (Bescheide) as PDF."""

from django.utils.translation import get_language

from amtsweg.accounts.dataprotection import Archive, ExportPart, register_export
from amtsweg.accounts.models import User

from . import actions, notices, workflow
from .models import Case


def build(user: User, archive: Archive) -> list[dict]:
    lang = (get_language() or "de")[:2]
    out = []
    for case in (Case.objects.filter(submission__user=user).select_related("version")
                 .prefetch_related("notices").order_by("received_at", "pk")):
        flow = workflow.of(case.version)
        outcome = flow.get("outcomes", {}).get(case.outcome, {})
        out.append({
            "receipt_number": case.receipt_number,
            "state": workflow.state_label(flow, case.state, lang),
            "outcome": (outcome.get(lang) or outcome.get("de")) if outcome else None,
            "received_at": case.received_at, "closed_at": case.closed_at,
            "history": actions.applicant_timeline(case, flow, lang),
            "notices": [{"number": n.number, "outcome": n.outcome, "issued_at": n.issued_at,
                         "path": archive.add("applications", case.receipt_number,
                                             f"bescheid-{n.number}.pdf", data=notices.read(n))}
                        for n in case.notices.all() if n.stored_name],
        })
    return out


register_export(ExportPart("cases", build,
                           covers=("cases.Case", "cases.CaseEvent", "cases.Notice")))
