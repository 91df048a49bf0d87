"""The public contact form (no sign-in): a ticket from the web, its number shown at once."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from bihuan.channels import services
from bihuan.channels.uploads import incoming_files
from bihuan.channels.webform.forms import ContactForm
from bihuan.core.errors import DomainError


@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "channels/webform/contact.html", {"form": ContactForm()})
    form = ContactForm(request.POST, request.FILES)
    if form.is_bot:
        # Answer a bot as if it had worked, so that it learns nothing; store nothing.
        return render(request, "channels/webform/thanks.html", {"number": None})
    if not form.is_valid():
        return render(request, "channels/webform/contact.html", {"form": form}, status=422)
    data = form.cleaned_data
    try:
        files = incoming_files(data["attachments"])
        ticket = services.submit_web_form(
            services.WebFormSubmission(
                subject=data["subject"],
                description=data["description"],
                category=data["category"],
                name=data["name"],
                email=data["email"] or "",
                phone=data["phone"] or "",
                files=files,
            ),
            client_address=request.META.get("REMOTE_ADDR", ""),
        )
    except DomainError as exc:
        form.add_error(None, str(exc))
        return render(request, "channels/webform/contact.html", {"form": form}, status=exc.status)
    return render(request, "channels/webform/thanks.html", {"number": ticket.pk})
