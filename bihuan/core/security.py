"""Security headers and request size limits for every answer.

- ``Content-Security-Policy`` without ``unsafe-inline``: scripts and styles only from our
  own static files (htmx is told not to inject its indicator style, see base.html).
- ``Permissions-Policy``: no camera, microphone, location, payment or USB for any page.
- ``Cache-Control: no-store`` on every answer that is not a static file unless the view set
  its own: pages and API answers show personal data, which must not stay in shared or
  browser caches.
- A body larger than the server accepts (by its ``Content-Length``) is answered 413 before
  anything reads it: JSON under ``/api/``, the error page otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from bihuan.core.api_errors import API_PREFIX, generic_error
from bihuan.core.digits import ascii_digits


def _too_large(request: HttpRequest) -> bool:
    raw = request.META.get("CONTENT_LENGTH") or ""
    if not ascii_digits(raw):
        return _form_too_large(request)
    content_type = request.META.get("CONTENT_TYPE", "")
    # File uploads are bounded by the upload limit; other bodies are read into memory.
    limit = (
        settings.BIHUAN_MAX_UPLOAD_BYTES
        if content_type.startswith("multipart/")
        else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    )
    return (limit is not None and int(raw) > limit) or _form_too_large(request)


def _form_too_large(request: HttpRequest) -> bool:
    """Parse a posted form now, so that its fields' size limit (which Django checks while
    parsing, in the CSRF check) is answered 413 here rather than as a bare 400 there."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return False
    content_type = request.META.get("CONTENT_TYPE", "")
    if not content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        return False
    try:
        request.POST  # noqa: B018  (parsing is the point)
    except RequestDataTooBig:
        return True
    return False


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _too_large(request):
            response = self._payload_too_large(request)
        else:
            response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY
        if settings.PERMISSIONS_POLICY and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = settings.PERMISSIONS_POLICY
        if "Cache-Control" not in response and not request.path.startswith(
            "/" + settings.STATIC_URL.lstrip("/")
        ):
            response["Cache-Control"] = "no-store"
        return response

    @staticmethod
    def _payload_too_large(request: HttpRequest) -> HttpResponse:
        message = _("The request body is too large.")
        if request.path.startswith(API_PREFIX):
            return generic_error(request, 413)
        if request.headers.get("HX-Request"):
            response = render(request, "components/_error.html", {"message": message}, status=413)
            response["HX-Retarget"] = "#flash"
            response["HX-Reswap"] = "afterbegin"
            return response
        return render(request, "error.html", {"message": message}, status=413)
