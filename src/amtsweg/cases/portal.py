"""The applicant's view of a case: its state and history, answering a request for documents
(Nachforderung) with text and files, and withdrawing the application. Visible to whoever may
see the receipt (the account, members of the organisation, or the guest's browser session)."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from amtsweg.core import bodylimit
from amtsweg.submissions import actions as submission_actions
from amtsweg.submissions.models import Submission
from amtsweg.submissions.views import _may_see

from . import actions, workflow
from .models import Case

ANSWER_FILE = {"file": {"types": ["application/pdf", "image/jpeg", "image/png"],
                        "max_size": 10 * 1024 * 1024, "max_count": 5},
               "label": {"de": "Nachweis", "en": "Document"}}
bodylimit.allow("case_portal:detail",
                ANSWER_FILE["file"]["max_count"] * ANSWER_FILE["file"]["max_size"])
bodylimit.limit_files("case_portal:detail", lambda _request, _kwargs: (
    lambda name: ANSWER_FILE["file"]["max_size"] if name == "files" else 0))


def _case(request: HttpRequest, receipt: str) -> Case:
    submission = get_object_or_404(Submission.objects.select_related("adoption__service"),
                                   receipt_number=receipt)
    if not _may_see(request, submission):
        raise Http404
    case = Case.objects.filter(submission=submission).select_related("version").first()
    if case is None:
        raise Http404
    return case


@require_http_methods(["GET", "POST"])
def applicant_case(request: HttpRequest, receipt: str) -> HttpResponse:
    case = _case(request, receipt)
    flow = workflow.of(case.version)
    lang = (get_language() or "de")[:2]
    mine = {t["key"] for t in workflow.available(flow, case.state, "applicant")}
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        user = request.user if request.user.is_authenticated else None
        try:
            if action == "answer" and "nachforderung_erledigt" in mine:
                text = request.POST.get("answer", "").strip()
                files = request.FILES.getlist("files")
                for dropped in bodylimit.refused_files(request):  # dropped while streaming
                    raise actions.CaseError(submission_actions.too_large(dropped.name,
                                                                         dropped.limit))
                if not text and not files:
                    raise actions.CaseError(_("Write an answer or add a document."))
                stored = []
                for i, f in enumerate(files):
                    try:
                        stored.append(submission_actions.store_upload(
                            case.submission, "nachforderung", ANSWER_FILE, f, i))
                    except submission_actions.ApplyError as exc:
                        raise actions.CaseError(str(exc)) from exc
                names = ", ".join(upload.name for upload in stored)
                note = text + (f"\n\n{_('Documents')}: {names}" if names else "")
                actions.transition(user, case.pk, "nachforderung_erledigt", note=note,
                                   as_applicant=True)
                messages.success(request, _("Thank you. Your answer was sent to the authority."))
            elif action == "withdraw" and "zurueckziehen" in mine:
                actions.transition(user, case.pk, "zurueckziehen", as_applicant=True,
                                   note=_("Withdrawn by the applicant."))
                messages.success(request, _("Your application was withdrawn."))
            else:
                raise actions.CaseError(_("This step is not possible in the current state."))
        except actions.CaseError as exc:
            error = str(exc)
        else:
            return redirect("case_portal:detail", receipt)
    outcome = flow.get("outcomes", {}).get(case.outcome, {})
    return render(request, "cases/applicant.html", {
        "case": case, "submission": case.submission, "service": case.submission.adoption.service,
        "state": workflow.state_label(flow, case.state, lang),
        "outcome": outcome.get(lang) or outcome.get("de", ""),
        "timeline": actions.applicant_timeline(case, flow, lang),
        "can_answer": "nachforderung_erledigt" in mine,
        "can_withdraw": "zurueckziehen" in mine, "error": error,
    }, status=400 if error else 200)
