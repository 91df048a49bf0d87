"""The phone and SMS channel's event verbs: calls on a ticket's timeline, SMS deliveries."""

from __future__ import annotations

from django.utils.translation import gettext as _

from bihuan.core.catalogue import Verb, declare
from bihuan.core.models import Event
from bihuan.tickets.events import ticket_link


def duration_text(seconds: object) -> str:
    """``3 min 20 s`` (or ``45 s``) of a call's length in seconds."""
    if not isinstance(seconds, int) or seconds <= 0:
        return ""
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return _("%(seconds)d s") % {"seconds": rest}
    return _("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": rest}


def _direction(event: Event) -> str:
    return _("Incoming call") if event.get("direction") == "inbound" else _("Outgoing call")


def _call(event: Event) -> str:
    verb = event.verb
    if verb == "phone.call_started":
        return _("%(call)s started") % {"call": _direction(event)}
    if verb == "phone.call_answered":
        return _("%(call)s answered") % {"call": _direction(event)}
    if verb == "phone.call_missed":
        return _("%(call)s missed (not answered)") % {"call": _direction(event)}
    if verb == "phone.call_logged":
        if not event.get("answered"):
            return _("logged an unanswered %(call)s") % {"call": _direction(event).lower()}
        return _("logged an %(call)s") % {"call": _direction(event).lower()}
    return _("%(call)s ended") % {"call": _direction(event)}


def _call_details(event: Event) -> list[str]:
    lines = []
    agent = str(event.get("agent") or "")
    if agent:
        lines.append(_("Agent: %(agent)s") % {"agent": agent})
    duration = duration_text(event.get("duration"))
    if duration:
        lines.append(_("Duration: %(duration)s") % {"duration": duration})
    if event.get("recording_url"):
        lines.append(_("Recording: %(url)s") % {"url": event.get("recording_url")})
    if event.get("note"):
        lines.append(str(event.get("note")))
    return lines


def _sms_details(event: Event) -> list[str]:
    lines = []
    if event.get("to"):
        lines.append(_("to %(number)s") % {"number": event.get("to")})
    if event.get("segments"):
        lines.append(_("%(count)s SMS segment(s)") % {"count": event.get("segments")})
    if event.get("reason"):
        lines.append(str(event.get("reason")))
    return lines


declare(
    *(
        Verb(name, describe=_call, details=_call_details, link=ticket_link)
        for name in (
            "phone.call_started",
            "phone.call_answered",
            "phone.call_ended",
            "phone.call_missed",
            "phone.call_logged",
        )
    ),
    Verb(
        "phone.call_back_requested",
        describe=lambda e: _("asked for a call-back of the missed call"),
        details=lambda e: [_("due %(due)s") % {"due": str(e.get("due_at") or "")[:16]}],
        link=ticket_link,
    ),
    Verb(
        "phone.cti_settings_changed",
        describe=lambda e: _("changed the call-centre webhook settings"),
    ),
    Verb("sms.queued", describe=lambda e: _("queued an SMS"), details=_sms_details),
    Verb("sms.sent", describe=lambda e: _("sent an SMS"), details=_sms_details, link=ticket_link),
    Verb(
        "sms.delivered",
        describe=lambda e: _("an SMS was delivered"),
        details=_sms_details,
        link=ticket_link,
    ),
    Verb(
        "sms.delivery_failed",
        describe=lambda e: _("could not deliver an SMS"),
        details=_sms_details,
        link=ticket_link,
    ),
    Verb(
        "sms.test_sent",
        describe=lambda e: _("sent a test SMS"),
        details=lambda e: [str(e.get("result") or "")],
    ),
    Verb(
        "phone.cti_test_sent",
        describe=lambda e: _("sent a test event to the call-centre webhook"),
        details=lambda e: [str(e.get("result") or "")],
    ),
    Verb(
        "phone.call_back_missed_again",
        describe=lambda e: _("the caller called again and was missed: added to the open call-back"),
        details=lambda e: [_("%(count)s missed calls") % {"count": e.get("missed_calls") or ""}],
        link=ticket_link,
    ),
    Verb("sms.provider_changed", describe=lambda e: _("changed an SMS provider's settings")),
)
