"""Forms of the cooperation pages. They parse input; the actions check the rules."""

import re
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amtsweg.core.text import fold
from amtsweg.territory.models import Area

from . import access
from .models import Cooperation, TaskArea


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class CooperationForm(forms.ModelForm):
    class Meta:
        model = Cooperation
        fields = ["name", "task_area", "lead", "description", "starts_on", "ends_on"]
        widgets = {"starts_on": DateInput(), "ends_on": DateInput(),
                   "description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, leads=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = leads.order_by("name")
        self.fields["lead"].label_from_instance = lambda a: f"{a.display_name} ({a.ags})"
        self.fields["lead"].empty_label = None
        self.fields["task_area"].choices = TaskArea.choices
        self.fields["starts_on"].help_text = gettext_lazy("For example 2026-01-01.")
        self.fields["ends_on"].help_text = gettext_lazy("Empty: open-ended.")

    def changes(self) -> dict:
        return {k: self.cleaned_data[k] for k in self.Meta.fields}


AGS_IN_TEXT = re.compile(r"(?:^|\()\s*(\d{5}|\d{8})\s*\)?$")


def kommune_label(area: Area) -> str:
    return f"{area.display_name} ({area.ags})"


class KommuneField(forms.CharField):
    """A Gemeinde or Kreis by AGS, by "Name (AGS)" (as the suggestions offer it) or by its
    exact name."""

    def to_python(self, value: Any) -> Any:
        value = (super().to_python(value) or "").strip()[:200]
        if not value:
            return None
        match = AGS_IN_TEXT.search(value)
        if match:
            area = access.kommunen().filter(ags=match.group(1)).first()
            if area is None:
                raise forms.ValidationError(_("There is no Gemeinde or Kreis with the AGS "
                                              "%(ags)s.") % {"ags": match.group(1)})
            return area
        wanted = fold(value)
        found = [a for a in access.kommunen()
                 if fold(a.display_name) == wanted or fold(a.name) == wanted]
        if len(found) == 1:
            return found[0]
        if found:
            raise forms.ValidationError(_("Several match: %(names)s. Choose one by its AGS.")
                                        % {"names": ", ".join(kommune_label(a) for a in found)})
        raise forms.ValidationError(_("There is no Gemeinde or Kreis named “%(name)s”. Enter "
                                      "its name or AGS.") % {"name": value})


class MemberForm(forms.Form):
    kommune = KommuneField(label=gettext_lazy("Gemeinde or Kreis"),
                           help_text=gettext_lazy("Name or AGS, for example Battenberg (Eder) "
                                                  "or 06635004."))
    joined_on = forms.DateField(label=gettext_lazy("Member since"), required=False,
                                widget=DateInput(), help_text=gettext_lazy("Empty: today."))


class SharedStaffForm(forms.Form):
    role = forms.CharField(label=gettext_lazy("Role"), max_length=200,
                           help_text=gettext_lazy("For example IT-Koordination or "
                                                  "Informationssicherheitsbeauftragte:r."))
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    account = forms.ModelChoiceField(queryset=None, required=False,
                                     label=gettext_lazy("Or link a staff account"),
                                     empty_label="—")
    employer = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Employed by"),
                                      empty_label=None)
    hours_per_week = forms.DecimalField(label=gettext_lazy("Hours per week"), required=False,
                                        min_value=0, max_value=60, decimal_places=1)
    name_public = forms.BooleanField(
        label=gettext_lazy("Public role: the name may be shown on the public page"),
        required=False)

    def __init__(self, *args, accounts=None, employers=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts
        self.fields["account"].label_from_instance = (
            lambda u: f"{u.first_name} {u.last_name}".strip() or u.email)
        self.fields["employer"].queryset = employers
        self.fields["employer"].label_from_instance = kommune_label


ALL = "alle"


class AdoptForm(forms.Form):
    """Which services, for which of the person's member Kommunen."""

    service = forms.ChoiceField(label=gettext_lazy("Services"))
    kommune = forms.ChoiceField(label=gettext_lazy("For"))

    def __init__(self, *args, services=(), areas=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._services = {str(s.pk): s for s in services}
        self._areas = {str(a.pk): a for a in areas}
        self.fields["service"].choices = [(ALL, _("all published services"))] + [
            (pk, s.title_text) for pk, s in self._services.items()]
        area_choices = [(pk, a.display_name) for pk, a in self._areas.items()]
        self.fields["kommune"].choices = (
            [(ALL, _("all my member Kommunen"))] if len(area_choices) > 1 else []) + area_choices

    def clean_service(self):
        value = self.cleaned_data["service"]
        return None if value == ALL else self._services[value]

    def clean_kommune(self):
        value = self.cleaned_data["kommune"]
        return None if value == ALL else [self._areas[value]]
