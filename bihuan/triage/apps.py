from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "bihuan.triage"
    label = "triage"
    verbose_name = "Triage"
