"""Pages of the channels app: inbound attachments, held mail and the agent's decision, the
files and the preview of an email reply, and a user's notification emails."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bihuan.accounts.views import signed_in_user
from bihuan.channels import queries, services
from bihuan.channels.choices import ReleaseAction
from bihuan.channels.email.outbound import compose_email_reply, outbound_sender
from bihuan.channels.models import MessageFile
from bihuan.channels.uploads import incoming_files
from bihuan.core.errors import NotFound, ValidationFailed
from bihuan.core.masking import mask_email
from bihuan.core.views import MAX_ID, domain_errors
from bihuan.tickets import queries as ticket_queries
from bihuan.tickets.choices import Channel
from bihuan.tickets.models import Ticket
from bihuan.tickets.permissions import can_work_ticket


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


def _download(stored: MessageFile) -> FileResponse:
    response = FileResponse(
        stored.file.open("rb"),
        as_attachment=True,
        filename=stored.filename,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_GET
def message_file(request: HttpRequest, mail_file_id: int) -> FileResponse:
    """A file sent with a web form or an email reply; always a download, never inline."""
    try:
        if mail_file_id > MAX_ID:
            raise NotFound(_("File not found."))
        found = queries.get_message_file(signed_in_user(request), mail_file_id)
    except NotFound as exc:  # out of scope or missing: the same 404, never a hint
        raise Http404(str(exc)) from exc
    return _download(found)


def _reply_ticket(request: HttpRequest, number: int) -> Ticket:
    if number > MAX_ID:
        raise NotFound(_("Ticket not found."))
    return ticket_queries.get_ticket_to_change(signed_in_user(request), number)


def _render_reply_files(request: HttpRequest, ticket: Ticket, *, status: int = 200) -> HttpResponse:
    viewer = signed_in_user(request)
    return render(
        request,
        "channels/_reply_files.html",
        {
            "ticket": ticket,
            "drafts": queries.list_reply_drafts(viewer, ticket),
            "can_attach": can_work_ticket(viewer),
            "max_files": services.UPLOAD_MAX_FILES,
            "max_megabytes": services.UPLOAD_MAX_FILE_BYTES // (1024 * 1024),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def reply_files(request: HttpRequest, number: int) -> HttpResponse:
    """The reply composer's files (htmx fragment inside the reply form): GET lists the
    agent's drafts, POST uploads more (multipart). They go with the next email reply."""
    ticket = _reply_ticket(request, number)
    if request.method == "POST":
        services.attach_reply_files(
            ticket,
            files=incoming_files(request.FILES.getlist("attachments")),
            actor=signed_in_user(request),
        )
    return _render_reply_files(request, ticket)


@login_required
@require_GET
@domain_errors
def email_preview(request: HttpRequest, number: int) -> HttpResponse:
    """The reply composer's preview of a reply by email (htmx fragment, reloaded when the
    agent picks a channel): recipient, subject, and what is added under the text. Empty for
    any other channel."""
    ticket = _reply_ticket(request, number)
    if request.GET.get("channel") != Channel.EMAIL:
        return HttpResponse("")
    reply = compose_email_reply(ticket, author=signed_in_user(request))
    return render(
        request,
        "channels/_email_preview.html",
        {
            "reply": reply,
            "added": reply.text(""),  # what the mail carries under the agent's text
            "to_address": mask_email(reply.to_address) if reply.to_address else "",
            "sender": outbound_sender(),
        },
    )


@login_required
@require_POST
@domain_errors
def remove_reply_file(request: HttpRequest, mail_file_id: int) -> HttpResponse:
    viewer = signed_in_user(request)
    if mail_file_id > MAX_ID:
        raise NotFound(_("File not found."))
    draft = queries.get_message_file(viewer, mail_file_id)
    ticket = ticket_queries.get_ticket_to_change(viewer, draft.ticket_id)
    services.remove_reply_file(draft, actor=viewer)
    return _render_reply_files(request, ticket)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def notification_emails(request: HttpRequest) -> HttpResponse:
    """The signed-in user's choice: get notifications by email too (off by default)."""
    viewer = signed_in_user(request)
    if request.method == "POST":
        choice = request.POST.get("enabled", "")
        if choice not in ("on", "off"):
            raise ValidationFailed(_("Choose on or off."), code="invalid_choice")
        services.set_notification_emails(viewer, is_enabled=choice == "on")
        messages.success(request, _("Saved."))
        return redirect("channels:notification_emails")
    return render(
        request,
        "channels/notification_emails.html",
        {
            "is_enabled": services.wants_notification_emails(viewer),
            "has_address": bool(viewer.email),
            "is_configured": bool(outbound_sender()),
        },
    )


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
