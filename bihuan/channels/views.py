"""Pages of the channels app: downloading inbound attachments."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from bihuan.accounts.views import signed_in_user
from bihuan.channels import queries
from bihuan.core.errors import NotFound


@login_required
@require_GET
def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    """Always a download (never rendered inline): an attached HTML page must not run here."""
    try:
        found = queries.get_attachment(signed_in_user(request), attachment_id)
    except NotFound as exc:  # out of scope or missing: the same 404, never a hint
        raise Http404(str(exc)) from exc
    response = FileResponse(
        found.file.open("rb"),
        as_attachment=True,
        filename=found.filename,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
