"""Survey invitations by route: on the ticket's channel (a chat message, a text to a phone
caller through the SMS gateway, a message through a messaging platform's send API), the
fallback when the customer has no address for the chosen route, the SMS receipt recorded on
the invitation, the short link, opt-out by answering TD, and no second send on a retry."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from smtplib import SMTPServerDisconnected
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.test import Client
from django.utils import timezone

from bihuan.channels.chat import services as chat
from bihuan.channels.messaging import services as messaging
from bihuan.channels.messaging.platforms.base import InboundMessage
from bihuan.channels.messaging.tests.conftest import make_account
from bihuan.channels.messaging.tests.platform_server import (
    PlatformServer,
    running_platform_server,
)
from bihuan.channels.phone.models import OutboundSms
from bihuan.channels.phone.services import ProviderFields, save_provider, sms_segments
from bihuan.channels.phone.tests import provider_server
from bihuan.channels.phone.tests.provider_server import ProviderServer
from bihuan.channels.phone.tests.webhooks import post_signed
from bihuan.core.errors import ValidationFailed
from bihuan.core.models import Event
from bihuan.core.runner import Runner
from bihuan.feedback import services
from bihuan.feedback.models import CampaignSurvey, SurveyDelivery, SurveyInvitation, SurveyOptOut
from bihuan.testing.factories import make_ticket
from bihuan.tickets import services as tickets
from bihuan.tickets.models import Message, Ticket

HOOK_SECRET = "sms-hook-secret"
SIGN = "闭环客服"
OPEN_ID = "ou_7d8a6e6df7621556ce0d21922b676706ccs"


@pytest.fixture
def public_url(settings: Any) -> None:
    settings.BIHUAN_PUBLIC_URL = "https://kf.cn"  # short: the untranslated English text fits too
    settings.BIHUAN_MAIL_FROM = "闭环客服 <support@example.cn>"
    settings.BIHUAN_JOB_RETRY_SECONDS = 0


@pytest.fixture
def gateway(org: Any) -> Iterator[ProviderServer]:
    """The HTTP gateway on loopback, turned on with a sign name (signature)."""
    for server in provider_server.serve():
        save_provider(
            "generic",
            ProviderFields(
                base_url=server.url + "/send",
                is_active=True,
                access_key_secret=provider_server.GATEWAY_SECRET,
                sign_name=SIGN,
                webhook_secret=HOOK_SECRET,
            ),
            actor=org.admin,
        )
        yield server


def solve(ticket: Ticket, org: Any) -> Ticket:
    if ticket.owner_id is None:
        tickets.update_ticket(ticket, tickets.TicketChanges(owner=org.agent), actor=org.supervisor)
    tickets.change_status(ticket, status="solved", actor=org.agent)
    Runner("test").run_until_idle()
    return Ticket.objects.get(pk=ticket.pk)


def csat(ticket: Ticket) -> SurveyInvitation:
    return SurveyInvitation.objects.get(ticket=ticket, kind="csat")


def short_path(text: str) -> str:
    found = re.search(r"https://kf\.cn(/s/\w+)", text)
    assert found is not None, text
    return found.group(1)


pytestmark = pytest.mark.usefixtures("public_url")


def test_a_solved_chat_tickets_survey_appears_in_the_chat_conversation(
    org: Any, client: Client
) -> None:
    widget = chat.create_widget(chat.WidgetFields(name="官网"), actor=org.admin)
    key = "visitor-7f3a"
    received = chat.receive_visitor_message(
        widget, visitor_key=key, client_id="c1", body="退货地址是哪里？"
    )

    ticket = solve(Ticket.objects.get(pk=received.ticket_id), org)
    services.send_invitation(csat(ticket).pk, now=timezone.now())  # a retry sends nothing

    invitation = csat(ticket)
    last = chat.history(widget, visitor_key=key)[-1]
    assert last.sender == "agent"
    assert services.survey_url(invitation) in last.body
    assert (invitation.state, invitation.route, invitation.to_address) == (
        "sent",
        "chat",
        f"#{ticket.pk}",
    )
    assert invitation.delivery_state == "sent"
    assert ticket.status == "solved"
    assert Message.objects.filter(ticket=ticket, kind="reply", channel="chat").count() == 1
    assert SurveyDelivery.objects.get().message_id == last.id
    client.force_login(org.agent)
    page = client.get(f"/tickets/{ticket.pk}/")
    assert b'data-testid="feedback-survey-route" data-route="chat"' in page.content


def test_a_phone_callers_survey_goes_as_one_text_and_its_receipt_is_recorded(
    org: Any, gateway: ProviderServer, client: Client
) -> None:
    ticket = make_ticket(phone="13800138000", channel="phone", body="来电：咨询保修")

    ticket = solve(ticket, org)
    services.send_invitation(csat(ticket).pk, now=timezone.now())  # a retry sends nothing
    outbound = OutboundSms.objects.get()
    receipt = post_signed(
        client,
        "/sms/hooks/generic/receipts/",
        {"message_id": outbound.provider_message_id, "status": "delivered"},
        secret=HOOK_SECRET,
    )
    Runner("test").run_until_idle()

    [sent] = server_texts(gateway)
    assert sent["to"] == "+8613800138000"
    assert sent["text"] == outbound.body
    assert sms_segments(f"【{SIGN}】{sent['text']}") == 1
    invitation = csat(ticket)
    assert (invitation.route, invitation.to_address, invitation.delivery_state) == (
        "sms",
        "+8613800138000",
        "delivered",
    )
    delivery = SurveyDelivery.objects.get()
    assert (delivery.outbound_id, delivery.state) == (outbound.pk, "delivered")
    assert receipt.status_code == 200
    opened = client.get(short_path(sent["text"]))
    assert opened.status_code == 302
    assert opened["Location"] == f"/survey/{services.survey_token(invitation)}/"
    path = short_path(sent["text"])
    forged = client.get(path[:-1] + ("B" if path.endswith("A") else "A"))
    assert (forged.status_code, forged.has_header("Location")) == (404, False)


def server_texts(server: ProviderServer) -> list[dict[str, Any]]:
    return [r for r in server.requests if r["provider"] == "generic"]


def test_the_reminder_goes_on_the_same_route_and_a_failed_text_is_kept(
    org: Any, gateway: ProviderServer, client: Client
) -> None:
    first = solve(make_ticket(phone="13800138000", channel="sms", body="快递到哪了"), org)
    second = solve(make_ticket(phone="13900139000", channel="phone", body="来电"), org)
    refused = OutboundSms.objects.get(to_number="+8613900139000")

    post_signed(
        client,
        "/sms/hooks/generic/receipts/",
        {"message_id": refused.provider_message_id, "status": "failed", "error": "UNDELIV"},
        secret=HOOK_SECRET,
    )
    Runner("test").run_until_idle()
    Runner("test").run_until_idle(now=timezone.now() + timedelta(hours=49))

    assert [r["to"] for r in server_texts(gateway)] == [
        "+8613800138000",
        "+8613900139000",
        "+8613800138000",  # the reminder; none for the text that was not delivered
    ]
    reminder = SurveyDelivery.objects.get(is_reminder=True)
    assert (reminder.invitation_id, reminder.route) == (csat(first).pk, "sms")
    failed = csat(second)
    assert (failed.state, failed.delivery_state) == ("failed", "failed")
    assert "UNDELIV" in failed.failure_reason


def test_a_platform_tickets_survey_reaches_the_platform_send_api(org: Any) -> None:
    with running_platform_server() as platform:
        account = make_account(org, platform, "feishu")
        [got] = messaging.receive_messages(
            account, [InboundMessage("om_1", OPEN_ID, "text", text="发票抬头开错了")]
        )

        assert got.ticket_number is not None
        ticket = solve(Ticket.objects.get(pk=got.ticket_number), org)

        sent = sent_texts(platform)
    invitation = csat(ticket)
    assert len(sent) == 1
    assert sent[0]["receive_id"] == OPEN_ID
    assert services.survey_url(invitation) in sent[0]["content"]
    assert (invitation.route, invitation.to_address, invitation.delivery_state) == (
        "feishu",
        OPEN_ID,
        "sent",
    )


def sent_texts(platform: PlatformServer) -> list[dict[str, Any]]:
    return [c.body for c in platform.calls("/open-apis/im/v1/messages")]


def test_without_an_address_for_the_chosen_route_the_next_is_taken_or_the_reason_kept(
    org: Any, client: Client
) -> None:
    client.force_login(org.supervisor)
    refused = client.post("/feedback/surveys/delivery/", {"csat": "fax", "nps": "email"})
    saved = client.post("/feedback/surveys/delivery/", {"csat": "sms", "nps": "ticket_channel"})
    by_mail = make_ticket(email="wangfang@example.com", channel="phone", name="王芳")
    nowhere = make_ticket(email="", phone="", channel="web", name="李雷")

    solve(by_mail, org)
    solve(nowhere, org)

    assert refused.status_code == saved.status_code == 302  # back to the page, with the error
    assert services.delivery_setting("csat") == "sms"
    assert services.delivery_setting("nps") == "ticket_channel"  # the refused "email" not kept
    assert Event.objects.filter(verb="feedback.delivery_changed").count() == 1
    shown = client.get("/feedback/surveys/").content.decode()
    assert re.search(r'name="csat"[^>]*>.*?<option value="sms" selected>', shown, re.S)
    mailed = csat(by_mail)  # no mobile number for the text: email
    assert (mailed.route, mailed.to_address) == ("email", "wangfang@example.com")
    assert [m.to for m in mail.outbox] == [["wangfang@example.com"]]
    failed = csat(nowhere)
    event = Event.objects.get(verb="feedback.survey_not_sent", ticket_id=nowhere.pk)
    assert (failed.state, failed.route) == ("failed", "")
    reasons = services.plan_route(failed, nowhere)
    assert isinstance(reasons, list)
    assert len(reasons) == 2  # no mobile number, no email address
    assert failed.failure_reason == event.data["reason"] == " ".join(reasons)
    assert not SurveyDelivery.objects.filter(invitation=failed).exists()


def test_a_campaign_sent_by_sms_and_a_refused_way_to_send(
    org: Any, gateway: ProviderServer
) -> None:
    customer = make_ticket(phone="13800138000", email="wangfang@example.com").customer
    fields = services.CampaignFields(
        title="季度回访调研",
        questions=(services.QuestionFields(kind="rating", text="您满意吗？"),),
        send_at=timezone.now(),
        customers=(customer,),
    )
    with pytest.raises(ValidationFailed) as refused:
        services.create_campaign(replace(fields, delivery="fax"), actor=org.admin)

    services.create_campaign(replace(fields, delivery="sms"), actor=org.admin)
    Runner("test").run_until_idle()

    invitation = SurveyInvitation.objects.get(kind="campaign")
    assert (invitation.route, invitation.to_address) == ("sms", "+8613800138000")
    assert [r["to"] for r in server_texts(gateway)] == ["+8613800138000"]
    assert mail.outbox == []
    assert refused.value.code == "invalid_choice"
    assert CampaignSurvey.objects.get().delivery == "sms"


def test_answering_td_to_a_survey_text_opts_out_and_nothing_more_is_sent(
    org: Any, gateway: ProviderServer, client: Client
) -> None:
    ticket = solve(make_ticket(phone="13800138000", channel="phone", body="来电"), org)
    other = make_ticket(phone="13700137000", channel="sms", body="你好")

    replies = [
        post_signed(
            client,
            "/sms/hooks/generic/inbound/",
            {"id": f"in-{n}", "from": phone, "text": text},
            secret=HOOK_SECRET,
            timestamp=int(timezone.now().timestamp()) + n,
        )
        for n, (phone, text) in enumerate(
            [("13800138000", " 退订 "), ("13700137000", "TD")]  # the second: never texted
        )
    ]
    Runner("test").run_until_idle()
    Runner("test").run_until_idle(now=timezone.now() + timedelta(hours=49))
    solve(other, org)
    solve(make_ticket(phone="13800138000", channel="phone", body="又来电"), org)

    assert [r.status_code for r in replies] == [200, 200]
    opt_out = SurveyOptOut.objects.get()
    assert opt_out.customer_id == ticket.customer_id
    event = Event.objects.get(verb="feedback.opted_out")
    assert event.data["by"] == "sms"
    assert [r["to"] for r in server_texts(gateway)] == ["+8613800138000", "+8613700137000"]
    assert (
        SurveyInvitation.objects.filter(customer_id=ticket.customer_id)
        .values_list("state", flat=True)
        .order_by("pk")[1]
        == "opted_out"
    )


class FlakyMailServer(locmem.EmailBackend):
    """The mail server refuses the next ``failures`` mails (then takes them)."""

    failures = 0

    def send_messages(self, email_messages: Any) -> int:
        if FlakyMailServer.failures:
            FlakyMailServer.failures -= 1
            raise SMTPServerDisconnected("mail server went away")
        return int(super().send_messages(email_messages))


def test_a_mail_server_error_is_retried_and_an_interrupted_mail_is_never_sent_twice(
    org: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.FlakyMailServer"
    FlakyMailServer.failures = 1
    retried = make_ticket(email="wangfang@example.com", channel="email", name="王芳")
    crashed = make_ticket(email="lilei@example.com", channel="email", name="李雷")

    solve(retried, org)
    tickets.update_ticket(crashed, tickets.TicketChanges(owner=org.agent), actor=org.supervisor)
    tickets.change_status(crashed, status="solved", actor=org.agent)
    invitation = services.ticket_solved(crashed.pk, now=timezone.now())
    assert invitation is not None
    # The state a crash leaves between the claim and the mail server's answer.
    SurveyDelivery.objects.create(
        invitation=invitation,
        route="email",
        address="lilei@example.com",
        state="sending",
        created_at=timezone.now(),
    )
    services.send_invitation(invitation.pk, now=timezone.now())

    assert [m.to for m in mail.outbox] == [["wangfang@example.com"]]
    assert FlakyMailServer.failures == 0
    assert csat(retried).state == "sent"
    assert SurveyDelivery.objects.get(invitation=csat(retried)).state == "sent"
    interrupted = csat(crashed)
    assert (interrupted.state, interrupted.route) == ("sent", "email")
    assert SurveyDelivery.objects.get(invitation=interrupted).note != ""
