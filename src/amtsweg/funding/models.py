"""The state's IKZ funding programme (Förderprogramm): programmes with their rules, funding
applications (Förderanträge) and grants (Bewilligungen) with payout and proof of use.

A funding application arrives as an ordinary online service submission (the lead Kommune
applies with its organisation account) and is worked by the Förderstelle as a case; this app
keeps the structured side of it: the programme it is for, the cooperation, the participating
Kommunen and the money. Historical grants (2008 onwards, demo data) have no application.
"""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from amtsweg.ikz.models import TaskArea


class Programme(models.Model):
    """A funding programme and its rules."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    amount_per_member = models.DecimalField(
        _("amount per participating Kommune"), max_digits=12, decimal_places=2,
        default=Decimal("25000.00"))
    min_members = models.PositiveSmallIntegerField(_("minimum number of Kommunen"), default=2)
    eligible_task_areas = models.JSONField(
        _("eligible task areas"), default=list, blank=True,
        help_text=_("Keys of ikz.TaskArea; empty: every task area"))
    opens_on = models.DateField(_("applications from"))
    closes_on = models.DateField(_("applications until"), null=True, blank=True)
    authority = models.ForeignKey("territory.Authority", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("Förderstelle"))
    service = models.ForeignKey("services.OnlineService", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+",
                                help_text=_("The online service through which Kommunen apply"))
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-opens_on", "name"]
        verbose_name = _("funding programme")
        verbose_name_plural = _("funding programmes")

    def __str__(self) -> str:
        return self.name


class Budget(models.Model):
    """What a programme may grant in one calendar year."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="budgets")
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.DecimalField(_("budget"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["programme", "year"]
        constraints = [models.UniqueConstraint(fields=["programme", "year"],
                                               name="funding_budget_per_year")]

    def __str__(self) -> str:
        return f"{self.programme} {self.year}"


class FundingApplication(models.Model):
    """A Förderantrag: one project of a cooperation, applied for by its lead Kommune."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("withdrawn")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT,
                                  related_name="applications")
    submission = models.OneToOneField("submissions.Submission", null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="funding")
    cooperation = models.ForeignKey("ikz.Cooperation", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="funding_applications")
    cooperation_key = models.CharField(
        _("cooperation key given"), max_length=200, blank=True,
        help_text=_("The key of an existing cooperation as the applicant gave it"))
    cooperation_name = models.CharField(
        _("new cooperation"), max_length=200, blank=True,
        help_text=_("The name of a cooperation that is founded with this project; it is "
                    "created when the grant is approved"))
    lead = models.ForeignKey("territory.Area", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("lead Kommune"))
    project = models.CharField(_("project"), max_length=300)
    task_area = models.CharField(_("task area"), max_length=40, choices=TaskArea.choices)
    eligible_costs = models.DecimalField(_("eligible costs"), max_digits=14, decimal_places=2)
    cost_plan = models.JSONField(_("cost plan"), default=list, blank=True)
    staff_plan = models.JSONField(_("staff plan"), default=list, blank=True)
    starts_on = models.DateField(_("project start"), null=True, blank=True)
    ends_on = models.DateField(_("project end"), null=True, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.SUBMITTED)
    applied_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-applied_at"]

    def __str__(self) -> str:
        return self.project


class Participant(models.Model):
    """A Kommune taking part in a funding application, with its consent."""

    application = models.ForeignKey(FundingApplication, on_delete=models.CASCADE,
                                    related_name="participants")
    ags = models.CharField(_("AGS"), max_length=8, help_text=_("As the application gives it"))
    area = models.ForeignKey("territory.Area", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", help_text=_("Empty: no area has this AGS"))
    consent_on = models.DateField(_("consent given on"), null=True, blank=True)

    class Meta:
        ordering = ["application", "ags"]
        constraints = [models.UniqueConstraint(fields=["application", "ags"],
                                               name="funding_participant_once")]

    def __str__(self) -> str:
        return f"{self.area or self.ags} in {self.application}"


class Grant(models.Model):
    """A Bewilligung: the amount granted for a project, its payout and its proof of use.

    `participations` is the number of participating Kommunen the grant was computed for (the
    programme statistics count them, repeats across projects included); `areas` names them.
    """

    class Payout(models.TextChoices):
        PENDING = "pending", _("not paid out")
        PAID = "paid", _("paid out")

    class Proof(models.TextChoices):
        DUE = "due", _("proof of use due")
        RECEIVED = "received", _("proof of use received")
        ACCEPTED = "accepted", _("proof of use accepted")
        REFUND = "refund", _("refund demanded")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="grants")
    application = models.OneToOneField(FundingApplication, null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="grant")
    cooperation = models.ForeignKey("ikz.Cooperation", on_delete=models.PROTECT,
                                    related_name="grants")
    year = models.PositiveSmallIntegerField(_("year"), db_index=True)
    decided_on = models.DateField(_("decided on"))
    task_area = models.CharField(_("task area"), max_length=40, choices=TaskArea.choices)
    participations = models.PositiveSmallIntegerField(_("participating Kommunen"))
    areas = models.ManyToManyField("territory.Area", related_name="grants", blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    notice = models.ForeignKey("cases.Notice", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    payout = models.CharField(max_length=20, choices=Payout.choices, default=Payout.PENDING)
    paid_out_on = models.DateField(_("paid out on"), null=True, blank=True)
    proof = models.CharField(max_length=20, choices=Proof.choices, default=Proof.DUE)
    proof_due_on = models.DateField(_("proof of use due on"), null=True, blank=True)
    proof_received_on = models.DateField(_("proof of use received on"), null=True, blank=True)
    proof_checked_on = models.DateField(_("proof of use checked on"), null=True, blank=True,
                                        help_text=_("When it was accepted or a refund demanded"))
    refund_amount = models.DecimalField(_("refund demanded"), max_digits=14, decimal_places=2,
                                        null=True, blank=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-decided_on", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gte=0),
                                              name="funding_grant_amount_not_negative")]

    def __str__(self) -> str:
        return f"{self.cooperation} {self.year}: {self.amount}"
