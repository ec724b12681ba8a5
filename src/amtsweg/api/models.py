"""API clients of Fachverfahren: a hashed, revocable bearer token scoped to one Behörde, what
each client acknowledged, and the webhooks sent to it."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from amtsweg.core import crypto


class Scope(models.TextChoices):
    SUBMISSIONS_READ = "submissions:read", _("read submissions")
    CASES_WRITE = "cases:write", _("change case states")
    MESSAGES_WRITE = "messages:write", _("send Postfach messages")
    NOTICES_WRITE = "notices:write", _("send notices")


ALL_SCOPES = [s.value for s in Scope]


def all_scopes() -> list[str]:
    return list(ALL_SCOPES)


class ApiClient(models.Model):
    """A Fachverfahren (case management system) of one Behörde. Only the SHA-256 hash of the
    token is stored; the token is shown once when the client is created."""

    name = models.CharField(max_length=100, unique=True)
    authority = models.ForeignKey("territory.Authority", on_delete=models.CASCADE,
                                  related_name="api_clients")
    token_hash = models.CharField(max_length=64, unique=True)
    token_hint = models.CharField(max_length=12, blank=True,
                                  help_text=_("The first characters of the token"))
    scopes = models.JSONField(default=all_scopes)
    webhook_url = models.URLField(max_length=500, blank=True)
    webhook_secret = models.TextField(blank=True, help_text=_("Sealed with the field key"))
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return self.name

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class Acknowledgement(models.Model):
    """A client confirmed that it took over a submission (per client: two Fachverfahren of
    one Behörde each acknowledge on their own)."""

    api_client = models.ForeignKey(ApiClient, on_delete=models.CASCADE,
                                   related_name="acknowledgements")
    submission = models.ForeignKey("submissions.Submission", on_delete=models.CASCADE,
                                   related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_client", "submission"],
                                               name="api_ack_once")]

    def __str__(self) -> str:
        return f"{self.api_client_id}:{self.submission_id}"


class WebhookDelivery(models.Model):
    """The announcement of one submission to one client: created once (however often the
    outbox runs), the attempts are made by a reliable task."""

    api_client = models.ForeignKey(ApiClient, on_delete=models.CASCADE,
                                   related_name="webhook_deliveries")
    submission = models.ForeignKey("submissions.Submission", on_delete=models.CASCADE,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_status = models.CharField(max_length=200, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_client", "submission"],
                                               name="api_webhook_once")]

    def __str__(self) -> str:
        return f"{self.api_client_id}:{self.submission_id}"


def webhook_secret_context(client_id: int) -> str:
    """Associated data of the encrypted webhook secret (core.crypto)."""
    return f"api-webhook-secret:{client_id}"


# Encrypted directly with the master key: re-encrypted by `rotate_keys --rewrap`.
crypto.register(crypto.Encrypted("api.ApiClient", ("webhook_secret",),
                                 lambda client, column: webhook_secret_context(client.pk)))
