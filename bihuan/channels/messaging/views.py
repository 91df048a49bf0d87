"""The platforms' public callbacks and the admins' settings pages."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bihuan.accounts.models import User
from bihuan.accounts.views import signed_in_user
from bihuan.channels.messaging import services
from bihuan.channels.messaging.choices import Platform
from bihuan.channels.messaging.forms import AccountForm
from bihuan.channels.messaging.models import PlatformAccount
from bihuan.channels.messaging.platforms import default_base_url, handle_callback
from bihuan.channels.messaging.platforms.base import CallbackRefused, Request, forget_nonce
from bihuan.core.views import MAX_ID, domain_errors

logger = logging.getLogger(__name__)

MAX_CALLBACK_BYTES = 1024 * 1024


@csrf_exempt  # the platforms sign their callbacks; there is no session to protect
@require_http_methods(["GET", "POST"])
def callback(request: HttpRequest, platform: str, callback_key: str) -> HttpResponse:
    """One platform callback: verified, decrypted and stored, or refused with a 4xx and no
    side effect. A failure while storing answers 503 and releases the nonce, so that the
    platform's retry is taken."""
    account = PlatformAccount.objects.filter(
        platform=platform, callback_key=callback_key, is_active=True
    ).first()
    if account is None:
        return HttpResponse("unknown callback", status=404, content_type="text/plain")
    if len(request.body) > MAX_CALLBACK_BYTES:
        return HttpResponse("too large", status=413, content_type="text/plain")
    incoming = Request(
        method=request.method or "GET",
        query=request.GET.dict(),
        headers={key.lower(): value for key, value in request.headers.items()},
        body=request.body,
    )
    try:
        result = handle_callback(account, incoming)
    except CallbackRefused as exc:
        logger.warning("refused a %s callback of account %s: %s", platform, account.pk, exc)
        return HttpResponse(exc.reason, status=exc.status, content_type="text/plain")
    try:
        if result.sync_token:
            services.schedule_wecom_sync(account, token=result.sync_token)
        services.receive_messages(account, result.messages)
    except Exception:
        logger.exception("could not store a %s callback of account %s", platform, account.pk)
        if result.nonce:
            forget_nonce(account, result.nonce)
        return HttpResponse("try again", status=503, content_type="text/plain")
    return HttpResponse(result.body, content_type=result.content_type)


@require_GET
def linked_file(request: HttpRequest, token: str) -> HttpResponseBase:
    """A reply's file sent to a customer as a signed link (the platform had no file message
    for it); a forged or expired link is a plain 404 (a customer, not a signed-in agent)."""
    file = services.get_linked_file(token)
    if file is None:
        return HttpResponse("unknown or expired link", status=404, content_type="text/plain")
    response = FileResponse(file.file.open("rb"), as_attachment=True, filename=file.filename)
    response["Content-Type"] = file.content_type or "application/octet-stream"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def callback_url(account: PlatformAccount) -> str:
    base = str(getattr(settings, "BIHUAN_PUBLIC_URL", "")).rstrip("/")
    return base + reverse("messaging:callback", args=[account.platform, account.callback_key])


def _admin(request: HttpRequest) -> User:
    user = signed_in_user(request)
    if not user.is_admin:
        raise Http404(_("Page not found."))  # the same answer as a missing page: no hint
    return user


def _account(account_id: int) -> PlatformAccount:
    account = (
        PlatformAccount.objects.filter(pk=account_id).first() if account_id <= MAX_ID else None
    )
    if account is None:
        raise Http404(_("Page not found."))
    return account


@login_required
@require_GET
def account_list(request: HttpRequest) -> HttpResponse:
    _admin(request)
    accounts = PlatformAccount.objects.select_related("team").order_by("platform", "name")
    rows = [(account, callback_url(account)) for account in accounts]
    return render(
        request,
        "messaging/accounts.html",
        {"rows": rows, "platforms": Platform.choices},
    )


def _values(form: AccountForm, platform: str) -> services.AccountSettings:
    data = form.cleaned_data
    return services.AccountSettings(
        platform=platform,
        name=data["name"],
        app_id=data["app_id"],
        secret=data["secret"],
        token=data["token"],
        aes_key=data["aes_key"],
        open_kfid=data.get("open_kfid") or "",
        robot_code=data.get("robot_code") or "",
        base_url=data["base_url"] or "",
        team=data["team"],
        is_active=data["is_active"],
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def account_new(request: HttpRequest) -> HttpResponse:
    actor = _admin(request)
    platform = request.GET.get("platform", "")
    if platform not in Platform.values:
        raise Http404(_("Page not found."))
    form = AccountForm(
        request.POST if request.method == "POST" else None,
        platform=platform,
        is_new=True,
        initial={"base_url": default_base_url(platform), "is_active": True},
    )
    if request.method == "POST" and form.is_valid():
        account = services.save_account(_values(form, platform), actor=actor)
        messages.success(request, _("Saved. Paste the callback URL into the platform's console."))
        return redirect("messaging:account", account_id=account.pk)
    return render(
        request,
        "messaging/account.html",
        {"form": form, "platform": Platform(platform), "account": None},
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def account_edit(request: HttpRequest, account_id: int) -> HttpResponse:
    actor = _admin(request)
    account = _account(account_id)
    initial = {
        "name": account.name,
        "app_id": account.app_id,
        "open_kfid": account.open_kfid,
        "robot_code": account.robot_code,
        "base_url": account.base_url,
        "team": account.team_id,
        "is_active": account.is_active,
    }
    form = AccountForm(
        request.POST if request.method == "POST" else None,
        platform=account.platform,
        is_new=False,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        services.save_account(_values(form, account.platform), actor=actor, account=account)
        messages.success(request, _("Saved."))
        return redirect("messaging:account", account_id=account.pk)
    return render(
        request,
        "messaging/account.html",
        {
            "form": form,
            "platform": Platform(account.platform),
            "account": account,
            "callback_url": callback_url(account),
        },
    )


@login_required
@require_POST
@domain_errors
def account_test(request: HttpRequest, account_id: int) -> HttpResponse:
    actor = _admin(request)
    account = _account(account_id)
    services.test_connection(account, actor=actor)
    account.refresh_from_db()
    return render(request, "messaging/_test_result.html", {"account": account})
