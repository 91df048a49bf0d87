"""Pages and fragments the live script reads: newer timeline entries, unread state, and the
notification settings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from bihuan.accounts.views import signed_in_user
from bihuan.core.errors import NotFound, ValidationFailed
from bihuan.core.pagination import NEXT, encode_cursor
from bihuan.core.views import domain_errors
from bihuan.live import queries, services
from bihuan.tickets import queries as ticket_queries
from bihuan.tickets.forms import load_options
from bihuan.tickets.views import present_timeline, with_message_notes

# One fetch brings at most this many new timeline entries (the page reloads past that).
TIMELINE_LIMIT = 50
MAX_ROWS = 200
MAX_NUMBER = 2**63 - 1


def _event_id(text: str | None, *, name: str) -> int:
    if text is None or not text.isdigit() or len(text) > 18:
        raise ValidationFailed(
            _("“%(name)s” must be an event id."), code="invalid_event_id", name=name
        )
    return int(text)


@login_required
@require_GET
@domain_errors
def timeline_after(request: HttpRequest, number: int) -> HttpResponse:
    """The ticket's timeline entries after event ``?after=`` (oldest first), for the live
    script to append; ``X-Live-Cursor`` is the newest event id they cover."""
    if number > MAX_NUMBER:
        raise NotFound(_("Ticket not found."))
    # The ticket first: one outside the viewer's scope is a 404 whatever the parameters.
    ticket = ticket_queries.get_ticket(signed_in_user(request), number)
    after = _event_id(request.GET.get("after"), name="after")
    page = ticket_queries.timeline_page(
        ticket, cursor=encode_cursor(NEXT, after, after), limit=TIMELINE_LIMIT
    )
    items = with_message_notes(present_timeline(ticket, page.entries, load_options()))
    response = render(
        request,
        "tickets/_timeline_page.html",
        {"ticket": ticket, "timeline": items, "older_cursor": None},
    )
    newest = max((entry.event.pk for entry in page.entries), default=after)
    response["X-Live-Cursor"] = str(newest)
    response["X-Live-Complete"] = "0" if page.next_cursor else "1"
    return response


@login_required
@require_GET
@domain_errors
def unread(request: HttpRequest) -> JsonResponse:
    """Which of ``?tickets=1,2,3`` (the rows on screen) are unread, and each view's unread
    count and total, for the inbox."""
    viewer = signed_in_user(request)
    raw = [part for part in request.GET.get("tickets", "").split(",") if part]
    if len(raw) > MAX_ROWS or not all(part.isdigit() and len(part) <= 18 for part in raw):
        raise ValidationFailed(_("“tickets” must be ticket numbers."), code="invalid_tickets")
    rows = queries.unread_ticket_ids(viewer, [int(part) for part in raw])
    unread_counts = queries.count_unread_by_view(viewer)
    totals = queries.view_totals(viewer)
    return JsonResponse(
        {
            "tickets": sorted(rows),
            "views": {
                key: {
                    "unread": queries.unread_label(count),
                    "total": totals.get(key),
                }
                for key, count in unread_counts.items()
            },
        }
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def live_settings(request: HttpRequest) -> HttpResponse:
    """Desktop notification and sound for a new chat or a mention (each off by default)."""
    viewer = signed_in_user(request)
    row = queries.get_live_settings(viewer)
    if request.method == "POST":
        services.update_live_settings(
            viewer,
            desktop_notifications=request.POST.get("desktop_notifications") == "on",
            sound=request.POST.get("sound") == "on",
        )
        messages.success(request, _("Notification settings saved."))
        return redirect("live:settings")
    return render(request, "live/settings.html", {"live": row})
