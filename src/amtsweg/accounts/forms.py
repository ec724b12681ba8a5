from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

INPUT = {"class": "kern-form-input__input"}


class RegistrationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254,
                             widget=forms.EmailInput(attrs={**INPUT, "autocomplete": "email"}))
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False,
                                 widget=forms.TextInput(attrs={**INPUT,
                                                               "autocomplete": "given-name"}))
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False,
                                widget=forms.TextInput(attrs={**INPUT,
                                                              "autocomplete": "family-name"}))
    password1 = forms.CharField(
        label=_("Password"), strip=False,
        help_text=_("At least 12 characters. A sentence you can remember is a good password."),
        widget=forms.PasswordInput(attrs={**INPUT, "autocomplete": "new-password"}))
    password2 = forms.CharField(
        label=_("Repeat the password"), strip=False,
        widget=forms.PasswordInput(attrs={**INPUT, "autocomplete": "new-password"}))
    privacy = forms.BooleanField(
        label=_("I have read the privacy notice and agree that my data is processed for the "
                "Servicekonto."),
        error_messages={"required": _("Confirm that you have read the privacy notice and "
                                      "agree.")},
        widget=forms.CheckboxInput(attrs={"class": "kern-form-check__checkbox"}))

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords are not the same."))
        if p1:
            from .models import User

            # the unsaved account, so that the similarity rule sees the address and names
            candidate = User(email=data.get("email") or "", first_name=data.get("first_name")
                             or "", last_name=data.get("last_name") or "")
            try:
                password_validation.validate_password(p1, candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class LoginForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254,
                             widget=forms.EmailInput(attrs={**INPUT, "autocomplete": "username"}))
    password = forms.CharField(label=_("Password"), strip=False, max_length=256,
                               widget=forms.PasswordInput(attrs={
                                   **INPUT, "autocomplete": "current-password"}))


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=20,
        help_text=_("The 6 digits your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(attrs={**INPUT, "autocomplete": "one-time-code",
                                      "inputmode": "numeric"}))


class ConfirmForm(forms.Form):
    """Re-authentication before the second factor changes (issue 11, finding 8)."""

    confirm = forms.CharField(
        label=_("Your password or a current code from your present app"), strip=False,
        max_length=256, widget=forms.PasswordInput(attrs={
            **INPUT, "autocomplete": "current-password"}))

    def __init__(self, *args, first_device: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if first_device:
            self.fields["confirm"].label = _("Your password")


class TotpSetupForm(ConfirmForm):
    code = forms.CharField(
        label=_("Code"), max_length=20,
        help_text=_("The 6 digits the new app shows."),
        widget=forms.TextInput(attrs={**INPUT, "autocomplete": "one-time-code",
                                      "inputmode": "numeric"}))
    field_order = ["code", "confirm"]

    def __init__(self, *args, recent_login: bool = False, **kwargs) -> None:
        """`recent_login`: the first app right after a login needs no password again."""
        super().__init__(*args, **kwargs)
        if recent_login:
            del self.fields["confirm"]


class ResendForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254,
                             widget=forms.EmailInput(attrs={**INPUT, "autocomplete": "email"}))


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, with the mail going through the task queue like every mail."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email,
                  to_email, html_email_template_name=None) -> None:
        from amtsweg.core.mail import queue_email

        queue_email(to_email, render_to_string(subject_template_name, context),
                    render_to_string(email_template_name, context))


class StaffGrantForm(forms.Form):
    """Grant a staff role at one of the Behörden the administrator manages."""

    authority = forms.TypedChoiceField(label=_("Authority"), coerce=int, error_messages={
        "invalid_choice": _("Choose one of the authorities you administer.")})
    email = forms.EmailField(label=_("E-mail address"), max_length=254, widget=forms.EmailInput(
        attrs={**INPUT, "autocomplete": "off"}))
    role = forms.ChoiceField(label=_("Role"), error_messages={
        "invalid_choice": _("Choose one of the roles offered.")})
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False,
                                 help_text=_("Only used when the person has no account yet."),
                                 widget=forms.TextInput(attrs=INPUT))
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False,
                                widget=forms.TextInput(attrs=INPUT))

    def __init__(self, *args, authorities: list[tuple[int, str]], **kwargs) -> None:
        from .models import StaffRole

        super().__init__(*args, **kwargs)
        self.fields["authority"].choices = authorities
        self.fields["role"].choices = StaffRole.Role.choices
