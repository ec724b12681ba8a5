from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "amtsweg.jobs"
    label = "jobs"
    verbose_name = _("Background jobs")

    def ready(self) -> None:
        from django_tasks.signals import task_finished

        from .engine import on_task_finished

        task_finished.connect(on_task_finished, dispatch_uid="amtsweg.jobs.on_task_finished")
