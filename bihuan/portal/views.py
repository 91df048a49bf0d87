"""The portal's pages under /portal/: public (no staff sign-in), for customers on a phone.

A verified one-time code puts a portal session token in the browser's session; every page of
a ticket reads the viewer from it and scopes by it (``queries``). Without a live session a
ticket page sends the visitor to the lookup form; another customer's ticket is not found.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bihuan.accounts.views import signed_in_user
from bihuan.channels import services as channel_services
from bihuan.channels.uploads import incoming_files
from bihuan.channels.webform.forms import ContactForm
from bihuan.core.errors import DomainError, NotFound
from bihuan.core.views import domain_error_response
from bihuan.customers.choices import IdentityKind
from bihuan.customers.models import Customer, CustomerIdentity
from bihuan.knowledge.markdown import render_markdown
from bihuan.portal import queries, services
from bihuan.portal.forms import (
    CodeForm,
    LookupForm,
    MessageForm,
    NotSolvedForm,
    RatingForm,
    SignInForm,
)
from bihuan.portal.viewer import PortalViewer
from bihuan.tickets.choices import TicketStatus
from bihuan.tickets.permissions import visible_tickets

SESSION_TOKEN = "bihuan_portal_token"  # noqa: S105 - the session key's name, not a secret
SESSION_CHALLENGE = "bihuan_portal_challenge"
SESSION_PHONE = "bihuan_portal_phone"

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponseBase])


def current_viewer(request: HttpRequest) -> PortalViewer | None:
    """The viewer of the browser's live portal session (None: none, expired or ended)."""
    token = request.session.get(SESSION_TOKEN)
    if not isinstance(token, str):
        return None
    return services.viewer_for_token(token)


def _client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def _not_found(request: HttpRequest, viewer: PortalViewer | None) -> HttpResponse:
    return render(request, "portal/not_found.html", {"viewer": viewer}, status=404)


def portal_errors(view: ViewFunc) -> ViewFunc:
    """Map a refusal to the portal's answer: its own 404 page (never a hint that the request
    exists), else the shared mapping (a message and back to the form)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            return _not_found(request, current_viewer(request))
        except DomainError as exc:
            return domain_error_response(request, exc)

    return cast(ViewFunc, wrapper)


def viewer_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Pages of a ticket: without a live portal session, back to the lookup form."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        viewer = current_viewer(request)
        if viewer is None:
            request.session.pop(SESSION_TOKEN, None)
            if request.method == "GET":
                messages.info(request, _("Enter your request number to see its progress."))
            return redirect("portal:home")
        return view(request, viewer, *args, **kwargs)

    return wrapper


def _form_error(
    request: HttpRequest, exc: DomainError, template: str, **context: Any
) -> HttpResponse:
    return render(request, template, {**context, "error": str(exc)}, status=exc.status)


@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    """The lookup form: a request number and the phone or email on it."""
    viewer = current_viewer(request)
    # A link from the web form's confirmation or acknowledgement fills in the number.
    number = "".join(c for c in request.GET.get("number", "")[:24] if c.isdigit())
    form = LookupForm(request.POST or None, initial={"number": number})
    context = {"form": form, "viewer": viewer}
    if request.method == "POST" and form.is_valid():
        try:
            asked = services.request_lookup_code(
                number=form.cleaned_data["number"],
                contact=form.cleaned_data["contact"],
                client_address=_client_address(request),
            )
        except DomainError as exc:
            return _form_error(request, exc, "portal/home.html", **context)
        request.session[SESSION_CHALLENGE] = asked.challenge
        request.session[SESSION_PHONE] = asked.contact_is_phone
        return redirect("portal:verify")
    return render(request, "portal/home.html", context, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """Sign in without a password: a code to the email address on your requests."""
    form = SignInForm(request.POST or None)
    context = {"form": form, "viewer": current_viewer(request)}
    if request.method == "POST" and form.is_valid():
        try:
            asked = services.request_sign_in_code(
                email=form.cleaned_data["email"], client_address=_client_address(request)
            )
        except DomainError as exc:
            return _form_error(request, exc, "portal/sign_in.html", **context)
        request.session[SESSION_CHALLENGE] = asked.challenge
        request.session[SESSION_PHONE] = False
        return redirect("portal:verify")
    return render(request, "portal/sign_in.html", context, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Enter the code that was mailed; a right one opens the request (or all of them)."""
    challenge = request.session.get(SESSION_CHALLENGE)
    if not isinstance(challenge, str):
        return redirect("portal:home")
    form = CodeForm(request.POST or None)
    context = {
        "form": form,
        # Typed a phone, and no SMS provider is on: say where the code went instead.
        "no_sms": bool(request.session.get(SESSION_PHONE)) and not services.codes_go_by_sms(),
        "minutes": services.CODE_MINUTES,
    }
    if request.method == "POST" and form.is_valid():
        try:
            opened = services.verify_code(challenge=challenge, code=form.cleaned_data["code"])
        except DomainError as exc:
            return _form_error(request, exc, "portal/verify.html", **context)
        request.session.cycle_key()  # a new session id for the signed-in visitor
        request.session[SESSION_TOKEN] = opened.token
        request.session.pop(SESSION_CHALLENGE, None)
        request.session.pop(SESSION_PHONE, None)
        if opened.viewer.ticket_id is not None:
            return redirect("portal:ticket", number=opened.viewer.ticket_id)
        return redirect("portal:tickets")
    return render(request, "portal/verify.html", context, status=422 if form.errors else 200)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    viewer = current_viewer(request)
    if viewer is not None:
        services.end_session(viewer)
    request.session.pop(SESSION_TOKEN, None)
    messages.success(request, _("You have signed out of the customer portal."))
    return redirect("portal:home")


@require_GET
@viewer_required
@portal_errors
def tickets(request: HttpRequest, viewer: PortalViewer) -> HttpResponse:
    page = queries.list_tickets(viewer, cursor=request.GET.get("cursor"))
    rows = [
        {"ticket": t, "label": queries.status_label(t.status), "status": t.status}
        for t in page.items
    ]
    return render(request, "portal/tickets.html", {"viewer": viewer, "page": page, "rows": rows})


@require_GET
@viewer_required
@portal_errors
def ticket(request: HttpRequest, viewer: PortalViewer, number: int) -> HttpResponse:
    found = queries.get_ticket(viewer, number)
    timeline = queries.public_timeline(found, cursor=request.GET.get("cursor"))
    context = {
        "viewer": viewer,
        "ticket": found,
        "status_words": queries.status_words(found.status),
        "status_label": queries.status_label(found.status),
        "timeline": timeline,
        "commitment": queries.current_commitment(found),
        "is_solved": found.status == TicketStatus.SOLVED,
        "is_closed": found.status == TicketStatus.CLOSED,
        "is_confirmed": queries.is_confirmed(found),
        "csat": queries.csat_answer(found),
        "rating_form": RatingForm(),
        "reply_form": MessageForm(),
        "not_solved_form": NotSolvedForm(),
        "max_files": channel_services.UPLOAD_MAX_FILES,
        "max_file_mb": services.max_file_bytes() // (1024 * 1024),
    }
    return render(request, "portal/ticket.html", context)


@require_POST
@viewer_required
@portal_errors
def reply(request: HttpRequest, viewer: PortalViewer, number: int) -> HttpResponse:
    form = MessageForm(request.POST)
    files = request.FILES.getlist("files")
    if not form.is_valid() or (not form.cleaned_data["body"].strip() and not files):
        messages.error(request, _("Write a message or add a file."))
        return redirect("portal:ticket", number=number)
    services.reply_as_customer(viewer, number=number, body=form.cleaned_data["body"], files=files)
    messages.success(request, _("Your message has been sent."))
    return redirect(reverse("portal:ticket", kwargs={"number": number}) + "#latest")


@require_POST
@viewer_required
@portal_errors
def confirm(request: HttpRequest, viewer: PortalViewer, number: int) -> HttpResponse:
    services.confirm_solved(viewer, number=number)
    messages.success(request, _("Thank you for confirming."))
    return redirect("portal:ticket", number=number)


@require_POST
@viewer_required
@portal_errors
def not_solved(request: HttpRequest, viewer: PortalViewer, number: int) -> HttpResponse:
    form = NotSolvedForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tell us what is still wrong."))
        return redirect("portal:ticket", number=number)
    services.report_not_solved(viewer, number=number, body=form.cleaned_data["body"])
    messages.success(request, _("We have reopened your request and will come back to you."))
    return redirect("portal:ticket", number=number)


@require_POST
@viewer_required
@portal_errors
def rate(request: HttpRequest, viewer: PortalViewer, number: int) -> HttpResponse:
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how satisfied you are, from 1 to 5."))
        return redirect("portal:ticket", number=number)
    services.rate_help(
        viewer,
        number=number,
        score=int(form.cleaned_data["score"]),
        comment=form.cleaned_data["comment"],
    )
    messages.success(request, _("Thank you for rating our help."))
    return redirect("portal:ticket", number=number)


def _download(found: Any) -> FileResponse:
    """Always a download (never rendered inline): an uploaded HTML page must not run here."""
    response = FileResponse(
        found.file.open("rb"),
        as_attachment=True,
        filename=found.name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_GET
@viewer_required
@portal_errors
def file(request: HttpRequest, viewer: PortalViewer, number: int, file_id: int) -> HttpResponseBase:
    return _download(queries.get_file(viewer, number, file_id))


@login_required
@require_GET
def staff_file(request: HttpRequest, number: int, file_id: int) -> HttpResponseBase:
    """A customer's portal file, for the staff who may see the ticket."""
    try:
        found = queries.get_staff_file(
            visible_tickets(signed_in_user(request)), number=number, file_id=file_id
        )
    except NotFound as exc:  # out of scope or missing: the same 404, never a hint
        raise Http404(str(exc)) from exc
    return _download(found)


def _language() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh"


@require_GET
@portal_errors
def articles(request: HttpRequest) -> HttpResponse:
    """Public help articles in the visitor's language: the newest, or those matching a search."""
    query = request.GET.get("q", "").strip()[:200]
    context: dict[str, Any] = {"viewer": current_viewer(request), "query": query}
    if query:
        context["results"] = queries.search_public_articles(query, language=_language())
    else:
        context["page"] = queries.list_public_articles(
            language=_language(), cursor=request.GET.get("cursor")
        )
    template = "portal/_article_list.html" if request.htmx else "portal/articles.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@require_GET
@portal_errors
def article(request: HttpRequest, article_id: int) -> HttpResponse:
    found = queries.get_public_article(article_id)
    return render(
        request,
        "portal/article.html",
        {
            "viewer": current_viewer(request),
            "article": found,
            "body": mark_safe(render_markdown(found.body)),  # noqa: S308 - sanitised by nh3
        },
    )


def _initial_contact(viewer: PortalViewer | None) -> dict[str, str]:
    if viewer is None:
        return {}
    customer = Customer.objects.filter(pk=viewer.customer_id).only("name").first()
    email = (
        CustomerIdentity.objects.filter(customer_id=viewer.customer_id, kind=IdentityKind.EMAIL)
        .order_by("-is_primary", "id")
        .values_list("value", flat=True)
        .first()
    )
    return {"name": customer.name if customer else "", "email": email or ""}


@require_http_methods(["GET", "POST"])
def new_request(request: HttpRequest) -> HttpResponse:
    """A new request: the web-form channel's own form and service (acknowledged by email)."""
    viewer = current_viewer(request)
    if request.method != "POST":
        form = ContactForm(initial=_initial_contact(viewer))
        return render(request, "portal/new_request.html", {"form": form, "viewer": viewer})
    form = ContactForm(request.POST, request.FILES)
    if form.is_bot:
        # Answer a bot as if it had worked, so that it learns nothing; store nothing.
        return render(request, "portal/thanks.html", {"number": None, "viewer": viewer})
    if not form.is_valid():
        return render(
            request, "portal/new_request.html", {"form": form, "viewer": viewer}, status=422
        )
    data = form.cleaned_data
    try:
        files = incoming_files(data["attachments"])
        created = channel_services.submit_web_form(
            channel_services.WebFormSubmission(
                subject=data["subject"],
                description=data["description"],
                category=data["category"],
                name=data["name"],
                email=data["email"] or "",
                phone=data["phone"] or "",
                files=files,
            ),
            client_address=_client_address(request),
        )
    except DomainError as exc:
        form.add_error(None, str(exc))
        return render(
            request, "portal/new_request.html", {"form": form, "viewer": viewer}, status=exc.status
        )
    return render(request, "portal/thanks.html", {"number": created.pk, "viewer": viewer})
