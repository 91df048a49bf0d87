"""The feedback domain's event verbs: how each reads, who is told, where it leads."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bihuan.core.catalogue import Verb, declare
from bihuan.core.models import Event
from bihuan.feedback.choices import (
    CauseCategory,
    DeliveryChoice,
    DeliveryRoute,
    RectificationState,
    SurveyKind,
)
from bihuan.tickets.events import _time, ticket_link


def _survey(event: Event) -> str:
    try:
        return str(SurveyKind(str(event.get("kind"))).label)
    except ValueError:
        return "—"


def _route(event: Event) -> str:
    try:
        return str(DeliveryRoute(str(event.get("route"))).label)
    except ValueError:
        return ""


def _delivery(value: object) -> str:
    try:
        return str(DeliveryChoice(str(value)).label)
    except ValueError:
        return "—"


def _sent_by(event: Event) -> list[str]:
    route = _route(event)
    if not route:
        return []
    return [_("by %(route)s to %(to)s") % {"route": route, "to": event.get("to", "")}]


def _state(value: object) -> str:
    try:
        return str(RectificationState(str(value)).label)
    except ValueError:
        return "—"


def _cause(event: Event) -> str:
    try:
        return str(CauseCategory(str(event.get("cause"))).label)
    except ValueError:
        return "—"


def entry_link(event: Event) -> str | None:
    entry = (
        event.get("entry") if event.subject_type != "feedback.feedbackentry" else event.subject_id
    )
    if not isinstance(entry, int):
        return ticket_link(event)
    return reverse("feedback:entry", kwargs={"entry_id": entry})


def campaign_link(event: Event) -> str | None:
    return reverse("feedback:campaign", kwargs={"survey_id": event.subject_id})


def rectification_link(event: Event) -> str | None:
    return reverse("feedback:rectification", kwargs={"rectification_id": event.subject_id})


declare(
    Verb(
        "feedback.survey_sent",
        describe=lambda e: _("sent the customer a %(survey)s survey") % {"survey": _survey(e)},
        details=_sent_by,
        link=ticket_link,
    ),
    Verb(
        "feedback.survey_not_sent",
        describe=lambda e: _("could not send the %(survey)s survey") % {"survey": _survey(e)},
        details=lambda e: [str(e.get("reason", ""))],
        link=ticket_link,
    ),
    Verb(
        "feedback.survey_reminded",
        describe=lambda e: (
            _("reminded the customer of the %(survey)s survey") % {"survey": _survey(e)}
        ),
        details=_sent_by,
        link=ticket_link,
    ),
    Verb(
        "feedback.survey_answered",
        describe=lambda e: (
            _("the customer gave %(survey)s %(score)s")
            % {"survey": _survey(e), "score": e.get("score")}
            if e.get("score") is not None
            else _("the customer answered the %(survey)s") % {"survey": _survey(e)}
        ),
        link=ticket_link,
    ),
    Verb(
        "feedback.survey_answer_changed",
        describe=lambda e: (
            _("the customer changed the %(survey)s answer from %(before)s to %(after)s")
            % {"survey": _survey(e), "before": e.get("from"), "after": e.get("score")}
            if e.get("score") is not None or e.get("from") is not None
            else _("the customer changed the %(survey)s answer") % {"survey": _survey(e)}
        ),
        link=ticket_link,
    ),
    Verb(
        "feedback.opted_out",
        describe=lambda e: (
            _("recorded that the customer wants no more surveys")
            if e.get("by") == "staff"
            else _("the customer asked for no more surveys")
        ),
    ),
    Verb(
        "feedback.delivery_changed",
        describe=lambda e: (
            _("set how %(survey)s surveys are sent: %(delivery)s")
            % {"survey": _survey(e), "delivery": _delivery(e.get("to"))}
        ),
    ),
    Verb("feedback.opted_in", describe=lambda e: _("recorded that the customer accepts surveys")),
    Verb(
        "feedback.campaign_scheduled",
        describe=lambda e: (
            _("scheduled the survey “%(title)s” for %(when)s to %(count)s customers")
            % {
                "title": e.get("title", ""),
                "when": _time(e.get("send_at")),
                "count": e.get("recipients"),
            }
        ),
        link=campaign_link,
    ),
    Verb(
        "feedback.campaign_sent",
        describe=lambda e: (
            _("sent the survey “%(title)s” to %(count)s customers")
            % {"title": e.get("title", ""), "count": e.get("invited")}
        ),
        link=campaign_link,
    ),
    Verb(
        "feedback.campaign_cancelled",
        describe=lambda e: _("cancelled a survey not sent yet"),
        link=campaign_link,
    ),
    Verb(
        "feedback.entry_recorded",
        describe=lambda e: _("recorded feedback in the register"),
        link=entry_link,
    ),
    Verb(
        "feedback.negative_case_opened",
        describe=lambda e: (
            _("opened a negative-feedback case, analysis due %(due)s")
            % {"due": _time(e.get("due_at"))}
        ),
        notification=lambda e: (
            _("a negative-feedback analysis is yours, due %(due)s")
            % {"due": _time(e.get("due_at"))}
        ),
        link=entry_link,
        notifies=gettext_lazy("the analysis's owner (queue supervisor or department head)"),
    ),
    Verb(
        "feedback.analysis_assigned",
        describe=lambda e: _("assigned a negative-feedback analysis"),
        link=entry_link,
        notifies=gettext_lazy("the new owner"),
    ),
    Verb(
        "feedback.analysis_recorded",
        describe=lambda e: _("analysed negative feedback: cause %(cause)s") % {"cause": _cause(e)},
        link=entry_link,
    ),
    Verb(
        "feedback.analysis_overdue",
        describe=lambda e: (
            _("a negative-feedback analysis due %(due)s was missed")
            % {"due": _time(e.get("due_at"))}
        ),
        link=entry_link,
        notifies=gettext_lazy("the owner and the department head (or the supervisors)"),
    ),
    Verb(
        "feedback.change_recorded",
        describe=lambda e: _("internal feedback led to a change"),
        details=lambda e: [str(e.get("note", ""))],
        link=entry_link,
    ),
    Verb(
        "feedback.rectification_opened",
        describe=lambda e: (
            _("opened a rectification due %(due)s") % {"due": _time(e.get("deadline"))}
        ),
        details=lambda e: [str(e.get("problem", ""))],
        link=rectification_link,
        notifies=gettext_lazy("the owner and the owner department's head"),
    ),
    Verb(
        "feedback.rectification_moved",
        describe=lambda e: (
            _("moved a rectification from %(before)s to %(after)s")
            % {"before": _state(e.get("from")), "after": _state(e.get("to"))}
        ),
        details=lambda e: [str(e.get("reason", ""))],
        link=rectification_link,
        notifies=gettext_lazy("the owner and the department head, on acceptance or return"),
    ),
    Verb(
        "feedback.rectification_escalated",
        describe=lambda e: (
            _("a rectification due %(due)s is overdue: escalated")
            % {"due": _time(e.get("deadline"))}
        ),
        link=rectification_link,
        notifies=gettext_lazy("the owner department's head and the owner"),
    ),
)
