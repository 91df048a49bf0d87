from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "bihuan.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from bihuan.customers.queries import set_history_reader
        from bihuan.tickets import customer_history, customer_merge, handlers  # noqa: F401
        from bihuan.tickets.queries import customer_ticket_history

        set_history_reader(customer_ticket_history)
