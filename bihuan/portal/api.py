"""The portal endpoints of the REST API (mounted under /api/v1/ by bihuan/api.py).

For a customer's app: ask for a code (``POST /portal/codes``, the same answer whether or not
anything matched), trade it for a portal token (``POST /portal/sessions``), then read and
write the requests it opens with ``Authorization: Bearer bhp_…``. A staff token is no
customer's: it is accepted as a caller that owns no request, so every request answers 404,
like any other request outside the caller's scope.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.params.functions import Path
from ninja.security import HttpBearer
from pydantic import ConfigDict

from bihuan.accounts.services import authenticate_token
from bihuan.core.api_errors import ErrorOut, error_responses
from bihuan.core.errors import ValidationFailed
from bihuan.core.schema_types import NO_NUL
from bihuan.portal import queries, services
from bihuan.portal.viewer import PortalViewer

router = Router(tags=["portal"])

# A staff token authenticates as this: a caller with no customer, who owns no request.
NOBODY = PortalViewer(session_id=0, customer_id=0, ticket_id=0)
NUMBER = Path(..., ge=1, le=2**62)


class PortalTokenAuth(HttpBearer):
    """``Authorization: Bearer bhp_…`` with the token of a verified one-time code."""

    def authenticate(self, request: HttpRequest, token: str) -> PortalViewer | None:
        viewer = services.viewer_for_token(token)
        if viewer is not None:
            return viewer
        return NOBODY if authenticate_token(token) is not None else None


AUTH = [PortalTokenAuth()]


def _viewer(request: HttpRequest) -> PortalViewer:
    viewer = request.auth  # type: ignore[attr-defined]
    assert isinstance(viewer, PortalViewer)
    return viewer


def _address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


class PageQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    cursor: str | None = Field(
        None, max_length=500, pattern=NO_NUL, description="older_cursor / next page"
    )


class CodeIn(Schema):
    """Either a request number and the phone or email on it, or an email to sign in with."""

    number: str | None = Field(None, max_length=24)
    contact: str | None = Field(None, max_length=254)
    email: str | None = Field(None, max_length=254)


class CodeOut(Schema):
    challenge: str
    minutes: int
    message: str


class SessionIn(Schema):
    challenge: str = Field(..., max_length=64)
    code: str = Field(..., max_length=12)


class SessionOut(Schema):
    token: str
    expires_at: datetime
    number: int | None = Field(None, description="the one request a lookup opened")


class RequestOut(Schema):
    number: int
    subject: str
    status: str
    status_label: str
    created_at: datetime
    updated_at: datetime


class CommitmentOut(Schema):
    description: str
    due_at: datetime


class FileOut(Schema):
    id: int
    name: str
    size: int


class EntryOut(Schema):
    at: datetime
    verb: str
    from_customer: bool | None = None
    body: str | None = None
    author: str | None = None
    status: str | None = None
    description: str | None = None
    due_at: datetime | None = None
    files: list[FileOut] = []


class RequestDetailOut(RequestOut):
    status_words: str
    is_confirmed: bool
    commitment: CommitmentOut | None
    timeline: list[EntryOut]
    older_cursor: str | None


class MessageIn(Schema):
    body: str = Field(..., max_length=10_000)


class MessageOut(Schema):
    id: int
    created_at: datetime


def _request_out(ticket: Any) -> dict[str, Any]:
    return {
        "number": ticket.pk,
        "subject": ticket.subject,
        "status": ticket.status,
        "status_label": queries.status_label(ticket.status),
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
    }


def _entry_out(entry: queries.PublicEntry) -> dict[str, Any]:
    out: dict[str, Any] = {"at": entry.event.occurred_at, "verb": entry.verb}
    if entry.message is not None:
        author = entry.message.author
        out.update(
            from_customer=entry.from_customer,
            body=entry.message.body,
            author=None if entry.from_customer or author is None else author.display_name,
            files=[{"id": f.pk, "name": f.name, "size": f.size} for f in entry.files],
        )
    elif entry.verb == "ticket.status_changed":
        out["status"] = str(entry.event.data.get("to", ""))
    elif entry.verb.startswith("ticket.commitment_"):
        out.update(description=entry.description, due_at=entry.due_at)
    return out


@router.post(
    "/portal/codes",
    auth=None,
    response={202: CodeOut, 429: ErrorOut, **error_responses(400, 422)},
    summary="Ask for a one-time code (the same answer whether or not anything matched)",
)
def request_code(request: HttpRequest, payload: CodeIn) -> Any:
    if payload.email:
        asked = services.request_sign_in_code(email=payload.email, client_address=_address(request))
    elif payload.number and payload.contact:
        asked = services.request_lookup_code(
            number=payload.number, contact=payload.contact, client_address=_address(request)
        )
    else:
        raise ValidationFailed(services.NEEDS_NUMBER_OR_EMAIL, code="validation_failed")
    return Status(
        202,
        {
            "challenge": asked.challenge,
            "minutes": services.CODE_MINUTES,
            "message": str(services.CODE_SENT),
        },
    )


@router.post(
    "/portal/sessions",
    auth=None,
    response={201: SessionOut, **error_responses(400, 422)},
    summary="Trade the mailed code for a portal token",
)
def open_session(request: HttpRequest, payload: SessionIn) -> Any:
    opened = services.verify_code(challenge=payload.challenge, code=payload.code)
    return Status(
        201,
        {
            "token": opened.token,
            "expires_at": opened.session.expires_at,
            "number": opened.viewer.ticket_id,
        },
    )


@router.delete(
    "/portal/sessions/current",
    auth=AUTH,
    response={204: None, **error_responses(401)},
    summary="Sign out: the token stops working",
)
def close_session(request: HttpRequest) -> Any:
    viewer = _viewer(request)
    if viewer is not NOBODY:
        services.end_session(viewer)
    return HttpResponse(status=204)


@router.get(
    "/portal/requests",
    auth=AUTH,
    response={200: list[RequestOut], **error_responses(401, 422)},
    summary="The caller's requests, most recently changed first",
)
def list_requests(request: HttpRequest, params: Query[PageQuery]) -> Any:
    page = queries.list_tickets(_viewer(request), cursor=params.cursor)
    return [_request_out(t) for t in page.items]


@router.get(
    "/portal/requests/{number}",
    auth=AUTH,
    response={200: RequestDetailOut, **error_responses(401, 404, 422)},
    summary="One request: its status in plain words, the commitment and the public timeline",
)
def get_request(request: HttpRequest, params: Query[PageQuery], number: int = NUMBER) -> Any:
    ticket = queries.get_ticket(_viewer(request), number)
    timeline = queries.public_timeline(ticket, cursor=params.cursor)
    commitment = queries.current_commitment(ticket)
    return {
        **_request_out(ticket),
        "status_words": queries.status_words(ticket.status),
        "is_confirmed": queries.is_confirmed(ticket),
        "commitment": (
            {"description": commitment.description, "due_at": commitment.due_at}
            if commitment
            else None
        ),
        "timeline": [_entry_out(e) for e in timeline.entries],
        "older_cursor": timeline.older_cursor,
    }


@router.post(
    "/portal/requests/{number}/messages",
    auth=AUTH,
    response={201: MessageOut, **error_responses(400, 401, 404, 409, 422)},
    summary="Write on the request (a solved one reopens; a closed one refuses)",
)
def post_message(request: HttpRequest, payload: MessageIn, number: int = NUMBER) -> Any:
    message = services.reply_as_customer(_viewer(request), number=number, body=payload.body)
    return Status(201, {"id": message.pk, "created_at": message.created_at})


@router.post(
    "/portal/requests/{number}/confirmation",
    auth=AUTH,
    response={200: RequestOut, **error_responses(400, 401, 404, 409, 422)},
    summary="Confirm that a solved request is solved",
)
def confirm(request: HttpRequest, number: int = NUMBER) -> Any:
    return _request_out(services.confirm_solved(_viewer(request), number=number))


@router.post(
    "/portal/requests/{number}/reopening",
    auth=AUTH,
    response={201: MessageOut, **error_responses(400, 401, 404, 409, 422)},
    summary="Say that a solved request is not solved, and why (it reopens)",
)
def reopen(request: HttpRequest, payload: MessageIn, number: int = NUMBER) -> Any:
    message = services.report_not_solved(_viewer(request), number=number, body=payload.body)
    return Status(201, {"id": message.pk, "created_at": message.created_at})


class RatingIn(Schema):
    score: int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=2000)


class RatingOut(Schema):
    score: int
    comment: str
    editable_until: datetime


@router.post(
    "/portal/requests/{number}/rating",
    auth=AUTH,
    response={200: RatingOut, **error_responses(400, 401, 404, 409, 422)},
    summary="Rate the help on a solved request, 1–5 (the ticket's CSAT answer)",
)
def rate(request: HttpRequest, payload: RatingIn, number: int = NUMBER) -> Any:
    answer = services.rate_help(
        _viewer(request), number=number, score=payload.score, comment=payload.comment
    )
    return {
        "score": answer.score,
        "comment": answer.comment,
        "editable_until": answer.editable_until,
    }
