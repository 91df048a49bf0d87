"""Variables of reply templates: ``{{ customer.name }}``, ``{{ ticket.number }}``…

Template text is never handed to a template engine (an agent-written ``{% … %}`` must not run):
only the names below are replaced, by plain strings; any other ``{{ … }}`` is refused when
the template is saved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

VARIABLE = re.compile(r"\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}")
ANY_BRACES = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)

VARIABLES = {
    "customer.name": _("the customer's name"),
    "ticket.number": _("the ticket number"),
    "ticket.subject": _("the ticket subject"),
    "agent.name": _("your name"),
    "commitment.due": _("the due time of the next open commitment"),
    "commitment.description": _("the next open commitment"),
}


@dataclass(frozen=True)
class Values:
    """What a template's variables stand for on one ticket."""

    customer_name: str = ""
    ticket_number: str = ""
    ticket_subject: str = ""
    agent_name: str = ""
    commitment_due: str = ""
    commitment_description: str = ""


def unknown_variables(text: str) -> list[str]:
    """The ``{{ … }}`` in ``text`` that are not one of ``VARIABLES``."""
    unknown = []
    for match in ANY_BRACES.finditer(text):
        name = match.group(1).strip()
        if name not in VARIABLES:
            unknown.append(name)
    return unknown


def render(text: str, values: Values) -> str:
    """``text`` with every known variable replaced by its value (plain text)."""
    table = {
        "customer.name": values.customer_name,
        "ticket.number": values.ticket_number,
        "ticket.subject": values.ticket_subject,
        "agent.name": values.agent_name,
        "commitment.due": values.commitment_due,
        "commitment.description": values.commitment_description,
    }
    return VARIABLE.sub(lambda m: table.get(m.group(1), m.group(0)), text)


def format_due(moment: object) -> str:
    if moment is None:
        return ""
    return date_format(timezone.localtime(moment), "Y-m-d H:i")  # type: ignore[arg-type]
