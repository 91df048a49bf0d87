"""The one mapping from errors to JSON answers, shared by every API router.

Every error under ``/api/`` is ``{"code", "message"}`` (plus ``detail`` for invalid input):
domain refusals, validation, authentication, and also what Django answers before or around
the API's views (an unknown path, a wrong method, a body too large, a server error), which
``ApiErrorShapeMiddleware`` rewrites. The codes are listed in ``ERROR_CODES`` and docs/api.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from bihuan.core.errors import DomainError

API_PREFIX = "/api/"


class ErrorOut(Schema):
    """Every error answer: a stable code, a human message, and details where useful."""

    code: str
    message: str
    detail: list[dict[str, Any]] | None = None


ERRORS = dict.fromkeys((400, 401, 403, 404, 405, 409, 412, 413, 422), ErrorOut)


def error_responses(*codes: int) -> dict[int, Any]:
    """The ``response=`` entries of an endpoint's documented error statuses."""
    return {code: ERRORS[code] for code in codes}


# The error codes a client may meet, by status (documented in the OpenAPI description).
# tests/api/test_error_codes.py fails when a service raises a code that is not listed here.
ERROR_CODES: dict[int, list[str]] = {
    400: [
        "bad_request",
        "invalid",
    ],
    401: [
        "unauthenticated",
    ],
    403: [
        "forbidden",
        "read_only_role",
        "csrf_failed",
        "admin_only",
        "editor_only",
        "inactive",
        "managers_only",
        "not_owner",
        "not_task_department",
    ],
    404: [
        "not_found",
        "survey_link_invalid",
    ],
    405: [
        "method_not_allowed",
    ],
    409: [
        "conflict",
        "ticket_closed",
        "same_status",
        "forbidden_transition",
        "commitments_open",
        "already_done",
        "already_cancelled",
        "idempotency_key_reused",
        "already_changed",
        "already_linked",
        "already_merged",
        "analysis_done",
        "busy",
        "call_back_done",
        "call_back_needed",
        "confirmed",
        "duplicate",
        "file_sent",
        "invalid_move",
        "invalid_transition",
        "merged_again",
        "no_open_task",
        "no_sender",
        "no_ticket",
        "not_held",
        "not_merged",
        "not_solved",
        "owner_chosen_by_agent",
        "retired",
        "stale_version",
        "survey_already_answered",
        "task_answered",
        "task_cancelled",
        "tasks_open",
        "ticket_not_open",
        "ticket_not_solved",
        "ticket_solved",
        "translation_exists",
        "unpublished",
    ],
    410: [
        "survey_link_expired",
    ],
    412: [
        "precondition_failed",
    ],
    413: [
        "payload_too_large",
    ],
    422: [
        "validation_failed",
        "unknown_reference",
        "out_of_range",
        "naive_datetime",
        "due_in_the_past",
        "invalid_cursor",
        "invalid_date",
        "invalid_choice",
        "invalid_owner",
        "invalid_phone",
        "invalid_email",
        "invalid_external",
        "invalid_tier",
        "invalid_idempotency_key",
        "identity_taken",
        "identity_unavailable",
        "customer_required",
        "empty",
        "too_long",
        "busy",
        "answer_required",
        "campaign_not_scheduled",
        "cause_mismatch",
        "contact_required",
        "deadline_past",
        "different_customer",
        "duplicate_skill",
        "empty_file",
        "empty_macro",
        "empty_patterns",
        "example_mismatch",
        "example_required",
        "file_too_large",
        "files_too_large",
        "future",
        "inactive_owner",
        "invalid",
        "invalid_action",
        "invalid_aes_key",
        "invalid_answer",
        "invalid_assignee",
        "invalid_availability",
        "invalid_body",
        "invalid_call",
        "invalid_channel",
        "invalid_client_id",
        "invalid_code",
        "invalid_direction",
        "invalid_duration",
        "invalid_event_id",
        "invalid_field",
        "invalid_form",
        "invalid_language",
        "invalid_max_chats",
        "invalid_min_urgency",
        "invalid_minutes",
        "invalid_move",
        "invalid_name",
        "invalid_number",
        "invalid_options",
        "invalid_origin",
        "invalid_period",
        "invalid_plan_kind",
        "invalid_platform",
        "invalid_queue_settings",
        "invalid_regex",
        "invalid_release_minutes",
        "invalid_satisfaction",
        "invalid_send_at",
        "invalid_sender",
        "invalid_skills",
        "invalid_sla_state",
        "invalid_sort",
        "invalid_source",
        "invalid_stage",
        "invalid_state",
        "invalid_status",
        "invalid_strategy",
        "invalid_tickets",
        "invalid_url",
        "invalid_value",
        "invalid_view",
        "invalid_weight",
        "merge_invalid",
        "merge_self",
        "name",
        "no_active_model",
        "no_actor",
        "no_destination",
        "no_file",
        "no_progress_update",
        "no_questions",
        "no_reasons",
        "no_recipients",
        "no_selection",
        "no_template",
        "no_webhook_secret",
        "not_enough_data",
        "not_internal",
        "not_systemic",
        "one_word",
        "owner_not_in_department",
        "past_date",
        "period_too_long",
        "personal_template",
        "phone_required",
        "position",
        "regex_group",
        "regex_invalid",
        "regex_required",
        "regex_too_long",
        "retry_not_needed",
        "same",
        "same_due_time",
        "score_out_of_range",
        "stale_stage",
        "test_failed",
        "threshold_range",
        "ticket_not_solved",
        "too_large",
        "too_many",
        "too_many_files",
        "too_many_questions",
        "too_many_recipients",
        "unknown_analysis",
        "unknown_customer",
        "unknown_option",
        "unknown_question",
        "unknown_reason",
        "unknown_ticket",
        "unknown_variable",
        "weeks_out_of_range",
    ],
    429: [
        "rate_limited",
    ],
}

# What Django itself answers with a status (not through a view of the API).
_GENERIC = {
    400: ("bad_request", _("The request is not valid.")),
    401: ("unauthenticated", _("Authentication required: send a valid token.")),
    403: ("forbidden", _("You may not do this.")),
    404: ("not_found", _("There is nothing at this address.")),
    405: ("method_not_allowed", _("This address does not accept the %(method)s method.")),
    413: ("payload_too_large", _("The request body is too large.")),
    500: ("server_error", _("Something went wrong on the server; it has been logged.")),
}


def error_response(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status)


def generic_error(request: HttpRequest, status: int) -> JsonResponse:
    code, message = _GENERIC.get(status, _GENERIC[400 if status < 500 else 500])
    return error_response(status, code, str(message) % {"method": request.method})


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


class ApiErrorShapeMiddleware:
    """Give every error answer under ``/api/`` the API's JSON shape (never an HTML page or
    plain text), and answer a body larger than the server accepts with 413."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith(API_PREFIX)
            and response.status_code >= 400
            and not _is_json(response)
        ):
            replacement = generic_error(request, response.status_code)
            if response.has_header("Allow"):
                replacement["Allow"] = response["Allow"]
            return replacement
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith(API_PREFIX) and isinstance(exception, RequestDataTooBig):
            return generic_error(request, 413)
        return None


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


# Pydantic's messages are English; a client developer reads ours in the user's language.
_FIELD_MESSAGES = {
    "missing": _("%(field)s is required."),
    "extra_forbidden": _("%(field)s is not a field of this request."),
    "string_too_long": _("%(field)s is longer than %(limit)s characters."),
    "string_too_short": _("%(field)s is shorter than %(limit)s characters."),
    "too_long": _("%(field)s has more than %(limit)s items."),
    "string_pattern_mismatch": _("%(field)s is empty or contains a character or form not allowed."),
    "string_type": _("%(field)s must be a string."),
    "int_type": _("%(field)s must be a whole number."),
    "int_parsing": _("%(field)s must be a whole number."),
    "bool_type": _("%(field)s must be true or false."),
    "list_type": _("%(field)s must be a list."),
    "less_than_equal": _("%(field)s must be at most %(limit)s."),
    "greater_than_equal": _("%(field)s must be at least %(limit)s."),
    "literal_error": _("%(field)s must be one of: %(choices)s."),
    "datetime_type": _("%(field)s must be a date and time with a time zone."),
    "datetime_parsing": _("%(field)s must be a date and time with a time zone."),
    "datetime_from_date_parsing": _("%(field)s must be a date and time with a time zone."),
    "model_attributes_type": _("The request body must be a JSON object."),
    "dict_type": _("%(field)s must be a JSON object."),
    "json_invalid": _("The request body is not valid JSON."),
}


def validation_message(error: dict[str, Any]) -> str:
    """One translated sentence for the first invalid field of a request."""
    where = ".".join(
        str(part) for part in error.get("loc", []) if part not in ("body", "payload", "query")
    )
    template = _FIELD_MESSAGES.get(str(error.get("type", "")))
    if template is None:
        return f"{where}: {error.get('msg', '')}" if where else str(error.get("msg", ""))
    ctx = error.get("ctx") or {}
    limit = next((ctx[k] for k in ("max_length", "min_length", "le", "ge") if k in ctx), "")
    return str(template) % {
        "field": where or "—",
        "limit": limit,
        "choices": str(ctx.get("expected", "")),
    }


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return api.create_response(
            request, {"code": exc.code, "message": str(exc)}, status=exc.status
        )

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = list(exc.errors)
        detail = _validation_detail(errors)
        message = validation_message(errors[0]) if errors else str(_("The request is not valid."))
        return api.create_response(
            request,
            {"code": "validation_failed", "message": message, "detail": detail},
            status=422,
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return generic_error(request, 401)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        status = exc.status_code if exc.status_code in ERRORS else 400
        code = _GENERIC.get(status, _GENERIC[400])[0]
        return api.create_response(request, {"code": code, "message": str(exc)}, status=status)

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return generic_error(request, 413)


def describe_error_codes() -> str:
    """The error codes for the OpenAPI description (Markdown)."""
    lines = ['Every error answers `{"code": …, "message": …}`:', ""]
    for status, codes in ERROR_CODES.items():
        lines.append(f"- {status}: " + ", ".join(f"`{c}`" for c in codes))
    return "\n".join(lines)
