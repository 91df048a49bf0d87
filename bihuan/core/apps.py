from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "bihuan.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # The runner installs the inline (test) mode; pruning registers its periodic job.
        from bihuan.core import pruning, runner  # noqa: F401
