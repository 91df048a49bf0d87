"""Panels other apps add to the customer page, without customers importing them.

An app that depends on customers registers a function in its ``AppConfig.ready``::

    register_customer_panel("order_numbers", render_order_numbers)  # (request, customer)

and the customer page shows every registered panel in order (the order numbers triage found
in the customer's messages, say). The arrow points one way: customers only knows this list.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString

from bihuan.customers.models import Customer

CustomerPanel = Callable[[HttpRequest, Customer], SafeString]

_panels: dict[str, CustomerPanel] = {}


def register_customer_panel(name: str, render: CustomerPanel) -> None:
    """Show ``render(request, customer)`` on every customer page (registering again
    replaces). ``render`` answers "" to show nothing."""
    _panels[name] = render


def render_customer_panels(request: HttpRequest, customer: Customer) -> list[SafeString]:
    """The HTML of every registered panel for ``customer``, in registration order."""
    return [html for render in _panels.values() if (html := render(request, customer))]
