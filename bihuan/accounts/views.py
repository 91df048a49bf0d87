"""Account pages: sign in and out, interface language, personal API tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from bihuan.accounts import services
from bihuan.accounts.forms import ApiTokenForm, ChangePasswordForm, SignInForm
from bihuan.accounts.models import User
from bihuan.core.errors import DomainError, NotFound
from bihuan.core.views import MAX_ID, domain_errors

SUPPORTED_LANGUAGES = {code for code, _name in settings.LANGUAGES}


def signed_in_user(request: HttpRequest) -> User:
    """The request's user, typed; every caller sits behind ``login_required``."""
    user = request.user
    if not isinstance(user, User) or not user.is_active:
        raise NotFound(_("Not signed in."))
    return user


class SignInView(LoginView):
    """Django's sign-in with our page; the user's saved interface language is applied."""

    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        language = getattr(form.get_user(), "language", "")
        if language in SUPPORTED_LANGUAGES:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            )
        return response


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """django-axes' answer to a refused sign-in (``AXES_LOCKOUT_CALLABLE``).

    When the account itself reached the failure limit (not only the address), its owner is
    told by a notification, once per lock-out, from which address it happened.
    """
    username = get_client_username(request, credentials) or ""
    limit = get_failure_limit(request, credentials)
    cooloff = get_cool_off(request) or timedelta(minutes=15)
    failures = AccessAttempt.objects.filter(username=username).aggregate(
        total=Sum("failures_since_start")
    )["total"]
    user = User.objects.filter(username=username, is_active=True).first() if username else None
    if user is not None and (failures or 0) >= limit:
        services.record_sign_in_lockout(
            user, address=str(getattr(request, "axes_ip_address", "") or ""), cooloff=cooloff
        )
    return render(
        request,
        "accounts/locked_out.html",
        {"failure_limit": limit, "cooloff_timedelta": cooloff},
        status=429,  # Too Many Requests, as django-axes answers
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language with Django's view and remember it for the user."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and isinstance(request.user, User):
        try:
            services.set_user_language(request.user, language=language)
        except DomainError as exc:
            messages.error(request, str(exc))
    return django_set_language(request)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def api_tokens(request: HttpRequest) -> HttpResponse:
    """List the user's own tokens; create one (its value is shown once, never again)."""
    user = signed_in_user(request)
    form = ApiTokenForm(request.POST or None)
    plaintext = ""
    if request.method == "POST" and form.is_valid():
        _token, plaintext = services.create_api_token(
            user, name=form.cleaned_data["name"], actor=user
        )
        form = ApiTokenForm()
    tokens = list(user.api_tokens.order_by("-created_at", "-id")[:100])
    response = render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": tokens, "plaintext": plaintext},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def change_password(request: HttpRequest) -> HttpResponse:
    """The signed-in user changes their own password (the old one first); other sessions of
    the user end, this one stays signed in."""
    user = signed_in_user(request)
    form = ChangePasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.change_password(user, new_password=form.cleaned_data["new_password1"], actor=user)
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password has been changed."))
        return redirect("accounts:password")
    return render(request, "accounts/password.html", {"form": form})


@login_required
@require_POST
@domain_errors
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    if token_id > MAX_ID:
        raise NotFound(_("Token not found."))
    token = services.revoke_api_token(token_id, actor=signed_in_user(request))
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("accounts:tokens")
