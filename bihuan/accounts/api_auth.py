"""API authentication: personal tokens (``Authorization: Bearer bh_…``) and the session."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest
from ninja.security import HttpBearer

from bihuan.accounts.models import User
from bihuan.accounts.services import authenticate_token


class TokenAuth(HttpBearer):
    """``Authorization: Bearer bh_…`` with a personal API token."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return authenticate_token(token)


def current_user(request: HttpRequest) -> User:
    """The user the API authenticated for this request (set by django-ninja as ``auth``)."""
    return cast(User, getattr(request, "auth"))  # noqa: B009
