"""Phone and SMS pages: the signed webhooks (call events, inbound SMS, delivery receipts),
logging a call by hand, and the admins' settings pages."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from bihuan.accounts.views import signed_in_user
from bihuan.channels.phone import queries, services, signing
from bihuan.channels.phone.choices import SmsProviderKind
from bihuan.channels.phone.forms import CallLogForm, CtiSettingsForm, ProviderForm, TestSmsForm
from bihuan.channels.phone.models import SmsProvider
from bihuan.core.errors import DomainError, NotFound, ValidationFailed
from bihuan.core.views import domain_errors
from bihuan.customers import queries as customer_queries
from bihuan.tickets import queries as ticket_queries

MAX_BODY_BYTES = 64 * 1024

# --- Webhooks ------------------------------------------------------------------------------


def _signed_json(request: HttpRequest, secret: str) -> Any:
    """Check the signature (in the caller's transaction) and answer the parsed JSON body."""
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        raise services.WebhookRefused("body too large", status=413)
    services.check_webhook(
        secret,
        timestamp=request.headers.get(signing.TIMESTAMP_HEADER),
        signature=request.headers.get(signing.SIGNATURE_HEADER),
        body=body,
    )
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValidationFailed(_("The body must be a JSON object."), code="invalid_body") from exc


Handler = Callable[[Any], dict[str, Any]]


def _answer(request: HttpRequest, secret: str, handle: Handler) -> tuple[int, dict[str, Any]]:
    """The status and JSON answer of a signed webhook request: ``handle``'s, or the
    refusal."""
    try:
        with transaction.atomic():
            # Everything — the remembered signature included — commits only when the
            # change succeeds: a refused request leaves no trace.
            return 200, handle(_signed_json(request, secret))
    except services.WebhookRefused as exc:
        return exc.status, {"status": "refused", "error": str(exc)}
    except DomainError as exc:
        return exc.status, {"status": "refused", "error": exc.code, "message": str(exc)}


def _webhook(request: HttpRequest, secret: str, handle: Handler) -> JsonResponse:
    status, data = _answer(request, secret, handle)
    return JsonResponse(data, status=status)


@csrf_exempt
@require_POST
def cti_events(request: HttpRequest) -> JsonResponse:
    """The call-centre's events (``docs/channels.md``), one JSON object per request. Each
    request is logged with our answer for the settings page; a test event (``"test":
    true``) is checked like any other and answered without a call record or a ticket."""
    seen: dict[str, Any] = {}

    def handle(data: Any) -> dict[str, Any]:
        event = services.parse_call_event(data)
        seen.update(call_id=event.call_id, event=event.event)
        if services.is_test_event(data):
            seen["is_test"] = True
            return {"status": "test", "call_id": event.call_id}
        outcome = services.receive_call_event(event)
        return {
            "status": "duplicate" if outcome.duplicate else "ok",
            "ticket": outcome.record.ticket_id,
            "call": outcome.record.pk,
        }

    status, data = _answer(request, services.cti_settings().webhook_secret, handle)
    reason = "" if status == 200 else str(data.get("message") or data.get("error") or "")
    services.record_cti_delivery(status_code=status, reason=reason, **seen)
    return JsonResponse(data, status=status)


def _provider_secret(kind: str) -> tuple[Any, str]:
    provider = SmsProvider.objects.filter(kind=kind).first()
    return provider, provider.webhook_secret if provider is not None else ""


@csrf_exempt
@require_POST
def sms_inbound(request: HttpRequest, kind: str) -> JsonResponse:
    """A customer's SMS relayed by the provider: ``{"id", "from", "text"}``."""
    provider, secret = _provider_secret(kind)

    def handle(data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise ValidationFailed(_("The body must be a JSON object."), code="invalid_body")
        result = services.receive_inbound_sms(
            provider,
            message_id=str(data.get("id") or ""),
            sender=str(data.get("from") or ""),
            text=str(data.get("text") or ""),
        )
        return {
            "status": "duplicate" if result.duplicate else "ok",
            "ticket": result.message.ticket_id,
        }

    return _webhook(request, secret, handle)


@csrf_exempt
@require_POST
def sms_receipts(request: HttpRequest, kind: str) -> JsonResponse:
    """A delivery receipt: ``{"message_id", "status": "delivered"|"failed", "error"}``."""
    provider, secret = _provider_secret(kind)

    def handle(data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise ValidationFailed(_("The body must be a JSON object."), code="invalid_body")
        outbound = services.record_sms_receipt(
            provider,
            message_id=str(data.get("message_id") or ""),
            status=str(data.get("status") or ""),
            error=str(data.get("error") or ""),
        )
        return {"status": "ok", "sms": outbound.pk}

    return _webhook(request, secret, handle)


# --- Calls logged by hand ------------------------------------------------------------------


def _manual_call(request: HttpRequest) -> services.ManualCall:
    form = CallLogForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(
            f"{form.fields[name].label}: {' '.join(str(e) for e in errs)}"
            for name, errs in form.errors.items()
            if name in form.fields
        )
        raise ValidationFailed(
            _("The call could not be logged: %(errors)s"), code="invalid_call", errors=errors
        )
    data = form.cleaned_data
    return services.ManualCall(
        direction=data["direction"],
        phone=data["phone"],
        started_at=data["started_at"],
        duration_minutes=data["duration_minutes"],
        answered=data["answered"],
        note=data["note"],
    )


@login_required
@require_POST
@domain_errors
def log_ticket_call(request: HttpRequest, number: int) -> HttpResponse:
    viewer = signed_in_user(request)
    ticket = ticket_queries.get_ticket(viewer, number)
    services.log_call(_manual_call(request), actor=viewer, ticket=ticket)
    messages.success(request, _("Call logged."))
    return redirect("tickets:detail", number=ticket.pk)


@login_required
@require_POST
@domain_errors
def log_customer_call(request: HttpRequest, customer_id: int) -> HttpResponse:
    viewer = signed_in_user(request)
    customer = customer_queries.get_customer(viewer, customer_id)
    record = services.log_call(_manual_call(request), actor=viewer, customer=customer)
    messages.success(
        request, _("Call logged on ticket #%(number)s.") % {"number": record.ticket_id}
    )
    return redirect("tickets:detail", number=record.ticket_id)


# --- Settings (admins) ------------------------------------------------------------------------


def _admin(request: HttpRequest) -> Any:
    viewer = signed_in_user(request)
    if not viewer.is_admin:
        raise NotFound(_("Page not found."))
    return viewer


def cti_webhook_url() -> str:
    """The public address of the call-centre webhook (``BIHUAN_PUBLIC_URL``), to paste
    into the call-centre and to post the test event to."""
    base = str(getattr(settings, "BIHUAN_PUBLIC_URL", "")).rstrip("/")
    return base + reverse("phone:cti_events")


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def phone_settings(request: HttpRequest) -> HttpResponse:
    """The call-centre webhook: its address and secret, the call-back time, the last
    deliveries and the test event; the SMS providers' states."""
    viewer = _admin(request)
    current = services.cti_settings()
    form = CtiSettingsForm(
        request.POST or None, initial={"call_back_minutes": current.call_back_minutes}
    )
    if request.method == "POST" and form.is_valid():
        secret = form.cleaned_data["webhook_secret"]
        services.save_cti_settings(
            webhook_secret=secret or None,
            call_back_minutes=form.cleaned_data["call_back_minutes"],
            actor=viewer,
        )
        messages.success(request, _("Call-centre settings saved."))
        return redirect("phone:settings")
    providers = queries.list_providers()
    rows = [(kind, label, providers.get(kind)) for kind, label in SmsProviderKind.choices]
    return render(
        request,
        "phone/settings.html",
        {
            "form": form,
            "cti": current,
            "has_secret": bool(current.webhook_secret),
            "webhook_url": cti_webhook_url(),
            "deliveries": queries.list_cti_deliveries(),
            "providers": rows,
        },
    )


@login_required
@require_POST
@domain_errors
def cti_test(request: HttpRequest) -> HttpResponse:
    """ "Send a test event": a signed sample call event posted to our public webhook address
    over HTTP; the page shows what came back."""
    viewer = _admin(request)
    result = services.send_cti_test_event(url=cti_webhook_url(), actor=viewer)
    if request.htmx:  # type: ignore[attr-defined]
        return render(
            request,
            "phone/_cti_test.html",
            {"cti": services.cti_settings(), "deliveries": queries.list_cti_deliveries()},
        )
    _flash(request, result)
    return redirect("phone:settings")


@login_required
@require_POST
@domain_errors
def cti_new_secret(request: HttpRequest) -> HttpResponse:
    """Generate a new webhook secret, shown on the page to paste into the call-centre."""
    viewer = _admin(request)
    services.generate_cti_secret(actor=viewer)
    messages.success(
        request,
        _(
            "A new webhook secret is saved: paste it into the call-centre (the old one no "
            "longer works)."
        ),
    )
    return redirect("phone:settings")


def _flash(request: HttpRequest, result: services.ConnectionTest) -> None:
    if result.is_ok:
        messages.success(request, result.message)
    else:
        messages.error(request, result.message)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def sms_provider(request: HttpRequest, kind: str) -> HttpResponse:
    """One SMS provider's account, with the "send test SMS" button."""
    viewer = _admin(request)
    provider = queries.list_providers().get(kind)
    initial: dict[str, Any] = {}
    if provider is not None:
        initial = {
            name: getattr(provider, name)
            for name in (
                "is_active",
                "base_url",
                "access_key_id",
                "sign_name",
                "template_code",
                "sdk_app_id",
                "region",
            )
        }
    form = ProviderForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.save_provider(
            kind,
            services.ProviderFields(
                base_url=data["base_url"],
                is_active=data["is_active"],
                access_key_id=data["access_key_id"],
                access_key_secret=data["access_key_secret"] or None,
                sign_name=data["sign_name"],
                template_code=data["template_code"],
                sdk_app_id=data["sdk_app_id"],
                region=data["region"],
                webhook_secret=data["webhook_secret"] or None,
            ),
            actor=viewer,
        )
        messages.success(request, _("Provider settings saved."))
        return redirect(f"phone:sms_{kind}")
    return render(
        request,
        "phone/sms_provider.html",
        {
            "kind": kind,
            "label": SmsProviderKind(kind).label,
            "provider": provider,
            "form": form,
            "test_form": TestSmsForm(),
            "inbound_url": request.build_absolute_uri(f"/sms/hooks/{kind}/inbound/"),
            "receipts_url": request.build_absolute_uri(f"/sms/hooks/{kind}/receipts/"),
        },
    )


@login_required
@require_POST
@domain_errors
def sms_test(request: HttpRequest, kind: str) -> HttpResponse:
    """ "Send test SMS": through the provider's real API; the page shows its answer."""
    viewer = _admin(request)
    form = TestSmsForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(_("Enter a phone number."), code="phone_required")
    result = services.send_test_sms(kind, to=form.cleaned_data["to"], actor=viewer)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "phone/_test_result.html", {"tested": services.provider_of(kind)})
    _flash(request, result)
    return redirect(f"phone:sms_{kind}")
