"""Nachnutzung for the Kommunal-Admin: find published services of any owner, adopt one for
an own Behörde with local parameters, change or end the adoption, move it to a newer version."""

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import actions
from ..forms import AdoptionForm
from ..models import Adoption, OnlineService, ServiceVersion
from .common import admin_view


def _published_services():
    published = ServiceVersion.objects.filter(state=ServiceVersion.State.PUBLISHED)
    return (OnlineService.objects.filter(pk__in=published.values("service_id"))
            .select_related("leistung", "owner_authority", "owner_area", "owner_cooperation"))


def _my_adoptions(user):
    return (Adoption.objects.filter(authority__in=actions.adopting_authorities(user))
            .select_related("authority", "service", "version").order_by("service__slug",
                                                                         "authority__name"))


@admin_view
@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    services = _published_services()
    if q:
        services = services.filter(Q(slug__icontains=q) | Q(title__icontains=q)
                                   | Q(leistung__leika_key__startswith=q)
                                   | Q(leistung__name__icontains=q))
    return render(request, "services/adoption_list.html", {
        "q": q, "services": services.order_by("slug")[:200],
        "adoptions": _my_adoptions(request.user)})


class AdoptForm(AdoptionForm):
    authority = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Offered by"),
                                       empty_label=None)
    version = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Version"),
                                     empty_label=None)

    field_order = ["authority", "version"]

    def __init__(self, *args, authorities=None, versions=None, fixed_authority=False,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["authority"].queryset = authorities
        self.fields["authority"].label_from_instance = lambda a: a.name
        self.fields["version"].queryset = versions
        self.fields["version"].label_from_instance = lambda v: _(
            "Version %(n)d, published %(date)s") % {
                "n": v.number, "date": v.published_at.strftime("%d.%m.%Y")
                if v.published_at else "—"}
        if fixed_authority:
            self.fields["authority"].disabled = True


def _save(request: HttpRequest, form: AdoptForm, template: str, ctx: dict,
          adoption: Adoption | None = None) -> HttpResponse:
    if form.is_valid():
        authority = adoption.authority if adoption else form.cleaned_data["authority"]
        try:
            saved = actions.adopt(request.user, authority, form.cleaned_data["version"],
                                  form.params())
        except actions.ServiceError as exc:
            for p in exc.problems:
                name = {"fee": "fee", "payment_account.iban": "iban"}.get(p.path)
                form.add_error(name, p.message)
        except PermissionError:
            form.add_error("authority", _("You may not adopt services for this authority."))
        else:
            messages.success(request, _("%(service)s is offered by %(authority)s.") % {
                "service": saved.service.title_text, "authority": saved.authority.name})
            return redirect("services:adoption_list")
    return render(request, template, {**ctx, "form": form}, status=400)


@admin_view
@require_http_methods(["GET", "POST"])
def adopt(request: HttpRequest, slug: str) -> HttpResponse:
    service = get_object_or_404(_published_services(), slug=slug)
    versions = service.versions.filter(state=ServiceVersion.State.PUBLISHED).order_by("-number")
    authorities = actions.adopting_authorities(request.user).order_by("name")
    ctx = {"service": service, "adoption": None}
    if request.method == "POST":
        form = AdoptForm(request.POST, authorities=authorities, versions=versions)
        return _save(request, form, "services/adopt.html", ctx)
    form = AdoptForm(authorities=authorities, versions=versions,
                     initial={"version": versions.first()})
    return render(request, "services/adopt.html", {**ctx, "form": form})


def _own_adoption(request: HttpRequest, pk: int) -> Adoption:
    adoption = get_object_or_404(Adoption.objects.select_related("authority", "service",
                                                                 "version"), pk=pk)
    if not actions.can_adopt(request.user, adoption.authority):
        raise Http404
    return adoption


@admin_view
@require_http_methods(["GET", "POST"])
def adoption_edit(request: HttpRequest, pk: int) -> HttpResponse:
    adoption = _own_adoption(request, pk)
    service = adoption.service
    versions = service.versions.filter(state=ServiceVersion.State.PUBLISHED).order_by("-number")
    if adoption.version.state != ServiceVersion.State.PUBLISHED:
        versions = versions | service.versions.filter(pk=adoption.version_id)
    authorities = actions.adopting_authorities(request.user).filter(pk=adoption.authority_id)
    newer = versions.filter(number__gt=adoption.version.number,
                            state=ServiceVersion.State.PUBLISHED).first()
    ctx = {"service": service, "adoption": adoption, "newer": newer}
    kwargs = {"authorities": authorities, "versions": versions, "fixed_authority": True}
    if request.method == "POST":
        form = AdoptForm(request.POST, initial={"authority": adoption.authority}, **kwargs)
        return _save(request, form, "services/adopt.html", ctx, adoption)
    form = AdoptForm(initial={**AdoptionForm.initial_for(adoption),
                              "authority": adoption.authority, "version": adoption.version},
                     **kwargs)
    return render(request, "services/adopt.html", {**ctx, "form": form})


@admin_view
@require_POST
def adoption_end(request: HttpRequest, pk: int) -> HttpResponse:
    adoption = _own_adoption(request, pk)
    actions.end_adoption(request.user, adoption)
    messages.success(request, _("%(authority)s no longer offers %(service)s online.") % {
        "authority": adoption.authority.name, "service": adoption.service.title_text})
    return redirect("services:adoption_list")
