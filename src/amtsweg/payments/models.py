"""Payments of fees: one row per attempt to pay (online) or per invoice.

A payment is started for a draft (`draft_key`, the draft's id, which the submission keeps as
its own `draft_key`) and linked to the submission when the application is sent. Nothing
personal is stored here: amount, state, the provider's key and references only.
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class Payment(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("open")
        PAID = "paid", _("paid")
        FAILED = "failed", _("failed")
        INVOICE_OPEN = "invoice_open", _("invoice open")
        INVOICE_PAID = "invoice_paid", _("invoice paid")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    draft_key = models.UUIDField(db_index=True, help_text=_(
        "The draft the payment was started for (the submission's draft_key)"))
    submission = models.ForeignKey("submissions.Submission", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="payments")
    authority = models.ForeignKey("territory.Authority", on_delete=models.PROTECT,
                                  related_name="+")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    provider = models.CharField(max_length=40)
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)
    reference = models.CharField(max_length=140, blank=True, help_text=_(
        "Verwendungszweck: the receipt number once the application is sent"))
    provider_ref = models.CharField(max_length=200, blank=True)
    return_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.provider} {self.amount} {self.currency} ({self.state})"

    @property
    def is_paid(self) -> bool:
        return self.state in (self.State.PAID, self.State.INVOICE_PAID)
