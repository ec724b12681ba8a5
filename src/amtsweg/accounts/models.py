"""Servicekonto: person accounts that log in with their e-mail address."""

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from amtsweg.core import crypto


class TrustLevel(models.TextChoices):
    """Vertrauensniveau of a login (eIDAS/TR-03107): what the session may open."""

    BASIS = "basis", _("basic")
    SUBSTANZIELL = "substanziell", _("substantial")
    HOCH = "hoch", _("high")

    @classmethod
    def rank(cls, level: str) -> int:
        return [cls.BASIS, cls.SUBSTANZIELL, cls.HOCH].index(level)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> "User":
        extra.update(is_staff=True, is_superuser=True, email_verified_at=timezone.now())
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail address"), unique=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    email_verified_at = models.DateTimeField(_("e-mail confirmed"), null=True, blank=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    session_version = models.PositiveIntegerField(
        default=0, help_text=_("Raised by 'log out everywhere': ends every session."))

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email

    def get_session_auth_hash(self) -> str:
        """Sessions carry this hash; changing the password or the session version ends them."""
        return salted_hmac(
            "amtsweg.accounts.session", f"{self.password}:{self.session_version}",
            algorithm="sha256",
        ).hexdigest()

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class TotpDevice(models.Model):
    """The account's authenticator app (TOTP, RFC 6238); the secret is encrypted at rest."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp")
    secret_encrypted = models.TextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(
        default=0, help_text=_("Time step of the last accepted code: each code works once."))
    failed_attempts = models.PositiveIntegerField(
        default=0, help_text=_("Wrong codes since the last right one, across logins."))
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")

    def __str__(self) -> str:
        return f"TOTP {self.user_id}"

    def context(self) -> str:
        """Associated data of the encrypted secret (core.crypto)."""
        return f"totp:{self.user_id}"


class RecoveryCode(models.Model):
    """Single-use codes for when the authenticator app is lost; only a keyed hash is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery code {self.pk} of {self.user_id}"


class Identity(models.Model):
    """An identity confirmed by a provider (eID, BundID) and linked to the account."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="identities")
    provider = models.CharField(max_length=50)
    subject = models.CharField(max_length=255, help_text=_("The provider's pseudonym"))
    level = models.CharField(max_length=20, choices=TrustLevel.choices)
    linked_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "subject"],
                                               name="unique_identity")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.subject}"


class ProfileAttribute(models.Model):
    """One profile value, encrypted at rest, with where it came from and how sure that is."""

    class Source(models.TextChoices):
        TYPED = "typed", _("entered by you")
        EID = "eid", _("confirmed by eID")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="attributes")
    name = models.CharField(max_length=50)
    value_encrypted = models.TextField()
    source = models.CharField(max_length=10, choices=Source.choices)
    provider = models.CharField(max_length=50, blank=True)
    level = models.CharField(max_length=20, choices=TrustLevel.choices,
                             default=TrustLevel.BASIS)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "name"],
                                               name="unique_profile_attribute")]

    def __str__(self) -> str:
        return f"{self.user_id}.{self.name}"

    def context(self) -> str:
        """Associated data of the encrypted value (core.crypto)."""
        return f"profile:{self.user_id}:{self.name}"

    @property
    def value(self) -> str:
        return crypto.decrypt(self.value_encrypted, self.context())


class Consent(models.Model):
    """Consent log: what the person agreed to, which version, when; withdrawals kept too."""

    class Kind(models.TextChoices):
        PRIVACY = "privacy", _("privacy notice of the Servicekonto")
        PREFILL = "prefill", _("prefilling forms with profile data")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    version = models.CharField(max_length=20, default="2026-11")
    given_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-given_at"]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.kind}"


class Organisation(models.Model):
    """An Organisationskonto: a company, an association or a Kommune acting as applicant."""

    class Kind(models.TextChoices):
        UNTERNEHMEN = "unternehmen", _("company")
        VEREIN = "verein", _("association")
        KOMMUNE = "kommune", _("municipality (Kommune)")
        OTHER = "other", _("other organisation")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    area = models.ForeignKey("territory.Area", null=True, blank=True, on_delete=models.PROTECT,
                             help_text=_("For a Kommune: its Gemeinde or Kreis"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", _("administrator")
        MEMBER = "member", _("member")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "user"],
                                               name="unique_membership")]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.organisation_id}:{self.role}"


class Invitation(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Membership.Role.choices,
                            default=Membership.Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation_id}"


class OidcClient(models.Model):
    """Another online service of the Land that logs people in with the Servicekonto."""

    client_id = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    client_secret_hash = models.CharField(
        max_length=128, blank=True, help_text=_("Empty for a public client (PKCE only)"))
    redirect_uris = models.TextField(help_text=_("One exact redirect URI per line"))
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    def allows(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris.split()


class OidcCode(models.Model):
    """An authorization code: single use, short-lived, bound to PKCE and the redirect URI."""

    code_hash = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(OidcClient, on_delete=models.CASCADE)
    user = models.ForeignKey(User, on_delete=models.CASCADE)
    redirect_uri = models.TextField()
    scope = models.CharField(max_length=200)
    nonce = models.CharField(max_length=200, blank=True)
    code_challenge = models.CharField(max_length=128)
    acr = models.CharField(max_length=20, choices=TrustLevel.choices)
    auth_time = models.PositiveBigIntegerField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"code for {self.client_id}"


class OidcToken(models.Model):
    token_hash = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(OidcClient, on_delete=models.CASCADE)
    user = models.ForeignKey(User, on_delete=models.CASCADE)
    scope = models.CharField(max_length=200)
    acr = models.CharField(max_length=20, choices=TrustLevel.choices)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"token for {self.client_id}"


class PendingSamlResponse(models.Model):
    """A SAML response posted by the IdP, kept for the moment until the browser comes back
    with its session cookie (SameSite=Lax cookies are not sent on the IdP's cross-site POST)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    provider = models.CharField(max_length=50)
    response = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.id)


class StaffRole(models.Model):
    """A staff member's role at one Behörde; what a person may see and do follows from these.

    Roles: the Verfahrensdesigner:in builds services, the Kommunal-Admin adopts them and sets
    local parameters, Sachbearbeitung and Leitung work cases (back office).
    """

    class Role(models.TextChoices):
        DESIGNER = "designer", _("service designer")
        ADMIN = "admin", _("administrator of the authority")
        CLERK = "clerk", _("clerk (Sachbearbeitung)")
        LEAD = "lead", _("head of unit (Leitung)")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_roles")
    authority = models.ForeignKey("territory.Authority", on_delete=models.CASCADE,
                                  related_name="staff_roles")
    role = models.CharField(max_length=10, choices=Role.choices)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "authority", "role"],
                                               name="unique_staff_role")]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.authority_id}:{self.role}"


# Encrypted directly with the master key: re-encrypted by `rotate_keys --rewrap`.
crypto.register(crypto.Encrypted("accounts.TotpDevice", ("secret_encrypted",),
                                 lambda device, column: device.context()))
crypto.register(crypto.Encrypted("accounts.ProfileAttribute", ("value_encrypted",),
                                 lambda attribute, column: attribute.context()))
