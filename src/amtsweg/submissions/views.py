"""Applying online (citizen pages). Every draft is reachable only by its owner: the account
that started it, or — for guests — the browser session that started or resumed it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from amtsweg.accounts.profile import has_level, session_level
from amtsweg.core import bodylimit, mail
from amtsweg.forms import engine
from amtsweg.forms import render as form_render
from amtsweg.forms.types import options_of
from amtsweg.payments import actions as payment_actions
from amtsweg.services import actions as service_actions
from amtsweg.services.models import OnlineService, text
from amtsweg.territory import lookup

from . import actions, receipts
from .models import Draft, Submission

GUEST_KEY = "guest_drafts"


def _step_allowance(request: HttpRequest, kwargs: dict) -> int:
    """A step's body may carry the files its items allow (checked before it is read)."""
    draft = Draft.objects.select_related("version").filter(pk=kwargs["pk"]).first()
    if draft is None:
        return 0
    return actions.step_upload_bytes(actions.form_of(draft.version), kwargs["step_key"])


def _step_file_limits(request: HttpRequest, kwargs: dict):
    """Each file of a step is dropped as soon as it passes its item's limit (files for
    names that are no file item of the step at once)."""
    draft = Draft.objects.select_related("version").filter(pk=kwargs["pk"]).first()
    if draft is None:
        return lambda _name: 0
    return actions.step_file_limits(actions.form_of(draft.version), kwargs["step_key"])


bodylimit.allow("submissions:step", _step_allowance)
bodylimit.limit_files("submissions:step", _step_file_limits)


def _offer(slug: str, ags: str):
    service = get_object_or_404(OnlineService, slug=slug)
    area = lookup.area_for_code(ags=ags) if ags.isdecimal() and len(ags) == 8 else None
    if area is None:
        raise Http404
    return service, area, service_actions.offered(service.leistung_id, area.pk, service.slug)


@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, slug: str, ags: str) -> HttpResponse:
    service, area, adoption = _offer(slug, ags)
    if adoption is None:
        return render(request, "submissions/not_offered.html",
                      {"service": service, "area": area}, status=404)
    version = adoption.version
    user = request.user if request.user.is_authenticated else None
    form = actions.form_of(version)
    organisations = []
    if user is not None and version.allows("organisation"):
        organisations = [m.organisation for m in user.memberships.select_related("organisation")]
    context = {
        "service": service, "area": area, "adoption": adoption, "version": version,
        "authority": adoption.authority, "organisations": organisations,
        "fee": _fee_text(adoption, version), "level_ok": user is not None and has_level(
            request, version.trust_level),
        "asks_prefill": user is not None and engine.has_prefill(form),
        "prefill_consented": user is not None and actions.prefill_consented(user),
        "drafts": (Draft.objects.filter(user=user, adoption=adoption) if user else []),
        "error": "",
    }
    if request.method == "POST":
        if user is None and not version.allows("guest"):
            return redirect(f"{reverse('accounts:login')}?next={request.path}")
        if user is not None and not has_level(request, version.trust_level):
            query = urlencode({"level": version.trust_level, "next": request.get_full_path()})
            return redirect(f"{reverse('accounts:step_up')}?{query}")
        organisation = None
        org_id = request.POST.get("organisation", "")
        if org_id:
            organisation = next((o for o in organisations if str(o.pk) == org_id), None)
            if organisation is None:
                context["error"] = _("Choose one of your organisations.")
        email = request.POST.get("email", "").strip()[:254] if user is None else ""
        if user is None and (not email or "@" not in email):
            context["error"] = _("Enter your e-mail address, so that we can send you the "
                                 "receipt and a link to continue later.")
        elif user is None:
            try:  # the link to continue goes to a typed address
                mail.count_typed_address(request, email)
            except mail.TooManyMails:
                context["error"] = str(mail.TOO_MANY_MAILS)
        if not context["error"]:
            try:
                draft, _token = actions.start(
                    adoption=adoption, area=area, user=user, organisation=organisation,
                    guest_email=email, trust_level=session_level(request),
                    prefill=request.POST.get("prefill") == "1")
            except actions.ApplyError as exc:
                context["error"] = str(exc)
            else:
                if user is None:
                    request.session[GUEST_KEY] = [*request.session.get(GUEST_KEY, []),
                                                  str(draft.pk)][-20:]
                return redirect("submissions:step", draft.pk, draft.step)
    return render(request, "submissions/start.html", context,
                  status=400 if context["error"] else 200)


def _euro(amount) -> str:
    """An amount as people read it here: "1.234,50 EUR", or "gebührenfrei" for nothing."""
    if amount == 0:
        return _("free of charge")
    return f"{amount:,.2f} EUR".replace(",", "X").replace(".", ",").replace("X", ".")


def _fee_text(adoption, version) -> str:
    amount = adoption.fee if adoption.fee is not None else (version.fee or {}).get("amount")
    explanation = text((version.fee or {}).get("explanation")) if adoption.fee is None else ""
    if isinstance(amount, int | float):
        value = _euro(amount)
        return f"{value} – {explanation}" if explanation else value
    return explanation or _("The fee depends on your answers; the summary shows it.")


def _check_access(request: HttpRequest, draft: Draft) -> None:
    """The account that started the draft at the service's trust level, or for a guest
    draft the browser session that started or resumed it; anybody else gets a 404."""
    if draft.user_id is not None:
        if not request.user.is_authenticated:
            # a link from "Meine Anträge" or a mail opened in a browser that is not logged
            # in: the 403 page asks to log in and comes back here (issue 12)
            raise PermissionDenied(_("Log in to continue this application."))
        if request.user.pk != draft.user_id:
            raise Http404
        if not has_level(request, draft.version.trust_level):
            raise PermissionDenied(_("Log in at the trust level this service needs."))
    elif str(draft.pk) not in request.session.get(GUEST_KEY, []):
        raise Http404


def _draft(request: HttpRequest, pk) -> Draft:
    # The definition (version.form) is not loaded: the pages use the compiled form, which is
    # cached per process (actions.form_of), so decoding the JSON on every request is waste.
    draft = (Draft.objects.select_related("version", "adoption__service", "authority", "area")
             .defer("version__form").filter(pk=pk).order_by().first())
    if draft is None:
        done = Submission.objects.filter(draft_key=pk).first()
        if done is not None and _may_see(request, done):
            raise _Done(done)
        raise Http404
    _check_access(request, draft)
    return draft


class _Done(Exception):
    def __init__(self, submission: Submission) -> None:
        self.submission = submission


def _may_see(request: HttpRequest, submission: Submission) -> bool:
    """The account that sent it, members of the organisation it was sent for, or (guests)
    the browser session that sent it."""
    if submission.organisation_id is not None and request.user.is_authenticated and (
            request.user.memberships.filter(organisation_id=submission.organisation_id)
            .exists()):
        return True
    if submission.user_id is not None:
        return request.user.pk == submission.user_id
    return str(submission.draft_key) in request.session.get(GUEST_KEY, [])


def _visible_steps(form, answers, shown=None) -> list[dict]:
    """`shown`: form.visibility(answers) if the caller has it already."""
    shown = shown or form.visibility(answers)
    return [{"key": s.key, "title": s.title} for s in shown.steps]


def _step_context(request, draft: Draft, step_key: str, errors: dict, answers: dict,
                  shown=None) -> dict:
    """`shown`: form.visibility(answers) if the caller has it (evaluating the whole form is
    the dear part of a step page, so it is done once per request)."""
    form = actions.form_of(draft.version)
    shown = shown or form.visibility(answers)
    steps = _visible_steps(form, answers, shown)
    keys = [s["key"] for s in steps]
    index = keys.index(step_key)
    step = steps[index]
    refresh = reverse("submissions:step", args=[draft.pk, step_key])
    definition = form.definition
    return {
        "draft": draft, "service": draft.adoption.service, "authority": draft.authority,
        "steps": steps, "step": step, "index": index, "total": len(steps) + 1,
        "step_title": text(step.get("title")), "errors": errors,
        "error_summary": form_render.render_error_summary(definition, errors, step_key)
        if errors else "",
        "fields": form_render.render_step(
            definition, step_key, answers, errors,
            visible=shown.is_visible,
            options_for=options_of, refresh_url=refresh,
            uploads=actions.upload_names(draft), readonly_paths=engine.computed_paths(form)),
        "is_first": index == 0,
    }


@require_http_methods(["GET", "POST"])
def step(request: HttpRequest, pk, step_key: str) -> HttpResponse:
    try:
        draft = _draft(request, pk)
    except _Done as done:
        return redirect("submissions:done", done.submission.receipt_number)
    form = actions.form_of(draft.version)
    answers = draft.answers
    shown = form.visibility(answers)
    keys = [s["key"] for s in _visible_steps(form, answers, shown)]
    if step_key not in keys:
        return redirect("submissions:step", draft.pk, keys[0])
    errors: dict = {}
    if request.method == "POST":
        action = request.POST.get("_action", "next")
        files = {name: request.FILES.getlist(name) for name in request.FILES}
        quiet = action != "next" and action != "summary"
        notices: list[str] = []
        errors = actions.save_step(draft, step_key, request.POST, files, validate=not quiet,
                                   refused=bodylimit.refused_files(request), notices=notices)
        for notice in notices:
            messages.info(request, notice)
        answers = draft.answers
        if action.startswith("remove_upload:"):
            _kind, path, upload_id = action.split(":", 2)
            actions.remove_upload(draft, path, upload_id)
            answers = draft.answers
        shown = form.visibility(answers)
        if request.headers.get("HX-Request"):
            return render(request, "submissions/_step_form.html",
                          _step_context(request, draft, step_key, {}, answers, shown))
        keys = [s["key"] for s in _visible_steps(form, answers, shown)]
        if action == "back":
            index = keys.index(step_key) if step_key in keys else 1
            return redirect("submissions:step", draft.pk, keys[max(index - 1, 0)])
        if action == "save":
            messages.success(request, _("Your answers are saved. You can continue later."))
            return redirect("submissions:saved", draft.pk)
        if action == "next" and not errors:
            index = keys.index(step_key) if step_key in keys else -1
            if index + 1 < len(keys):
                return redirect("submissions:step", draft.pk, keys[index + 1])
            return redirect("submissions:summary", draft.pk)
        if action != "next":
            errors = {}
    context = _step_context(request, draft, step_key, errors, answers, shown)
    return render(request, "submissions/step.html", context, status=400 if errors else 200)


@require_http_methods(["GET"])
def saved(request: HttpRequest, pk) -> HttpResponse:
    try:
        draft = _draft(request, pk)
    except _Done as done:
        return redirect("submissions:done", done.submission.receipt_number)
    return render(request, "submissions/saved.html", {
        "draft": draft, "service": draft.adoption.service, "guest": draft.user_id is None})


@require_http_methods(["GET", "POST"])
def summary(request: HttpRequest, pk) -> HttpResponse:
    error, error_target = "", "declaration"
    if request.method == "POST":
        # Sending loads and locks the draft once, inside the submit transaction; the access
        # check runs on that locked row.
        try:
            submission = actions.submit(
                pk, user=request.user if request.user.is_authenticated else None,
                accepted=request.POST.get("declaration") == "1",
                check=lambda d: _check_access(request, d),
                payment=request.POST.get("payment_method", "")[:20])
        except actions.SubmitErrors as exc:
            messages.error(request, _("Some answers are missing or need correcting."))
            return redirect("submissions:step", pk, exc.step)
        except actions.ApplyError as exc:
            error = str(exc)
            if isinstance(exc, payment_actions.PaymentRequired):
                error_target = "pay-now"
        else:
            if not _may_see(request, submission):
                raise Http404
            return redirect("submissions:done", submission.receipt_number)
    try:
        draft = _draft(request, pk)
    except _Done as done:
        return redirect("submissions:done", done.submission.receipt_number)
    form = actions.form_of(draft.version)  # only the page needs it: submit loads its own
    answers = draft.answers
    cleaned, errors = form.validate(answers)
    steps = _visible_steps(form, answers)  # the progress list shows every step
    sections = actions.summary_sections(draft.version, answers, actions.upload_names(draft))
    fee = actions.compute_fee(draft.adoption, draft.version, cleaned)
    payment = payment_actions.summary_context(draft, fee)
    return render(request, "submissions/summary.html", {
        "draft": draft, "service": draft.adoption.service, "authority": draft.authority,
        "summary": form_render.render_summary(
            sections, lambda key: reverse("submissions:step", args=[draft.pk, key])),
        "incomplete": errors, "first_error_step": engine.step_of(form, next(iter(errors)))
        if errors else "",
        "fee": fee, "fee_text": None if fee is None else _euro(fee), "payment": payment,
        "error_target": error_target,
        "declaration": text(draft.version.declaration) or _(
            "I confirm that my answers are true and complete."),
        "error": error, "steps": steps, "total": len(steps) + 1,
    }, status=400 if error else 200)


def _submission(request: HttpRequest, receipt: str) -> Submission:
    submission = get_object_or_404(
        Submission.objects.select_related("adoption__service", "authority", "version"),
        receipt_number=receipt)
    if not _may_see(request, submission):
        raise Http404
    return submission


def done(request: HttpRequest, receipt: str) -> HttpResponse:
    submission = _submission(request, receipt)
    return render(request, "submissions/done.html", {
        "submission": submission, "service": submission.adoption.service,
        "authority": submission.authority, "email": submission.content.get("email", "")})


def receipt_pdf(request: HttpRequest, receipt: str) -> HttpResponse:
    submission = _submission(request, receipt)
    response = HttpResponse(receipts.render(submission), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{submission.receipt_number}.pdf"'
    return response


def resume(request: HttpRequest, token: str) -> HttpResponse:
    draft = actions.draft_for_token(token)
    if draft is None:
        return render(request, "submissions/resume_invalid.html", status=404)
    request.session[GUEST_KEY] = [*request.session.get(GUEST_KEY, []), str(draft.pk)][-20:]
    return redirect("submissions:step", draft.pk, draft.step or
                    actions.form_of(draft.version).step_keys[0])


@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    drafts = (Draft.objects.filter(user=request.user)
              .select_related("adoption__service", "authority"))
    organisations = request.user.memberships.values_list("organisation_id", flat=True)
    submissions = (Submission.objects.filter(Q(user=request.user)
                                             | Q(organisation_id__in=organisations))
                   .select_related("adoption__service", "authority", "organisation",
                                   "case"))
    return render(request, "submissions/account_list.html",
                  {"drafts": drafts, "submissions": submissions})


@login_required
@require_POST
def discard(request: HttpRequest, pk) -> HttpResponse:
    draft = get_object_or_404(Draft, pk=pk, user=request.user)
    actions.discard(draft)
    messages.success(request, _("The draft was deleted."))
    return redirect("submissions:account_list")

