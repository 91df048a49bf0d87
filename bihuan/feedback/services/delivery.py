"""How survey invitations reach the customer: the route a survey's setting chooses (on the
ticket's channel, email or SMS), the fallback when the customer has no address for it, the
message on each route, reminders on the same route, and what became of each message.

Routes:
- email — the mail with the signed link, as before (sent by this due work);
- SMS — a text within one segment where possible, with a short signed link and the
  carriers' opt-out convention (回TD退订), queued on the phone channel's outbound SMS (its
  due work sends it through the active provider and records the receipts);
- chat and the messaging platforms (WeCom, WeChat, Feishu, DingTalk) — a reply on the
  ticket's conversation, in the name of the ticket's owner, delivered by the channel like any
  reply (the chat visitor sees it in the widget; the platform's send API gets it).

Exactly once: the ``SurveyDelivery`` row of the invitation (or of its reminder) is written in
the transaction that queues the message on its channel and marks the invitation sent, so a
retried send finds it and sends nothing. Email leaves after that commit: a mail server error
removes the claim for the retry; a crash between the mail and its confirmation is never
followed by a second mail (the retry confirms the claim).

The channels report the outcome as events (``sms.sent``, ``sms.delivered``,
``sms.delivery_failed``, ``messaging.queued``, ``messaging.sent``,
``messaging.delivery_failed``); ``track_deliveries`` records it on the delivery and on the
invitation. A customer's SMS answer "TD" / "退订" to a survey text opts them out
(``opt_out_by_sms_reply``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone, translation
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import User
from bihuan.channels.phone import services as phone
from bihuan.channels.phone.choices import SmsPurpose
from bihuan.core import due_work
from bihuan.core.errors import ValidationFailed
from bihuan.core.events import record_event, subject_type_of
from bihuan.core.models import Event
from bihuan.customers.choices import IdentityKind
from bihuan.customers.identity import masked_value, normalize_phone
from bihuan.customers.models import CustomerIdentity
from bihuan.feedback.choices import (
    CONVERSATION_ROUTES,
    DeliveryChoice,
    DeliveryRoute,
    DeliveryState,
    InvitationState,
    SurveyKind,
)
from bihuan.feedback.models import SurveyDelivery, SurveyInvitation, SurveyOptOut, SurveySetting
from bihuan.feedback.services.policy import (
    LINK_VALID,
    REMIND,
    REMIND_AFTER,
    _check_choice,
    _require_manager,
    invitation_key,
    short_survey_url,
    survey_url,
)
from bihuan.feedback.services.surveys import is_opted_out, opt_out_customer
from bihuan.tickets import services as ticket_services
from bihuan.tickets.choices import Channel, MessageKind, TicketStatus
from bihuan.tickets.models import Message, Ticket
from bihuan.tickets.permissions import can_work_ticket

# The route "on the ticket's channel" means for each channel (others: email).
TICKET_ROUTES: dict[str, str] = {
    Channel.PHONE: DeliveryRoute.SMS,
    Channel.SMS: DeliveryRoute.SMS,
    Channel.CHAT: DeliveryRoute.CHAT,
    Channel.WECOM: DeliveryRoute.WECOM,
    Channel.WECHAT: DeliveryRoute.WECHAT,
    Channel.FEISHU: DeliveryRoute.FEISHU,
    Channel.DINGTALK: DeliveryRoute.DINGTALK,
}


# --- Settings ---------------------------------------------------------------------------------


def delivery_setting(kind: str) -> str:
    """How CSAT or NPS invitations are sent (on the ticket's channel unless set)."""
    found = SurveySetting.objects.filter(kind=kind).values_list("delivery", flat=True).first()
    return found or DeliveryChoice.TICKET_CHANNEL


@transaction.atomic
def set_survey_delivery(
    kind: str, delivery: str, *, actor: User, now: datetime | None = None
) -> bool:
    """Choose how CSAT or NPS invitations are sent (supervisors and admins): on the ticket's
    channel, by email or by SMS; the others are the fallback in that order. Recorded as an
    event; setting what is already so changes nothing. Returns whether it changed."""
    moment = now or timezone.now()
    _require_manager(actor)
    if kind not in (SurveyKind.CSAT, SurveyKind.NPS):
        raise ValidationFailed(
            _("“%(value)s” is not a valid %(field)s."),
            code="invalid_choice",
            value=kind,
            field=gettext("survey"),
        )
    _check_choice(delivery, DeliveryChoice, label=gettext("way to send"))
    row, _created = SurveySetting.objects.get_or_create(
        kind=kind, defaults={"delivery": DeliveryChoice.TICKET_CHANNEL, "updated_at": moment}
    )
    row = SurveySetting.objects.select_for_update().get(pk=row.pk)
    before = row.delivery
    if before == delivery:
        return False
    row.delivery = delivery
    row.updated_by = actor
    row.updated_at = moment
    row.save(update_fields=["delivery", "updated_by", "updated_at"])
    record_event(
        "feedback.delivery_changed",
        row,
        actor=actor,
        at=moment,
        data={"kind": kind, "from": before, "to": delivery},
    )
    return True


def _choice_of(invitation: SurveyInvitation) -> str:
    if invitation.kind == SurveyKind.CAMPAIGN and invitation.survey is not None:
        return invitation.survey.delivery
    return delivery_setting(invitation.kind)


def route_order(choice: str, channel: str) -> list[str]:
    """The routes to try, in order: the chosen one, then the ticket's channel, email, SMS."""
    on_ticket = TICKET_ROUTES.get(channel, DeliveryRoute.EMAIL)
    first: dict[str, str] = {
        DeliveryChoice.EMAIL: DeliveryRoute.EMAIL,
        DeliveryChoice.SMS: DeliveryRoute.SMS,
    }
    chosen = first.get(choice, on_ticket)
    return list(dict.fromkeys([chosen, on_ticket, DeliveryRoute.EMAIL, DeliveryRoute.SMS]))


# --- Addresses --------------------------------------------------------------------------------


def _identity(customer_id: int, kind: str) -> str:
    return (
        CustomerIdentity.objects.filter(customer_id=customer_id, kind=kind)
        .order_by("-is_primary", "id")
        .values_list("value", flat=True)
        .first()
        or ""
    )


def _conversation_ticket_id(invitation: SurveyInvitation) -> int | None:
    """The conversation a survey goes on: its ticket, or (NPS, campaigns) the customer's
    latest ticket."""
    if invitation.ticket_id:
        return invitation.ticket_id
    return (
        Ticket.objects.filter(customer_id=invitation.customer_id)
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )


@dataclass(frozen=True)
class Plan:
    """A route that can be taken: where to, and for a conversation the ticket and the
    colleague it is sent as."""

    route: str
    address: str
    ticket: Ticket | None = None
    author: User | None = None


def _channel_label(route: str) -> str:
    return str(DeliveryRoute(route).label)


def _conversation_plan(route: str, ticket: Ticket | None, customer_id: int) -> Plan | str:
    label = _channel_label(route)
    if ticket is None or ticket.channel != route:
        return gettext("The customer has no conversation on %(channel)s.") % {"channel": label}
    if ticket.status == TicketStatus.CLOSED:
        return gettext("The %(channel)s conversation is closed.") % {"channel": label}
    wrote = Message.objects.filter(ticket=ticket, kind=MessageKind.CUSTOMER, channel=route)
    if not wrote.exists():
        return gettext("The customer never wrote on %(channel)s in this conversation.") % {
            "channel": label
        }
    author = ticket.owner
    if author is None or not author.is_active or not can_work_ticket(author):
        return gettext("Nobody owns the conversation to send the survey in.")
    address = f"#{ticket.pk}"
    if route != DeliveryRoute.CHAT:
        peer = (
            CustomerIdentity.objects.filter(
                customer_id=customer_id, kind=IdentityKind.EXTERNAL, source__startswith=f"{route}:"
            )
            .values_list("value", flat=True)
            .first()
        )
        address = peer or address
    return Plan(route, address, ticket=ticket, author=author)


def _plan(route: str, invitation: SurveyInvitation, ticket: Ticket | None) -> Plan | str:
    """The route if the customer can be reached by it, else why not."""
    if route == DeliveryRoute.EMAIL:
        address = _identity(invitation.customer_id, IdentityKind.EMAIL)
        if not address:
            return gettext("The customer has no email address.")
        if not getattr(settings, "BIHUAN_MAIL_FROM", ""):
            return gettext("Outbound email is not configured (BIHUAN_MAIL_FROM).")
        return Plan(route, address)
    if route == DeliveryRoute.SMS:
        number = _identity(invitation.customer_id, IdentityKind.PHONE)
        if not number:
            return gettext("The customer has no mobile number.")
        if phone.active_provider() is None:
            return gettext("No SMS provider is turned on.")
        try:
            number = normalize_phone(number)
        except ValidationFailed:
            return gettext("The customer's phone number cannot be read.")
        return Plan(route, number, ticket=ticket)
    return _conversation_plan(route, ticket, invitation.customer_id)


def plan_route(invitation: SurveyInvitation, ticket: Ticket | None) -> Plan | list[str]:
    """The first route of the survey's order the customer can be reached by, or the reason
    each one could not be taken."""
    channel = ticket.channel if ticket is not None else invitation.channel
    reasons: list[str] = []
    for route in route_order(_choice_of(invitation), channel):
        found = _plan(route, invitation, ticket)
        if isinstance(found, Plan):
            return found
        reasons.append(found)
    return list(dict.fromkeys(reasons))


def shown_address(route: str, address: str) -> str:
    """The address as lists and timelines show it (a phone number masked)."""
    if route == DeliveryRoute.SMS and address:
        return masked_value(IdentityKind.PHONE, address)
    return address


# --- Texts ------------------------------------------------------------------------------------


def _question(invitation: SurveyInvitation) -> tuple[str, str]:
    """The mail's subject and the question asked (in the installation's language)."""
    if invitation.kind == SurveyKind.CAMPAIGN and invitation.survey is not None:
        return invitation.survey.title, invitation.survey.intro or gettext(
            "We would like to hear how we are doing: a few questions, a few minutes."
        )
    if invitation.kind == SurveyKind.CSAT and invitation.ticket_id:
        subject = gettext("How did we do? Your request #%(number)s") % {
            "number": invitation.ticket_id
        }
        question = gettext(
            "Your request “%(subject)s” has been solved. How satisfied are you with our help?"
        ) % {"subject": invitation.ticket.subject if invitation.ticket else ""}
        return subject, question
    return gettext("Would you recommend us?"), gettext(
        "How likely are you to recommend us to a friend or colleague? It takes a minute."
    )


def mail_texts(invitation: SurveyInvitation, *, reminder: bool) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        subject, question = _question(invitation)
        if reminder:
            subject = gettext("Reminder: %(subject)s") % {"subject": subject}
        body = gettext(
            "Hello %(name)s,\n\n%(question)s\n\nAnswer here (no sign-in needed; the link is "
            "valid until %(until)s):\n%(link)s\n\nNo more surveys: %(opt_out)s\n\n"
            "Your customer service team"
        ) % {
            "name": invitation.customer.name,
            "question": question,
            "until": timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d"),
            "link": survey_url(invitation),
            "opt_out": survey_url(invitation, name="feedback:opt_out"),
        }
    return subject, body


def conversation_text(invitation: SurveyInvitation, *, reminder: bool) -> str:
    """The message on a chat or platform conversation."""
    with translation.override(settings.LANGUAGE_CODE):
        _subject, question = _question(invitation)
        text = gettext(
            "%(question)s\nAnswer here (no sign-in needed; valid until %(until)s): %(link)s\n"
            "No more surveys: %(opt_out)s"
        ) % {
            "question": question,
            "until": timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d"),
            "link": survey_url(invitation),
            "opt_out": survey_url(invitation, name="feedback:opt_out"),
        }
        if reminder:
            text = gettext("Reminder: %(text)s") % {"text": text}
    return text


def sms_text(invitation: SurveyInvitation, *, reminder: bool, sign_name: str = "") -> str:
    """The survey text: the longest wording that fits one SMS with the provider's signature
    (【签名】, added by the provider, counts in the 70 characters), the short signed link and
    the opt-out answer; the shortest wording when none fits."""
    budget = phone.SEGMENT - (len(sign_name) + 2 if sign_name else 0)
    values = {"name": invitation.customer.name, "link": short_survey_url(invitation)}
    with translation.override(settings.LANGUAGE_CODE):
        if reminder:
            wordings = (
                gettext(
                    "Reminder: %(name)s, please rate our service: %(link)s Reply TD to opt out"
                ),
                gettext("Reminder: please rate our service: %(link)s Reply TD to opt out"),
                gettext("Rate us: %(link)s Reply TD to opt out"),
            )
        else:
            wordings = (
                gettext("%(name)s, please rate our service: %(link)s Reply TD to opt out"),
                gettext("Please rate our service: %(link)s Reply TD to opt out"),
                gettext("Rate us: %(link)s Reply TD to opt out"),
            )
        texts = [w % values for w in wordings]
    return next((t for t in texts if len(t) <= budget), texts[-1])


def _send_mail(invitation: SurveyInvitation, address: str, *, reminder: bool) -> None:
    subject, body = mail_texts(invitation, reminder=reminder)
    mail = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=settings.BIHUAN_MAIL_FROM,
        to=[address],
        headers={"Auto-Submitted": "auto-generated"},
    )
    mail.attach_alternative(
        '<!doctype html><html><body style="font-family: sans-serif; line-height: 1.5">'
        f"{linebreaks(escape(body))}</body></html>",
        "text/html",
    )
    mail.send()


# --- Sending ----------------------------------------------------------------------------------


def _fail(invitation: SurveyInvitation, reason: str, *, route: str = "", now: datetime) -> None:
    with transaction.atomic():
        changed = SurveyInvitation.objects.filter(
            pk=invitation.pk, state__in=(InvitationState.PENDING, InvitationState.SENT)
        ).update(
            state=InvitationState.FAILED,
            failure_reason=reason[:500],
            **({"delivery_state": DeliveryState.FAILED} if route else {}),
        )
        if changed:
            due_work.cancel(REMIND, key=invitation_key(invitation.pk))
            record_event(
                "feedback.survey_not_sent",
                invitation,
                ticket_id=invitation.ticket_id,
                customer_id=invitation.customer_id,
                at=now,
                data={"kind": invitation.kind, "route": route, "reason": reason[:500]},
            )


def _start(
    invitation: SurveyInvitation, plan: Plan, *, reminder: bool, now: datetime
) -> SurveyDelivery:
    """Write the delivery and queue its message on the route (in the caller's transaction);
    email is only claimed here (state ``sending``) and mailed after the commit."""
    delivery = SurveyDelivery(
        invitation=invitation,
        is_reminder=reminder,
        route=plan.route,
        address=plan.address,
        state=DeliveryState.SENDING,
        created_at=now,
    )
    if plan.route == DeliveryRoute.SMS:
        provider = phone.active_provider()
        sign_name = provider.sign_name if provider else ""
        text = sms_text(invitation, reminder=reminder, sign_name=sign_name)
        outbound = phone.queue_sms(
            to=plan.address, body=text, purpose=SmsPurpose.SURVEY, ticket_id=invitation.ticket_id
        )
        delivery.outbound_type = subject_type_of(outbound)
        delivery.outbound_id = outbound.pk
        delivery.state = DeliveryState.QUEUED
    elif plan.route in CONVERSATION_ROUTES:
        assert plan.ticket is not None
        assert plan.author is not None
        delivery.message = ticket_services.reply_to_customer(
            plan.ticket,
            body=conversation_text(invitation, reminder=reminder),
            actor=plan.author,
            channel=plan.route,
        )
        # A chat reply is in the conversation at once (the visitor reads it live or on
        # return); a platform's send API answers later (``messaging.sent``).
        if plan.route == DeliveryRoute.CHAT:
            delivery.state = DeliveryState.SENT
            delivery.sent_at = now
        else:
            delivery.state = DeliveryState.QUEUED
    delivery.save()
    return delivery


def _mark_sent(invitation: SurveyInvitation, delivery: SurveyDelivery, *, now: datetime) -> bool:
    changed = SurveyInvitation.objects.filter(
        pk=invitation.pk, state=InvitationState.PENDING
    ).update(
        state=InvitationState.SENT,
        sent_at=now,
        expires_at=invitation.expires_at,
        route=delivery.route,
        to_address=delivery.address,
        delivery_state=delivery.state,
    )
    if changed:
        record_event(
            "feedback.survey_sent",
            invitation,
            ticket_id=invitation.ticket_id,
            customer_id=invitation.customer_id,
            at=now,
            data={
                "kind": invitation.kind,
                "route": delivery.route,
                "to": shown_address(delivery.route, delivery.address),
            },
        )
        due_work.schedule(REMIND, key=invitation_key(invitation.pk), due_at=now + REMIND_AFTER)
    return bool(changed)


def _mark_reminded(
    invitation: SurveyInvitation, delivery: SurveyDelivery, *, now: datetime
) -> bool:
    changed = SurveyInvitation.objects.filter(
        pk=invitation.pk, state=InvitationState.SENT, reminded_at__isnull=True
    ).update(reminded_at=now)
    if changed:
        record_event(
            "feedback.survey_reminded",
            invitation,
            ticket_id=invitation.ticket_id,
            customer_id=invitation.customer_id,
            at=now,
            data={
                "kind": invitation.kind,
                "route": delivery.route,
                "to": shown_address(delivery.route, delivery.address),
            },
        )
    return bool(changed)


def _confirm(
    invitation: SurveyInvitation, delivery: SurveyDelivery, *, now: datetime, note: str = ""
) -> bool:
    """An email claimed (``sending``) has left: the delivery and the invitation say so."""
    with transaction.atomic():
        SurveyDelivery.objects.filter(pk=delivery.pk, state=DeliveryState.SENDING).update(
            state=DeliveryState.SENT, sent_at=now, note=note[:500]
        )
        delivery.state = DeliveryState.SENT
        if delivery.is_reminder:
            return _mark_reminded(invitation, delivery, now=now)
        return _mark_sent(invitation, delivery, now=now)


def _mail(invitation: SurveyInvitation, delivery: SurveyDelivery, *, now: datetime) -> bool:
    try:
        _send_mail(invitation, delivery.address, reminder=delivery.is_reminder)
    except Exception:
        # Not sent: the claim goes, so that the engine's retry sends it.
        SurveyDelivery.objects.filter(pk=delivery.pk, state=DeliveryState.SENDING).delete()
        raise
    return _confirm(invitation, delivery, now=now)


def _interrupted() -> str:
    return gettext("Interrupted before the mail server confirmed it; not sent again.")


def _lock(
    invitation_id: int, ticket_id: int | None
) -> tuple[SurveyInvitation | None, Ticket | None]:
    # The ticket first, then the invitation: the order of ticket_solved and record_csat.
    ticket = None
    if ticket_id is not None:
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("owner")
            .filter(pk=ticket_id)
            .first()
        )
    invitation = (
        SurveyInvitation.objects.select_for_update(of=("self",))
        .select_related("customer", "ticket", "survey")
        .filter(pk=invitation_id)
        .first()
    )
    return invitation, ticket


def send_invitation(invitation_id: int, *, now: datetime) -> bool:
    """Send a pending invitation by the first route of its survey's order the customer can
    be reached by (due work, after the commit that made it); none: marked not sent with the
    reasons. Sends at most once (see the module's note); a mail server error raises for the
    engine's retry."""
    found = SurveyInvitation.objects.filter(pk=invitation_id).first()
    if found is None or found.state != InvitationState.PENDING:
        return False
    ticket_id = _conversation_ticket_id(found)
    with transaction.atomic():
        invitation, ticket = _lock(invitation_id, ticket_id)
        if invitation is None or invitation.state != InvitationState.PENDING:
            return False
        claimed = SurveyDelivery.objects.filter(invitation=invitation, is_reminder=False).first()
        if claimed is not None:
            if claimed.state == DeliveryState.SENDING:
                return _confirm(invitation, claimed, now=now, note=_interrupted())
            return False
        if is_opted_out(invitation.customer_id):
            SurveyInvitation.objects.filter(pk=invitation.pk, state=InvitationState.PENDING).update(
                state=InvitationState.OPTED_OUT
            )
            return False
        plan = plan_route(invitation, ticket)
        if not isinstance(plan, Plan):
            _fail(invitation, " ".join(plan), now=now)
            return False
        invitation.expires_at = now + LINK_VALID
        delivery = _start(invitation, plan, reminder=False, now=now)
        if plan.route != DeliveryRoute.EMAIL:
            return _mark_sent(invitation, delivery, now=now)
        SurveyInvitation.objects.filter(pk=invitation.pk).update(expires_at=invitation.expires_at)
    return _mail(invitation, delivery, now=now)


def remind_invitation(invitation_id: int, *, now: datetime) -> bool:
    """Remind once, on the route the invitation went by, a customer who has not answered,
    while the link is valid and they have not opted out. A conversation closed since, or an
    SMS provider switched off, means no reminder."""
    first = (
        SurveyDelivery.objects.filter(invitation_id=invitation_id, is_reminder=False)
        .select_related("message")
        .first()
    )
    ticket_id = first.message.ticket_id if first is not None and first.message else None
    with transaction.atomic():
        invitation, ticket = _lock(invitation_id, ticket_id)
        if (
            invitation is None
            or invitation.state != InvitationState.SENT
            or invitation.reminded_at is not None
            or invitation.expires_at <= now
            or is_opted_out(invitation.customer_id)
            or not invitation.to_address
        ):
            return False
        claimed = SurveyDelivery.objects.filter(invitation=invitation, is_reminder=True).first()
        if claimed is not None:
            if claimed.state == DeliveryState.SENDING:
                return _confirm(invitation, claimed, now=now, note=_interrupted())
            return False
        route = invitation.route or DeliveryRoute.EMAIL  # sent before routes existed: mail
        if route in CONVERSATION_ROUTES:
            plan = _conversation_plan(route, ticket, invitation.customer_id)
            if not isinstance(plan, Plan):
                return False
        elif route == DeliveryRoute.SMS and phone.active_provider() is None:
            return False
        else:
            plan = Plan(route, invitation.to_address)
        delivery = _start(invitation, plan, reminder=True, now=now)
        if route != DeliveryRoute.EMAIL:
            return _mark_reminded(invitation, delivery, now=now)
    return _mail(invitation, delivery, now=now)


# --- Outcomes ---------------------------------------------------------------------------------

OUTCOMES = {
    "sms.sent": DeliveryState.SENT,
    "sms.delivered": DeliveryState.DELIVERED,
    "sms.delivery_failed": DeliveryState.FAILED,
    "messaging.sent": DeliveryState.SENT,
    "messaging.delivery_failed": DeliveryState.FAILED,
}
OUTCOME_VERBS = (*OUTCOMES, "messaging.queued")


def track_deliveries(events: Sequence[Event]) -> int:
    """Record what the channels report of survey messages (the consumer of their events):
    the platform's row of a reply, sent, delivered (the SMS receipt), failed with the reason.
    An invitation whose message failed is marked not sent with the reason (its reminder's
    failure only on the reminder). Idempotent: the same event again changes nothing.
    Returns the deliveries changed."""
    changed = 0
    for event in events:
        if event.verb == "messaging.queued":
            message_id = event.get("message")
            if isinstance(message_id, int):
                SurveyDelivery.objects.filter(message_id=message_id, outbound_id=None).update(
                    outbound_type=event.subject_type, outbound_id=event.subject_id
                )
            continue
        target = OUTCOMES.get(event.verb)
        if target is None:
            continue
        rows = SurveyDelivery.objects.select_for_update().filter(
            outbound_type=event.subject_type, outbound_id=event.subject_id
        )
        for delivery in rows:
            if delivery.state == target or (
                target == DeliveryState.SENT
                and delivery.state in (DeliveryState.DELIVERED, DeliveryState.FAILED)
            ):
                continue
            fields = ["state"]
            delivery.state = target
            if target == DeliveryState.SENT:
                delivery.sent_at = event.occurred_at
                fields.append("sent_at")
            elif target == DeliveryState.DELIVERED:
                delivery.delivered_at = event.occurred_at
                delivery.note = ""
                fields += ["delivered_at", "note"]
            else:
                delivery.note = str(event.get("reason", ""))[:500]
                fields.append("note")
            delivery.save(update_fields=fields)
            changed += 1
            if delivery.is_reminder:
                continue
            SurveyInvitation.objects.filter(pk=delivery.invitation_id).update(delivery_state=target)
            if target == DeliveryState.FAILED:
                invitation = SurveyInvitation.objects.get(pk=delivery.invitation_id)
                reason = gettext("%(route)s not delivered: %(reason)s") % {
                    "route": _channel_label(delivery.route),
                    "reason": delivery.note or "—",
                }
                _fail(invitation, reason, route=delivery.route, now=event.occurred_at)
    return changed


# --- Opting out by SMS ------------------------------------------------------------------------


def is_opt_out_reply(text: str) -> bool:
    """Whether an SMS says "no more" by the carriers' convention (TD, T, N, R, 退订…; the
    phone channel's reading of it)."""
    return phone.is_opt_out_text(text)


def opt_out_by_sms_replies(events: Sequence[Event]) -> int:
    """The consumer's batch: customers' messages (one query for the batch), of which the SMS
    that say "no more" opt their senders out. Returns how many did."""
    moments = {
        int(e.get("message")): e.occurred_at for e in events if isinstance(e.get("message"), int)
    }
    texts = Message.objects.filter(
        pk__in=list(moments), kind=MessageKind.CUSTOMER, channel=Channel.SMS
    ).values_list("pk", "body")
    done = 0
    for pk, body in texts:
        if is_opt_out_reply(body) and opt_out_by_sms_reply(pk, now=moments[pk]) is not None:
            done += 1
    return done


def opt_out_by_sms_reply(message_id: int, *, now: datetime) -> SurveyOptOut | None:
    """A customer answered a survey text with TD / 退订: no more surveys (pending sends,
    reminders and the NPS schedule stop), recorded as their own choice. Only a customer who
    was sent a survey by SMS; any other text, or an SMS that is not theirs, changes
    nothing."""
    message = (
        Message.objects.filter(pk=message_id, kind=MessageKind.CUSTOMER, channel=Channel.SMS)
        .select_related("ticket")
        .first()
    )
    if message is None or not is_opt_out_reply(message.body):
        return None
    customer_id = message.ticket.customer_id
    texted = SurveyDelivery.objects.filter(
        invitation__customer_id=customer_id, route=DeliveryRoute.SMS
    )
    if not texted.exists():
        return None
    with transaction.atomic():
        return opt_out_customer(
            customer_id,
            now=now,
            ticket_id=message.ticket_id,
            data={"by": "sms", "message": message.pk},
        )


__all__ = [
    "OUTCOME_VERBS",
    "Plan",
    "conversation_text",
    "delivery_setting",
    "is_opt_out_reply",
    "mail_texts",
    "opt_out_by_sms_replies",
    "opt_out_by_sms_reply",
    "plan_route",
    "remind_invitation",
    "route_order",
    "send_invitation",
    "set_survey_delivery",
    "shown_address",
    "sms_text",
    "track_deliveries",
]
