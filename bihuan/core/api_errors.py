"""The one mapping from errors to JSON answers, shared by every API router."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from bihuan.core.errors import DomainError


class ErrorOut(Schema):
    """Every error answer: a stable code, a human message, and details where useful."""

    code: str
    message: str
    detail: list[dict[str, Any]] | None = None


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _validation_detail(errors: list[Any]) -> list[dict[str, Any]]:
    detail = []
    for error in errors:
        item = dict(error)
        item.pop("ctx", None)
        item.pop("url", None)
        if "input" in item:
            item["input"] = repr(item["input"])[:200]
        item["loc"] = [str(part) for part in item.get("loc", [])]
        detail.append(item)
    return detail


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return api.create_response(
            request, {"code": exc.code, "message": str(exc)}, status=exc.status
        )

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        detail = _validation_detail(list(exc.errors))
        first = detail[0] if detail else {}
        where = ".".join(p for p in first.get("loc", []) if p not in ("body", "payload"))
        message = f"{where}: {first.get('msg', 'invalid')}" if where else "Invalid request"
        return api.create_response(
            request,
            {"code": "validation_failed", "message": message, "detail": detail},
            status=422,
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(
            request,
            {"code": "unauthenticated", "message": "Authentication required: send a valid token."},
            status=401,
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        status = exc.status_code if exc.status_code in ERRORS else 400
        return api.create_response(
            request, {"code": "bad_request", "message": str(exc)}, status=status
        )
