"""Pages of the channels app: inbound attachments, held mail and the agent's decision."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from bihuan.accounts.views import signed_in_user
from bihuan.channels import queries, services
from bihuan.channels.choices import ReleaseAction
from bihuan.core.errors import NotFound
from bihuan.core.views import domain_errors


@login_required
@require_GET
def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    """Always a download (never rendered inline): an attached HTML page must not run here."""
    try:
        found = queries.get_attachment(signed_in_user(request), attachment_id)
    except NotFound as exc:  # out of scope or missing: the same 404, never a hint
        raise Http404(str(exc)) from exc
    response = FileResponse(
        found.file.open("rb"),
        as_attachment=True,
        filename=found.filename,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_GET
@domain_errors
def held_mail(request: HttpRequest) -> HttpResponse:
    """Mail held for a decision: strangers writing on a ticket, unverified senders."""
    page = queries.list_held_mail(signed_in_user(request), cursor=request.GET.get("cursor"))
    return render(request, "channels/held.html", {"page": page})


@login_required
@require_GET
@domain_errors
def inbound_detail(request: HttpRequest, inbound_id: int) -> HttpResponse:
    """One inbound mail as it arrived; remote images only when the agent asks (?images=1)."""
    inbound = queries.get_inbound(signed_in_user(request), inbound_id)
    load_images = request.GET.get("images") == "1" and inbound.has_remote_images
    html = queries.remote_images_html(inbound) if load_images else inbound.html
    return render(
        request,
        "channels/inbound.html",
        {
            "inbound": inbound,
            "html": html,
            "load_images": load_images,
            "actions": ReleaseAction.choices,
        },
    )


@login_required
@require_POST
@domain_errors
def release(request: HttpRequest, inbound_id: int) -> HttpResponse:
    viewer = signed_in_user(request)
    inbound = queries.get_inbound(viewer, inbound_id)
    released = services.release_held_email(
        inbound, action=request.POST.get("action", ""), actor=viewer
    )
    messages.success(request, _("Done."))
    if released.ticket_id is not None:
        return redirect("tickets:detail", number=released.ticket_id)
    return redirect("channels:held")
