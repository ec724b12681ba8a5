from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "amtsweg.jobs"
    label = "jobs"
