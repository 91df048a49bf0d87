"""Shared view plumbing (the one DomainError → answer mapping) and the notifications pages.

Every page view that calls a service is wrapped in ``domain_errors``: a refused request
(``DomainError``) becomes a JSON 4xx for ``fetch`` callers, an error fragment swapped into the
page's message area for htmx, a message and a redirect back for a plain form, and a 404/403
page for a GET. Views never build error answers themselves.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from bihuan.core import catalogue, services
from bihuan.core.digits import ascii_digits
from bihuan.core.errors import DomainError, NotFound, PermissionDenied
from bihuan.core.models import Notification
from bihuan.core.pagination import paginate

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponse])
MAX_ID = 2**62  # beyond any stored id (and SQLite's integer range)


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def safe_next_url(request: HttpRequest, fallback: str) -> str:
    """The ``next`` field or the Referer when it points at this site, else ``fallback``."""
    candidates = (request.POST.get("next"), request.GET.get("next"), request.headers.get("Referer"))
    for candidate in candidates:
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return fallback


def domain_error_response(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """The one mapping from a refused request to what the browser gets back."""
    if wants_json(request):
        return JsonResponse({"code": exc.code, "message": str(exc)}, status=exc.status)
    if getattr(request, "htmx", False):
        response = render(
            request, "components/_error.html", {"message": str(exc)}, status=exc.status
        )
        response["HX-Retarget"] = "#flash"
        response["HX-Reswap"] = "afterbegin"
        return response
    if isinstance(exc, NotFound):
        # Out of scope or missing: the same 404 page, never a hint that the object exists.
        raise Http404(str(exc))
    if request.method == "GET":
        if isinstance(exc, PermissionDenied):
            raise DjangoPermissionDenied(str(exc))
        return render(request, "error.html", {"message": str(exc)}, status=exc.status)
    messages.error(request, str(exc))
    return HttpResponseRedirect(safe_next_url(request, resolve_url(settings.LOGIN_REDIRECT_URL)))


def domain_errors(view: ViewFunc) -> ViewFunc:
    """Answer a ``DomainError`` raised by the view's service or query (nothing was changed)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            return domain_error_response(request, exc)

    return cast(ViewFunc, wrapper)


@login_required
@require_GET
@domain_errors
def notifications(request: HttpRequest) -> HttpResponse:
    """The signed-in user's notifications, newest first, by keyset pages."""
    # The user's own rows: no scope beyond the recipient is needed.
    rows = Notification.objects.filter(recipient_id=request.user.pk).select_related(
        "event", "event__actor"
    )
    if request.GET.get("unread") == "1":
        rows = rows.filter(read_at__isnull=True)
    page = paginate(
        rows, order_field="id", descending=True, limit=30, cursor=request.GET.get("cursor")
    )
    items = [{"notification": n, "text": catalogue.notification_text(n.event)} for n in page.items]
    return render(
        request,
        "core/notifications.html",
        {"page": page, "items": items, "only_unread": request.GET.get("unread") == "1"},
    )


@login_required
@require_POST
@domain_errors
def mark_notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark all (or the posted ``id``s of) the user's notifications read."""
    # isascii: "²" and "①" pass str.isdigit() but not int().
    ids = [int(v) for v in request.POST.getlist("id") if ascii_digits(v)]
    changed = services.mark_notifications_read(request.user, ids=ids or None)
    if changed:
        messages.success(request, _("Marked as read."))
    return redirect(safe_next_url(request, reverse("accounts:notifications")))


@login_required
@require_POST
@domain_errors
def open_notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one of the user's notifications read and go where its event leads."""
    notification = (
        Notification.objects.filter(pk=notification_id, recipient_id=request.user.pk)
        .select_related("event")
        .first()
        if notification_id <= MAX_ID
        else None
    )
    if notification is None:
        raise NotFound(_("Notification not found."))
    services.mark_notifications_read(request.user, ids=[notification_id])
    return redirect(catalogue.link(notification.event) or reverse("accounts:notifications"))
