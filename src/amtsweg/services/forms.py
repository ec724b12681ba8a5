"""Forms of the designer and adoption pages. They only parse input; the actions check it."""

import json
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amtsweg.accounts.models import TrustLevel
from amtsweg.catalog.models import Leistung
from amtsweg.core import safejson
from amtsweg.forms import codelists
from amtsweg.forms.schema import ITEM_TYPES, KEY_PATTERN, PREFILL_ATTRIBUTES

from . import editing
from .models import ServiceVersion

MAX_UPLOAD = 2 * 1024 * 1024


class JsonField(forms.CharField):
    """JSON text (a rule, a list of validations); empty means none."""

    widget = forms.Textarea

    def __init__(self, *args, kinds: tuple[type, ...] = (dict,), **kwargs) -> None:
        self.kinds = kinds
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        if not value.strip():
            return None
        try:
            data = safejson.loads(value)
        except safejson.JsonError as exc:
            raise forms.ValidationError(str(exc)) from None
        if not isinstance(data, self.kinds):
            raise forms.ValidationError(_("Enter a JSON object, for example "
                                          "{\"==\": [{\"var\": \"feld\"}, \"ja\"]}."))
        return data


class LeistungField(forms.CharField):
    def to_python(self, value: Any) -> Any:
        value = re.sub(r"\s", "", super().to_python(value) or "")
        if not value:
            return None
        if not re.fullmatch(r"99\d{12}", value):
            raise forms.ValidationError(_("A LeiKa key is 14 digits and starts with 99."))
        leistung = Leistung.objects.filter(leika_key=value).first()
        if leistung is None:
            raise forms.ValidationError(_("There is no Leistung with the key %(key)s.")
                                        % {"key": value})
        return leistung


COOPERATION_PREFIX = "ikz-"


class OwnerForm(forms.Form):
    """The owner of a new service: a Behörde where the person designs, or an IKZ cooperation
    of which a Kommune they design for is a member (values "ikz-<id>")."""

    owner = forms.ChoiceField(label=gettext_lazy("Owner"))

    def __init__(self, *args, authorities=None, cooperations=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._authorities = authorities
        self._cooperations = cooperations
        choices = [(str(a.pk), a.name) for a in authorities.order_by("name")]
        if cooperations is not None:
            choices += [(f"{COOPERATION_PREFIX}{c.pk}",
                         _("IKZ cooperation: %(name)s") % {"name": c.name})
                        for c in cooperations.order_by("name")]
        self.fields["owner"].choices = choices

    def clean_owner(self) -> Any:
        value = self.cleaned_data["owner"]
        if value.startswith(COOPERATION_PREFIX):
            found = self._cooperations.filter(pk=value.removeprefix(COOPERATION_PREFIX)).first()
        else:
            found = self._authorities.filter(pk=value).first()
        if found is None:
            raise forms.ValidationError(_("Choose one of the owners offered."))
        return found

    def owner_kwargs(self) -> dict:
        """The owner as the keyword `create_service` and friends take."""
        owner = self.cleaned_data["owner"]
        if owner._meta.model_name == "cooperation":
            return {"owner_cooperation": owner}
        return {"owner_authority": owner}


class CreateForm(OwnerForm):
    title_de = forms.CharField(label=gettext_lazy("Title (German)"), max_length=200)
    title_en = forms.CharField(label=gettext_lazy("Title (English)"), max_length=200,
                               required=False)
    leistung = LeistungField(label=gettext_lazy("Leistung (LeiKa key)"),
                             help_text=gettext_lazy("14 digits, for example 99027002012000."))


class UploadMixin:
    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        return upload.read()


class FimForm(UploadMixin, CreateForm):
    file = forms.FileField(label=gettext_lazy("XDatenfelder file (XML)"),
                           help_text=gettext_lazy("A Stammdatenschema or Datenfeldgruppe in "
                                                  "XDatenfelder 2.0 or 3.0.0."))


class ImportForm(UploadMixin, OwnerForm):
    file = forms.FileField(label=gettext_lazy("Amtsweg service file (JSON)"))

    def clean_file(self) -> Any:
        data = super().clean_file()
        try:
            return safejson.loads(data)
        except safejson.JsonError as exc:
            raise forms.ValidationError(
                _("The file is not valid JSON.") + " " + str(exc)) from None


class CopyForm(OwnerForm):
    source = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Service to copy"))

    def __init__(self, *args, sources=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = sources


class SettingsForm(forms.Form):
    trust_level = forms.ChoiceField(label=gettext_lazy("Trust level needed to apply"),
                                    choices=TrustLevel.choices, widget=forms.RadioSelect)
    applicants = forms.MultipleChoiceField(label=gettext_lazy("Who may apply"),
                                           choices=ServiceVersion.Applicant.choices,
                                           widget=forms.CheckboxSelectMultiple)
    fee = forms.CharField(label=gettext_lazy("Fee"), required=False,
                          help_text=gettext_lazy("Euros (12.50), or a JSON Logic rule over the "
                                                 "answers; empty: no fee."),
                          widget=forms.Textarea(attrs={"rows": 2}))
    fee_example = forms.BooleanField(label=gettext_lazy("This is an example fee"),
                                     required=False)
    fee_explanation_de = forms.CharField(label=gettext_lazy("Fee explanation (German)"),
                                         required=False, widget=forms.Textarea(attrs={"rows": 2}))
    fee_explanation_en = forms.CharField(label=gettext_lazy("Fee explanation (English)"),
                                         required=False, widget=forms.Textarea(attrs={"rows": 2}))
    processing_de = forms.CharField(label=gettext_lazy("Processing (German)"), required=False,
                                    widget=forms.Textarea(attrs={"rows": 2}))
    processing_en = forms.CharField(label=gettext_lazy("Processing (English)"), required=False,
                                    widget=forms.Textarea(attrs={"rows": 2}))
    declaration_de = forms.CharField(label=gettext_lazy("Declaration (German)"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 2}))
    declaration_en = forms.CharField(label=gettext_lazy("Declaration (English)"),
                                     required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_fee(self) -> Any:
        return parse_fee(self.cleaned_data["fee"])

    @staticmethod
    def initial_for(version: ServiceVersion) -> dict:
        fee = version.fee or {}
        return {
            "trust_level": version.trust_level, "applicants": version.applicants,
            "fee": fee_text(fee.get("amount")), "fee_example": bool(fee.get("example")),
            "fee_explanation_de": (fee.get("explanation") or {}).get("de", ""),
            "fee_explanation_en": (fee.get("explanation") or {}).get("en", ""),
            **{f"{k}_{lang}": (getattr(version, k) or {}).get(lang, "")
               for k in ("processing", "declaration") for lang in ("de", "en")},
        }

    def changes(self, version: ServiceVersion) -> dict:
        d = self.cleaned_data
        fee = {k: v for k, v in (version.fee or {}).items()
               if k not in ("amount", "example", "explanation")}
        if d["fee"] is not None:
            fee["amount"] = d["fee"]
        if d["fee_example"]:
            fee["example"] = True
        if explanation := editing.text_pair(d["fee_explanation_de"], d["fee_explanation_en"]):
            fee["explanation"] = explanation
        return {"trust_level": d["trust_level"], "applicants": d["applicants"], "fee": fee,
                **{k: editing.text_pair(d[f"{k}_de"], d[f"{k}_en"]) or {}
                   for k in ("processing", "declaration")}}


def parse_fee(value: str) -> Any:
    """"12,50" → 12.5, a JSON rule → the rule, "" → None."""
    value = (value or "").strip()
    if not value:
        return None
    number = value.replace(",", ".")
    if re.fullmatch(r"\d{1,7}(\.\d{1,2})?", number):
        amount = Decimal(number)
        return int(amount) if amount == amount.to_integral() else float(amount)
    try:
        rule = safejson.loads(value)
    except safejson.JsonError:
        raise forms.ValidationError(_("Enter an amount in euros (for example 12.50) or a JSON "
                                      "Logic rule.")) from None
    if not isinstance(rule, dict | int | float) or isinstance(rule, bool):
        raise forms.ValidationError(_("Enter an amount in euros (for example 12.50) or a JSON "
                                      "Logic rule."))
    return rule


def fee_text(amount: Any) -> str:
    if amount is None:
        return ""
    if isinstance(amount, int | float):
        return f"{amount:.2f}" if isinstance(amount, float) else str(amount)
    return json.dumps(amount, ensure_ascii=False)


class StepForm(forms.Form):
    title_de = forms.CharField(label=gettext_lazy("Step title (German)"), max_length=200)
    title_en = forms.CharField(label=gettext_lazy("Step title (English)"), max_length=200,
                               required=False)
    key = forms.RegexField(label=gettext_lazy("Key"), regex=KEY_PATTERN, required=False,
                           help_text=gettext_lazy("Lower-case letters, digits and _; empty: "
                                                  "derived from the title."))


ITEM_TYPE_LABELS = {
    "text": gettext_lazy("Text (one line)"), "textarea": gettext_lazy("Text (several lines)"),
    "integer": gettext_lazy("Whole number"), "decimal": gettext_lazy("Decimal number"),
    "currency": gettext_lazy("Amount in euros"), "date": gettext_lazy("Date"),
    "boolean": gettext_lazy("Yes/no (checkbox)"), "choice": gettext_lazy("Choice of one"),
    "multichoice": gettext_lazy("Choice of several"), "email": gettext_lazy("E-mail address"),
    "phone": gettext_lazy("Phone number"), "iban": gettext_lazy("IBAN"),
    "address": gettext_lazy("Address"), "file": gettext_lazy("File upload"),
    "info": gettext_lazy("Information text"), "group": gettext_lazy("Group of fields"),
}


class AddItemForm(forms.Form):
    type = forms.ChoiceField(label=gettext_lazy("Type"),
                             choices=[(k, ITEM_TYPE_LABELS[k]) for k in ITEM_TYPES])
    label_de = forms.CharField(label=gettext_lazy("Label (German)"), max_length=500)
    label_en = forms.CharField(label=gettext_lazy("Label (English)"), max_length=500,
                               required=False)
    key = forms.RegexField(label=gettext_lazy("Key"), regex=KEY_PATTERN, required=False,
                           help_text=gettext_lazy("Empty: derived from the label."))


def _opt_int(label: str, **kw) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=False, **kw)


class ItemForm(forms.Form):
    """One item; which fields apply depends on its type (the template shows only those)."""

    key = forms.RegexField(label=gettext_lazy("Key"), regex=KEY_PATTERN,
                           help_text=gettext_lazy("Name of the answer: lower-case letters, "
                                                  "digits and _."))
    label_de = forms.CharField(label=gettext_lazy("Label (German)"), required=False,
                               max_length=2000)
    label_en = forms.CharField(label=gettext_lazy("Label (English)"), required=False,
                               max_length=2000)
    text_de = forms.CharField(label=gettext_lazy("Text (German)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 4}))
    text_en = forms.CharField(label=gettext_lazy("Text (English)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 4}))
    help_de = forms.CharField(label=gettext_lazy("Help text (German)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))
    help_en = forms.CharField(label=gettext_lazy("Help text (English)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))
    required = forms.BooleanField(label=gettext_lazy("Required"), required=False)
    min_length = _opt_int(gettext_lazy("Minimum length"), min_value=0)
    max_length = _opt_int(gettext_lazy("Maximum length"), min_value=1)
    min = forms.CharField(label=gettext_lazy("Minimum"), required=False)
    max = forms.CharField(label=gettext_lazy("Maximum"), required=False)
    decimals = _opt_int(gettext_lazy("Decimal places"), min_value=0, max_value=6)
    pattern = forms.CharField(label=gettext_lazy("Pattern (regular expression)"),
                              required=False, max_length=200)
    pattern_message_de = forms.CharField(label=gettext_lazy("Message if the pattern does not "
                                                            "match (German)"), required=False)
    pattern_message_en = forms.CharField(label=gettext_lazy("Message if the pattern does not "
                                                            "match (English)"), required=False)
    options = forms.CharField(
        label=gettext_lazy("Options"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("One per line: value|Label German|Label English"))
    codelist = forms.ChoiceField(label=gettext_lazy("Or a code list"), required=False)
    widget = forms.ChoiceField(label=gettext_lazy("Shown as"), required=False, choices=[
        ("", gettext_lazy("automatic")), ("radio", gettext_lazy("radio buttons")),
        ("select", gettext_lazy("drop-down list"))])
    min_items = _opt_int(gettext_lazy("Choose at least"), min_value=0)
    max_items = _opt_int(gettext_lazy("Choose at most"), min_value=0)
    file_types = forms.CharField(label=gettext_lazy("File types"), required=False,
                                 help_text=gettext_lazy("Comma-separated, for example "
                                                        "application/pdf, image/jpeg"))
    file_max_size = forms.DecimalField(label=gettext_lazy("Maximum size per file (MB)"),
                                       required=False, min_value=Decimal("0.01"),
                                       decimal_places=2)
    file_max_count = _opt_int(gettext_lazy("Maximum number of files"), min_value=1)
    file_min_count = _opt_int(gettext_lazy("Minimum number of files"), min_value=0)
    repeat = forms.BooleanField(label=gettext_lazy("Repeatable (the applicant can add "
                                                   "entries)"), required=False)
    repeat_min = _opt_int(gettext_lazy("Minimum entries"), min_value=0)
    repeat_max = _opt_int(gettext_lazy("Maximum entries"), min_value=1, max_value=100)
    prefill = forms.ChoiceField(label=gettext_lazy("Prefill from the profile"), required=False)
    visible = JsonField(label=gettext_lazy("Visible if (JSON Logic rule)"),
                        help_text=gettext_lazy("Empty: always visible."))
    compute = JsonField(label=gettext_lazy("Computed value (JSON Logic rule)"),
                        help_text=gettext_lazy("Empty: the applicant enters the value."))
    validations = JsonField(
        label=gettext_lazy("Validations (JSON)"), kinds=(list,),
        help_text=gettext_lazy('A list of {"rule": …, "message": {"de": …, "en": …}}.'))

    def __init__(self, *args, kind: str = "text", **kwargs) -> None:
        kwargs.setdefault("prefix", "item")
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["codelist"].choices = [("", "—")] + [(n, n)
                                                         for n in sorted(codelists.names())]
        self.fields["prefill"].choices = [("", "—")] + [(n, n) for n in PREFILL_ATTRIBUTES]
        if kind != "info":
            self.fields["label_de"].required = True

    def clean_options(self) -> list[dict]:
        try:
            return editing.parse_options(self.cleaned_data["options"])
        except ValueError as exc:
            raise forms.ValidationError(
                _("Line %(n)s: write value|Label German|Label English.") % {"n": exc.args[0]}
            ) from None

    def clean_file_types(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["file_types"].split(",") if t.strip()]

    def _limit(self, name: str) -> Any:
        value = self.cleaned_data[name].strip()
        if not value:
            return None
        if self.kind == "date":
            return value
        try:
            number = Decimal(value.replace(",", "."))
        except ArithmeticError:
            raise forms.ValidationError(_("Enter a number.")) from None
        if self.kind == "integer" or number == number.to_integral():
            if number != number.to_integral():
                raise forms.ValidationError(_("Enter a whole number."))
            return int(number)
        return float(number)

    def clean_min(self) -> Any:
        return self._limit("min")

    def clean_max(self) -> Any:
        return self._limit("max")

    def visible_fields_for_kind(self) -> dict[str, bool]:
        return shown_fields(self.kind)


def shown_fields(kind: str) -> dict[str, bool]:
    answer = kind not in ("info", "group")
    return {
        "label": kind != "info", "text": kind == "info", "help": True, "required": answer,
        "length": kind in ("text", "textarea"), "pattern": kind == "text",
        "range": kind in ("integer", "decimal", "currency", "date"),
        "decimals": kind == "decimal", "options": kind in ("choice", "multichoice"),
        "widget": kind == "choice", "items": kind == "multichoice", "file": kind == "file",
        "repeat": kind == "group", "rules": answer, "prefill": answer,
    }


class JsonDefinitionForm(forms.Form):
    definition = JsonField(label=gettext_lazy("Whole form definition (JSON)"), required=True,
                           widget=forms.Textarea(attrs={"rows": 24}))


class AdoptionForm(forms.Form):
    fee = forms.CharField(label=gettext_lazy("Local fee"), required=False,
                          widget=forms.Textarea(attrs={"rows": 2}),
                          help_text=gettext_lazy("Empty: the service's fee. Euros (12.50) or a "
                                                 "JSON Logic rule."))
    processing = forms.CharField(label=gettext_lazy("Processing time"), required=False,
                                 max_length=300)
    email = forms.EmailField(label=gettext_lazy("Contact e-mail"), required=False)
    phone = forms.CharField(label=gettext_lazy("Contact phone"), required=False, max_length=40)
    holder = forms.CharField(label=gettext_lazy("Account holder"), required=False,
                             max_length=70)
    iban = forms.CharField(label=gettext_lazy("IBAN"), required=False, max_length=42)
    bic = forms.CharField(label=gettext_lazy("BIC"), required=False, max_length=11)
    signer_name = forms.CharField(label=gettext_lazy("Signed by (name)"), required=False,
                                  max_length=120)
    signer_role = forms.CharField(label=gettext_lazy("Signed by (role)"), required=False,
                                  max_length=120)

    def clean_fee(self) -> Any:
        return parse_fee(self.cleaned_data["fee"])

    def clean_iban(self) -> str:
        return re.sub(r"\s", "", self.cleaned_data["iban"]).upper()

    def params(self) -> dict:
        d = self.cleaned_data
        return {
            "fee": d["fee"], "processing": d["processing"],
            "contact": {k: d[k] for k in ("email", "phone") if d[k]},
            "payment_account": {k: d[k] for k in ("holder", "iban", "bic") if d[k]},
            "signer": {k: d[f"signer_{k}"] for k in ("name", "role") if d[f"signer_{k}"]},
        }

    @staticmethod
    def initial_for(adoption) -> dict:
        if adoption is None:
            return {}
        return {"fee": fee_text(adoption.fee), "processing": adoption.processing,
                **{k: (adoption.contact or {}).get(k, "") for k in ("email", "phone")},
                **{k: (adoption.payment_account or {}).get(k, "")
                   for k in ("holder", "iban", "bic")},
                **{f"signer_{k}": (adoption.signer or {}).get(k, "") for k in ("name", "role")}}
