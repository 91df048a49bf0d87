from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "bihuan.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # The runner installs the inline (test) mode; pruning registers its periodic job.
        from bihuan.core import catalogue, pruning, runner  # noqa: F401

        # Every app's events.py declares its verbs (core itself knows none of them).
        catalogue.discover()
