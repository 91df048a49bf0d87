"""The breach board: missed targets of open tickets, for supervisors and admins."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from bihuan.accounts.views import signed_in_user
from bihuan.core.errors import NotFound
from bihuan.core.views import domain_errors
from bihuan.sla import queries
from bihuan.tickets.views import sla_countdown


@login_required
@require_GET
@domain_errors
def breach_board(request: HttpRequest) -> HttpResponse:
    """Every open ticket's missed target, the longest overdue first, with who was told."""
    viewer = signed_in_user(request)
    if not viewer.sees_everything:
        raise NotFound(_("Page not found."))
    now = timezone.now()
    rows = [(clock, sla_countdown(clock.due_at, now)) for clock in queries.breached_clocks(viewer)]
    return render(request, "sla/breach_board.html", {"rows": rows})
