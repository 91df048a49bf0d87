"""The feedback domain's rules in numbers, the due-work kinds and keys, the shared checks,
and the signed survey links."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import User
from bihuan.core.bidi import neutralise_bidi
from bihuan.core.errors import PermissionDenied, ValidationFailed
from bihuan.feedback.choices import (
    EntryKind,
    SurveyKind,
)
from bihuan.feedback.errors import SurveyAlreadyAnswered, SurveyLinkExpired, SurveyLinkInvalid
from bihuan.feedback.models import (
    SurveyInvitation,
    SurveyResponse,
)
from bihuan.tickets.choices import Emotion, TicketType
from bihuan.tickets.permissions import can_work_ticket

# --- Policy ---------------------------------------------------------------------------------

CSAT_RANGE = (1, 5)
NPS_RANGE = (0, 10)
CSAT_LOW_SCORE = 2  # CSAT ≤ 2 opens a negative-feedback case
NPS_LOW_SCORE = 6  # NPS ≤ 6 (a detractor) too
CSAT_GOOD_SCORE = 4  # CSAT ≥ 4 counts as satisfied
NPS_PROMOTER_SCORE = 9
LINK_VALID = timedelta(days=14)
EDIT_WINDOW = timedelta(hours=24)
REMIND_AFTER = timedelta(hours=48)
NPS_INTERVAL = timedelta(days=90)  # quarterly, and never more often
NPS_DELAY = timedelta(days=3)  # after a customer's solved ticket, not on the same day
ANALYSIS_DUE_IN = timedelta(hours=48)  # business hours of the default calendar
TEXT_LIMIT = 2000
TOKEN_SALT = "bihuan.feedback.survey"  # noqa: S105  (a signing salt, not a secret)
TOKEN_MAX_LENGTH = 200
SHORT_SALT = "bihuan.feedback.short-link"
SHORT_MAC_LENGTH = 8  # letters and digits (base 62): 47 bits of an HMAC keyed by SECRET_KEY
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# Due-work kinds (keys name the row: "feedback.surveyinvitation:<id>" …).
SEND = "feedback.send_survey"
REMIND = "feedback.remind_survey"
NPS = "feedback.nps_due"
ANALYSIS_DUE = "feedback.analysis_due"
RECTIFICATION_DUE = "feedback.rectification_due"
CAMPAIGN = "feedback.campaign_due"

# Campaign surveys (季度回访调研).
CAMPAIGN_MAX_QUESTIONS = 20
CAMPAIGN_MAX_OPTIONS = 10
CAMPAIGN_MAX_RECIPIENTS = int(getattr(settings, "BIHUAN_FEEDBACK_CAMPAIGN_MAX_RECIPIENTS", 5000))

# Ticket types that make a register entry when the ticket is solved (咨询/投诉/建议/表扬).
REGISTER_TYPES = {
    TicketType.INQUIRY: EntryKind.INQUIRY,
    TicketType.COMPLAINT: EntryKind.COMPLAINT,
    TicketType.SUGGESTION: EntryKind.SUGGESTION,
    TicketType.PRAISE: EntryKind.PRAISE,
}
NEGATIVE_EMOTIONS = (Emotion.DISSATISFIED, Emotion.ANGRY)


def invitation_key(invitation_id: int) -> str:
    return f"feedback.surveyinvitation:{invitation_id}"


def customer_key(customer_id: int) -> str:
    return f"customers.customer:{customer_id}"


def campaign_key(survey_id: int) -> str:
    return f"feedback.campaignsurvey:{survey_id}"


def analysis_key(analysis_id: int) -> str:
    return f"feedback.negativeanalysis:{analysis_id}"


def rectification_key(rectification_id: int) -> str:
    return f"feedback.rectification:{rectification_id}"


def _clean(value: str, *, label: str, limit: int = TEXT_LIMIT, required: bool = False) -> str:
    text = neutralise_bidi(value or "").strip()
    if required and not text:
        raise ValidationFailed(_("%(field)s must not be empty."), code="empty", field=label)
    if len(text) > limit:
        raise ValidationFailed(
            _("%(field)s is longer than %(limit)s characters."),
            code="too_long",
            field=label,
            limit=limit,
        )
    return text


def _check_choice(value: str, choices: Any, *, label: str) -> None:
    if value not in choices.values:
        raise ValidationFailed(
            _("“%(value)s” is not a valid %(field)s."),
            code="invalid_choice",
            value=value,
            field=label,
        )


def _require_staff_writer(actor: User) -> None:
    """Agents, advisors, supervisors and admins write to the register; department members
    work on the analyses and rectifications given to them."""
    if not can_work_ticket(actor):
        raise PermissionDenied(
            _("Your role may not record feedback; ask the customer-service team."),
            code="read_only_role",
        )


def _require_manager(actor: User) -> None:
    if not (actor.is_active and actor.sees_everything):
        raise PermissionDenied(
            _("Only supervisors and administrators may do this."), code="managers_only"
        )


# --- Survey links ---------------------------------------------------------------------------


def survey_token(invitation: SurveyInvitation) -> str:
    """The signed part of the survey link: the invitation and its nonce (no secret inside,
    nothing guessable: a forged or altered token fails the signature)."""
    return signing.Signer(salt=TOKEN_SALT).sign_object({"i": invitation.pk, "n": invitation.nonce})


def survey_url(invitation: SurveyInvitation, *, name: str = "feedback:survey") -> str:
    """The absolute link for the customer (``BIHUAN_PUBLIC_URL`` + the path)."""
    base = str(getattr(settings, "BIHUAN_PUBLIC_URL", "") or "http://localhost:8000").rstrip("/")
    return base + reverse(name, kwargs={"token": survey_token(invitation)})


def _short_mac(invitation_id: int, nonce: str) -> str:
    # Letters and digits only: phones end a link at the first punctuation mark.
    digest = salted_hmac(SHORT_SALT, f"{invitation_id}:{nonce}", algorithm="sha256").digest()
    number = int.from_bytes(digest, "big")
    text = ""
    for _index in range(SHORT_MAC_LENGTH):
        number, rest = divmod(number, 62)
        text += _BASE62[rest]
    return text


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


def short_survey_url(invitation: SurveyInvitation) -> str:
    """A short link for an SMS (one segment holds 70 characters): the invitation's id in
    base 36 and a MAC over it and its nonce. It leads to the signed link's page; a forged or
    altered one is refused like a forged token."""
    base = str(getattr(settings, "BIHUAN_PUBLIC_URL", "") or "http://localhost:8000").rstrip("/")
    code = _base36(invitation.pk) + _short_mac(invitation.pk, invitation.nonce)
    return base + reverse("feedback:short_link", kwargs={"code": code})


def invitation_for_short_code(code: str) -> SurveyInvitation:
    """The invitation a short link names, or ``SurveyLinkInvalid``."""
    head, mac = code[:-SHORT_MAC_LENGTH], code[-SHORT_MAC_LENGTH:]
    # At most 12 base-36 digits: every such id fits a signed 64-bit key.
    if not head or len(head) > 12 or not head.isascii() or not head.isalnum():
        raise SurveyLinkInvalid(_("This survey link is not valid."))
    invitation = (
        SurveyInvitation.objects.select_related("customer", "ticket", "survey")
        .filter(pk=int(head.lower(), 36))
        .first()
    )
    if invitation is None or not constant_time_compare(
        mac, _short_mac(invitation.pk, invitation.nonce)
    ):
        raise SurveyLinkInvalid(_("This survey link is not valid."))
    return invitation


def invitation_for_token(token: str) -> SurveyInvitation:
    """The invitation a link names, or ``SurveyLinkInvalid`` (forged, altered, cut short)."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        raise SurveyLinkInvalid(_("This survey link is not valid."))
    try:
        data = signing.Signer(salt=TOKEN_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        raise SurveyLinkInvalid(_("This survey link is not valid.")) from None
    if not isinstance(data, dict) or not isinstance(data.get("i"), int):
        raise SurveyLinkInvalid(_("This survey link is not valid."))
    invitation = (
        SurveyInvitation.objects.select_related("customer", "ticket", "survey")
        .filter(pk=data["i"], nonce=str(data.get("n", "")))
        .first()
    )
    if invitation is None:
        raise SurveyLinkInvalid(_("This survey link is not valid."))
    return invitation


def check_link_usable(invitation: SurveyInvitation, *, now: datetime) -> SurveyResponse | None:
    """Refuse an expired link or an answer past its edit window; the answer so far, if any."""
    response = SurveyResponse.objects.filter(invitation=invitation).first()
    if response is not None:
        if now > response.editable_until:
            raise SurveyAlreadyAnswered(
                _("Thank you: we have your answer. It can no longer be changed.")
            )
        return response
    if now > invitation.expires_at:
        raise SurveyLinkExpired(_("This survey link has expired."))
    return None


def is_low_score(kind: str, score: int | None) -> bool:
    """CSAT ≤ 2, NPS ≤ 6; a campaign survey's satisfaction rating (1–5) as a CSAT."""
    if score is None:
        return False
    return score <= (NPS_LOW_SCORE if kind == SurveyKind.NPS else CSAT_LOW_SCORE)
