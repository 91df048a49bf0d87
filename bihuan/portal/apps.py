from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "bihuan.portal"
    label = "portal"
    verbose_name = _("Customer portal")

    def ready(self) -> None:
        from bihuan.portal import tasks  # noqa: F401 - registers the due work
        from bihuan.portal.panels import portal_file_notes
        from bihuan.tickets.panels import register_message_notes

        register_message_notes("portal_files", portal_file_notes)
