"""Opening a ticket by hand (``/tickets/new/``): for a caller or a walk-in customer, through
the same ``create_ticket`` service the API and the channels use."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bihuan.accounts.models import Team
from bihuan.accounts.views import signed_in_user
from bihuan.core.errors import DomainError
from bihuan.customers.services import ContactDetails
from bihuan.tickets import services
from bihuan.tickets.forms import NewTicketForm, split_tags
from bihuan.tickets.permissions import can_work_ticket, visible_tickets


@login_required
@require_http_methods(["GET", "POST"])
def new_ticket(request: HttpRequest) -> HttpResponse:
    """The form; a valid one opens the ticket and goes to it. A refusal of the service (a
    malformed phone, a role that may not open tickets) shows on the form, input kept."""
    viewer = signed_in_user(request)
    teams = list(Team.objects.order_by("name")[:500])
    form = NewTicketForm(request.POST or None, teams=teams)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            team = form.chosen_team()
            explicit = ("channel", "kind", "priority", *(("team",) if team else ()))
            try:
                # One transaction: the ticket and its owner, or neither.
                with transaction.atomic():
                    ticket = services.create_ticket(
                        services.NewTicket(
                            subject=data["subject"],
                            body=data["body"],
                            channel=data["channel"],
                            kind=data["kind"],
                            priority=data["priority"],
                            contact=ContactDetails(
                                name=data["name"], phone=data["phone"], email=data["email"]
                            ),
                            team=team,
                            tags=split_tags(data["tags"]),
                            explicit_fields=explicit,
                        ),
                        actor=viewer,
                    )
                    if data["assign_to_me"]:
                        # 首问负责制: whoever takes the call or the visit owns the ticket.
                        services.update_ticket(
                            ticket, services.TicketChanges(owner=viewer), actor=viewer
                        )
            except DomainError as exc:
                form.add_error(None, str(exc))
                status = exc.status
            else:
                messages.success(request, _("Ticket #%(number)s opened.") % {"number": ticket.pk})
                if not visible_tickets(viewer).filter(pk=ticket.pk).exists():
                    return redirect("tickets:inbox")  # handed to a queue the viewer is not in
                return redirect("tickets:detail", number=ticket.pk)
        else:
            status = 422
    return render(
        request,
        "tickets/new.html",
        {"form": form, "can_create": can_work_ticket(viewer)},
        status=status,
    )
