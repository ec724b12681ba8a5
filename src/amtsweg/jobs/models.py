from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DeadLetter(models.Model):
    """A task set aside after its last attempt: kept with what is needed to run it again.

    One per task (``task_id`` is the django-tasks result id); a retried task that dies again
    reopens its dead letter."""

    class Reason(models.TextChoices):
        FAILED = "failed", _("failed")
        WORKER_LOST = "worker_lost", _("worker lost")

    task_id = models.UUIDField(_("task id"), unique=True)
    task_path = models.TextField(_("task path"))
    queue_name = models.CharField(_("queue name"), max_length=32, default="default")
    priority = models.IntegerField(_("priority"), default=0)
    backend_name = models.CharField(_("backend name"), max_length=32, default="default")
    args_kwargs = models.JSONField(_("arguments"), default=dict)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    exception_class_path = models.TextField(_("error"), blank=True)
    traceback = models.TextField(_("traceback"), blank=True)
    enqueued_at = models.DateTimeField(_("enqueued at"), null=True)
    created_at = models.DateTimeField(_("set aside at"))
    retried_at = models.DateTimeField(_("retried at"), null=True, blank=True)
    retried_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    times_retried = models.PositiveIntegerField(_("times retried"), default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("dead letter")
        verbose_name_plural = _("dead letters")
        indexes = [models.Index(fields=["retried_at", "-created_at"], name="jobs_dl_open_idx")]

    def __str__(self) -> str:
        return f"{self.task_path} {self.task_id}"

    @property
    def is_open(self) -> bool:
        return self.retried_at is None

    @property
    def task_name(self) -> str:
        return self.task_path.rsplit(".", 1)[-1]
