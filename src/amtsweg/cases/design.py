"""The designer's Bescheid page of a service version (/verwaltung/dienste/<slug>/v<n>/bescheid/):
write the notice text in a small markup, see the placeholders, preview the PDF with sample
answers. Access like the form editor (designers of the service's owner; anything else 404);
saving goes through `actions.save_notice_text`."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from amtsweg.documents.render import DocumentError
from amtsweg.forms.types import label_of
from amtsweg.services.models import ServiceVersion
from amtsweg.services.views.common import designer_view, version_for_design
from amtsweg.submissions.actions import form_of

from . import actions, notices, noticetext, workflow
from .models import NoticeText

LANGUAGES = [("de", "Deutsch"), ("en", "English")]


class NoticeTextForm(forms.Form):
    body_de = forms.CharField(
        label=gettext_lazy("Notice text (German)"), required=False, strip=False,
        widget=forms.Textarea(attrs={"rows": 18}), help_text=gettext_lazy(
            "Replaces the decision, reasons and fee of the standard notice; letterhead, "
            "receipt number, legal remedy and signature stay. Empty: the standard notice."))
    body_en = forms.CharField(
        label=gettext_lazy("Notice text (English)"), required=False, strip=False,
        widget=forms.Textarea(attrs={"rows": 10}), help_text=gettext_lazy(
            "For applicants who use the English pages; without it they get the German text."))
    lock_version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class PreviewForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome in the preview"))
    lang = forms.ChoiceField(label=gettext_lazy("Language of the preview"), choices=LANGUAGES)

    def __init__(self, *args, outcomes: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = outcomes

    def choice(self, outcomes: list[tuple[str, str]]) -> tuple[str, str]:
        """The chosen outcome and language; the first outcome and German for what is unset
        or not one of the choices."""
        chosen: dict = {}
        if self.is_bound:
            self.is_valid()  # cleaned_data keeps the fields that are valid
            chosen = self.cleaned_data
        return (chosen.get("outcome") or (outcomes[0][0] if outcomes else ""),
                chosen.get("lang") or "de")


def _outcomes(version: ServiceVersion) -> list[tuple[str, str]]:
    lang = (get_language() or "de")[:2]
    return [(key, label_of(label, lang))
            for key, label in workflow.of(version).get("outcomes", {}).items()]


def _answer_placeholders(version: ServiceVersion) -> list[tuple[str, str]]:
    """(placeholder, label) of each form field, the labels of enclosing groups in front."""
    lang = (get_language() or "de")[:2]
    form = form_of(version)
    rows = []
    for path in noticetext.answer_fields(form):
        parts = path.split(".")
        labels = [label_of(form.by_path[".".join(parts[:i + 1])].label, lang) or parts[i]
                  for i in range(len(parts))]
        rows.append((f"{{{{ {noticetext.ANSWERS}{path} }}}}", " – ".join(labels)))
    return rows


def _page(request: HttpRequest, version: ServiceVersion, form: NoticeTextForm,
          options: PreviewForm, *, status: int = 200, error: str = "",
          warnings: list[str] | None = None) -> HttpResponse:
    outcomes = _outcomes(version)
    example = outcomes[0][0] if outcomes else "bewilligt"
    return render(request, "cases/notice_text.html", {
        "section": "design", "service": version.service, "version": version,
        "editable": version.editable, "form": form, "options": options, "error": error,
        "warnings": warnings or [], "template": version.notice_template or "notice",
        "fixed": [(f"{{{{ {name} }}}}", description)
                  for name, description in noticetext.FIXED.items()],
        "answers": _answer_placeholders(version), "outcomes": outcomes,
        "block_start": f"{{{{#{example}}}}}", "block_end": f"{{{{/{example}}}}}",
    }, status=status)


def _attach(form: NoticeTextForm, problems: list[tuple[str, str]]) -> None:
    for field, message in problems:
        form.add_error(field if field in form.fields else None, message)


def _initial(text: NoticeText | None) -> dict:
    if text is None:
        return {"body_de": "", "body_en": "", "lock_version": 0}
    return {"body_de": text.body_de, "body_en": text.body_en, "lock_version": text.lock_version}


@designer_view
@require_http_methods(["GET", "HEAD", "POST"])
def edit(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    version = version_for_design(request, slug, number)
    text = NoticeText.objects.filter(version=version).first()
    options = PreviewForm(outcomes=_outcomes(version))
    if request.method != "POST":
        warnings = [message for _field, message in actions.notice_text_problems(
            version, text.body_de, text.body_en)] if text is not None else []
        return _page(request, version, NoticeTextForm(initial=_initial(text)), options,
                     warnings=warnings)
    form = NoticeTextForm(request.POST)
    if not form.is_valid():
        return _page(request, version, form, options, status=400)
    d = form.cleaned_data
    try:
        actions.save_notice_text(request.user, version, body_de=d["body_de"],
                                 body_en=d["body_en"], lock_version=d["lock_version"] or 0)
    except PermissionError as exc:
        raise PermissionDenied from exc
    except actions.NoticeTextError as exc:
        _attach(form, exc.problems)
        return _page(request, version, form, options, status=400)
    except actions.CaseError as exc:
        form.add_error(None, str(exc))
        return _page(request, version, form, options,
                     status=409 if isinstance(exc, actions.Conflict) else 400)
    messages.success(request, _("The notice text was saved."))
    return redirect("notice_text:edit", slug=slug, number=number)


@designer_view
@require_http_methods(["GET", "HEAD", "POST"])
def preview(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """The notice as a PDF with sample answers: of the posted (unsaved) text of a draft, or
    of the saved text (GET, and for versions that are no longer drafts). Problems of the
    text are shown on the page instead."""
    version = version_for_design(request, slug, number)
    outcomes = _outcomes(version)
    options = PreviewForm(request.POST if request.method == "POST" else request.GET or None,
                          outcomes=outcomes)
    outcome, lang = options.choice(outcomes)
    stored = NoticeText.objects.filter(version=version).first()
    if request.method == "POST" and version.editable:
        form = NoticeTextForm(request.POST)
        if not form.is_valid():
            return _page(request, version, form, options, status=400)
        text = NoticeText(version=version, body_de=form.cleaned_data["body_de"],
                          body_en=form.cleaned_data["body_en"])
    else:
        form = NoticeTextForm(initial=_initial(stored))
        text = stored
    if text is not None and (problems := actions.notice_text_problems(
            version, text.body_de, text.body_en)):
        if form.is_bound:
            _attach(form, problems)
            return _page(request, version, form, options, status=400)
        return _page(request, version, form, options, status=400,
                     warnings=[message for _field, message in problems])
    try:
        pdf = notices.preview(version, outcome=outcome, lang=lang, text=text)
    except DocumentError as exc:
        return _page(request, version, form, options, status=500, error=_(
            "The preview could not be made: %(error)s") % {"error": exc})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        False, f"Bescheid-Vorschau-{slug}-v{number}-{outcome}.pdf")
    response["Cache-Control"] = "private, no-store"
    return response
