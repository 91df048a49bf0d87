"""API authentication: personal tokens (``Authorization: Bearer bh_…``) and the session."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth
from ninja.utils import check_csrf

from bihuan.accounts.models import User
from bihuan.accounts.services import authenticate_token
from bihuan.core.errors import PermissionDenied


class TokenAuth(HttpBearer):
    """``Authorization: Bearer bh_…`` with a personal API token."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return authenticate_token(token)


class SessionAuth(NinjaSessionAuth):
    """The browser's signed-in session (the pages' own fetch calls), CSRF-checked.

    Without a signed-in session this method does not apply, so a request without any
    credentials answers 401 ``unauthenticated`` rather than a CSRF refusal.
    """

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if check_csrf(request) is not None:
            raise PermissionDenied(
                _("The CSRF check failed: reload the page and try again."), code="csrf_failed"
            )
        return self.authenticate(request, None)


def current_user(request: HttpRequest) -> User:
    """The user the API authenticated for this request (set by django-ninja as ``auth``)."""
    return cast(User, getattr(request, "auth"))  # noqa: B009
