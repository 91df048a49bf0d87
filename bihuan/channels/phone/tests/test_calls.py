"""The call-centre webhook: signatures, replays, idempotency; calls on tickets; missed calls
get a call-back due in business time; calls logged by hand from the ticket and customer
pages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from bihuan.accounts.choices import Role
from bihuan.channels.phone import services
from bihuan.channels.phone.models import (
    CallEventReceipt,
    CallRecord,
    CtiDelivery,
    CtiSettings,
    MissedCallBack,
    WebhookNonce,
)
from bihuan.channels.phone.signing import sign_webhook
from bihuan.channels.phone.tests.webhooks import SECRET, post_signed
from bihuan.core.errors import ValidationFailed
from bihuan.core.models import Event
from bihuan.core.runner import Runner
from bihuan.customers.choices import IdentityKind
from bihuan.customers.models import Customer, CustomerIdentity
from bihuan.sla.defaults import install_default_policies
from bihuan.testing.factories import make_ticket, make_user
from bihuan.tickets.models import CallBack, Ticket
from bihuan.tickets.services import change_status

URL = "/phone/cti/events/"
# Monday 7 December 2026, 17:00 in Shanghai: one business hour left that day.
MONDAY_5PM = datetime.fromisoformat("2026-12-07T17:00:00+08:00")


@pytest.fixture
def cti(db: None) -> CtiSettings:
    install_default_policies()  # the default business calendar
    return CtiSettings.objects.create(webhook_secret=SECRET, call_back_minutes=120)


@pytest.fixture
def at_monday() -> Iterator[None]:
    with time_machine.travel(MONDAY_5PM, tick=False):
        yield


def call(call_id: str, event: str, at: str, **extra: Any) -> dict[str, Any]:
    return {
        "call_id": call_id,
        "event": event,
        "occurred_at": at,
        "direction": "inbound",
        "caller": "+86 138 0013 8000",
        "callee": "4008001234",
        **extra,
    }


def counts() -> tuple[int, ...]:
    return (
        Ticket.objects.count(),
        CallRecord.objects.count(),
        CallEventReceipt.objects.count(),
        WebhookNonce.objects.count(),
        Event.objects.count(),
        Customer.objects.count(),
    )


@pytest.mark.usefixtures("at_monday")
def test_an_answered_call_opens_a_phone_ticket_with_its_call_record(
    client: Client, cti: CtiSettings, org: Any
) -> None:
    events = [
        call("c-1", "started", "2026-12-07T16:50:00+08:00"),
        call("c-1", "answered", "2026-12-07T16:50:20+08:00", agent="zhangwei"),
        call(
            "c-1",
            "ended",
            "2026-12-07T16:53:40+08:00",
            recording_url="https://cti.example.com/rec/c-1.mp3",
        ),
    ]

    answers = [post_signed(client, URL, e) for e in events]

    assert [a.status_code for a in answers] == [200, 200, 200]
    record = CallRecord.objects.get(call_id="c-1")
    assert (record.direction, record.duration_seconds, record.agent) == ("inbound", 200, org.agent)
    assert record.recording_url == "https://cti.example.com/rec/c-1.mp3"
    ticket = record.ticket
    assert (ticket.channel, answers[0].json()["ticket"]) == ("phone", ticket.pk)
    assert CustomerIdentity.objects.get(customer=ticket.customer).value == "+8613800138000"
    verbs = list(
        Event.objects.filter(ticket_id=ticket.pk, verb__startswith="phone.").values_list(
            "verb", flat=True
        )
    )
    assert verbs == ["phone.call_started", "phone.call_answered", "phone.call_ended"]
    assert not CallBack.objects.filter(ticket=ticket).exists()
    client.force_login(org.admin)
    page = client.get(f"/tickets/{ticket.pk}/")
    assert b'data-testid="call-record" data-direction="inbound" data-missed="0"' in page.content
    assert b'href="https://cti.example.com/rec/c-1.mp3"' in page.content


@pytest.mark.usefixtures("at_monday")
def test_a_missed_call_gets_a_call_back_due_in_business_time(
    client: Client, cti: CtiSettings
) -> None:
    post_signed(client, URL, call("c-2", "started", "2026-12-07T17:00:00+08:00"))

    answer = post_signed(client, URL, call("c-2", "ended", "2026-12-07T17:00:30+08:00"))

    assert answer.status_code == 200
    record = CallRecord.objects.get(call_id="c-2")
    assert record.is_missed
    assert record.duration_seconds == 0
    call_back = CallBack.objects.get(ticket=record.ticket)
    # 17:00:30 + 120 business minutes: 59.5 min to 18:00, then 09:00–10:00:30 on Tuesday.
    assert call_back.due_at == datetime.fromisoformat("2026-12-08T10:00:30+08:00")
    assert Event.objects.filter(verb="phone.call_missed", ticket_id=record.ticket_id).count() == 1
    assert Event.objects.filter(verb="ticket.call_back_scheduled").count() == 1


@pytest.mark.usefixtures("at_monday")
def test_the_callers_next_call_goes_to_their_open_phone_ticket(
    client: Client, cti: CtiSettings
) -> None:
    post_signed(client, URL, call("c-3", "started", "2026-12-07T16:00:00+08:00"))

    post_signed(client, URL, call("c-4", "started", "2026-12-07T16:30:00+08:00"))

    first, second = CallRecord.objects.order_by("pk")
    assert first.ticket_id == second.ticket_id
    assert Ticket.objects.count() == 1


@pytest.mark.usefixtures("at_monday")
def test_the_same_event_again_is_idempotent(client: Client, cti: CtiSettings) -> None:
    post_signed(client, URL, call("c-5", "started", "2026-12-07T16:00:00+08:00"))
    before = counts()

    # The call-centre retries the same event (a new delivery, freshly signed).
    with time_machine.travel(MONDAY_5PM.replace(second=5), tick=False):
        again = post_signed(client, URL, call("c-5", "started", "2026-12-07T16:00:00+08:00"))

    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert counts()[:3] == before[:3]
    assert Event.objects.count() == before[4]


@pytest.mark.usefixtures("at_monday")
@pytest.mark.parametrize(
    ("how", "status"),
    [("forged", 401), ("stale", 401), ("unsigned", 401), ("replayed", 409), ("bad_body", 422)],
)
def test_a_forged_stale_or_replayed_event_is_refused_and_changes_nothing(
    client: Client, cti: CtiSettings, how: str, status: int
) -> None:
    event = call("c-6", "started", "2026-12-07T16:00:00+08:00")
    if how == "replayed":
        first = post_signed(client, URL, event)
        assert first.status_code == 200
    before = counts()

    answer: Any
    if how == "forged":
        answer = post_signed(client, URL, event, secret="not-the-secret")
    elif how == "stale":
        answer = post_signed(client, URL, event, timestamp=int(MONDAY_5PM.timestamp()) - 301)
    elif how == "unsigned":
        answer = client.post(URL, data=event, content_type="application/json")
    elif how == "bad_body":
        answer = post_signed(client, URL, {**event, "caller": "not a phone"})
    else:  # the very same signed request captured and sent again
        body = json.dumps(event, ensure_ascii=False).encode()
        stamp = str(int(MONDAY_5PM.timestamp()))
        answer = client.post(
            URL,
            data=body,
            content_type="application/json",
            headers={
                "X-Bihuan-Timestamp": stamp,
                "X-Bihuan-Signature": sign_webhook(SECRET, stamp, body),
            },
        )

    assert answer.status_code == status
    assert counts() == before
    # The one trace: the refusal in the webhook's delivery log, with its reason.
    refused = CtiDelivery.objects.filter(accepted=False).get()
    assert refused.status_code == status
    expected = {
        "forged": "bad signature",
        "stale": "stale timestamp",
        "unsigned": "missing signature headers",
        "replayed": "replayed request",
    }
    if how == "bad_body":  # the service's message, in the request's language
        assert "not a phone" in refused.reason
    else:
        assert refused.reason == expected[how]


@pytest.mark.usefixtures("at_monday")
def test_an_agent_logs_a_call_back_from_the_ticket_page(
    client: Client, cti: CtiSettings, org: Any
) -> None:
    post_signed(client, URL, call("c-7", "started", "2026-12-07T16:00:00+08:00"))
    post_signed(client, URL, call("c-7", "ended", "2026-12-07T16:00:20+08:00"))
    ticket = CallRecord.objects.get(call_id="c-7").ticket
    client.force_login(org.admin)

    answer = client.post(
        f"/phone/tickets/{ticket.pk}/calls/",
        {
            "direction": "outbound",
            "phone": "",
            "started_at": "2026-12-07T16:40",
            "duration_minutes": "4",
            "answered": "on",
            "note": "已回电，客户说明了退款问题",
        },
    )

    assert answer.status_code == 302
    assert answer["Location"] == f"/tickets/{ticket.pk}/"
    logged = CallRecord.objects.get(is_manual=True)
    assert (logged.ticket_id, logged.callee, logged.duration_seconds) == (
        ticket.pk,
        "+8613800138000",
        240,
    )
    assert CallBack.objects.get(ticket=ticket).cancelled_at is not None
    assert Event.objects.filter(verb="phone.call_logged", ticket_id=ticket.pk).count() == 1


@pytest.mark.usefixtures("at_monday")
def test_a_call_logged_from_the_customer_page_opens_a_phone_ticket(
    client: Client, org: Any
) -> None:
    ticket = make_ticket(phone="13900139000", name="赵敏", channel="web")
    client.force_login(org.admin)

    answer = client.post(
        f"/phone/customers/{ticket.customer_id}/calls/",
        {
            "direction": "inbound",
            "phone": "",
            "started_at": "2026-12-07T16:30",
            "duration_minutes": "2",
            "answered": "on",
            "note": "客户来电咨询发票",
        },
    )

    record = CallRecord.objects.get()
    assert answer.status_code == 302
    page = client.get(f"/customers/{ticket.customer_id}/")
    assert b'data-testid="call-record" data-direction="inbound" data-missed="0"' in page.content
    assert record.ticket_id != ticket.pk
    assert record.ticket.channel == "phone"
    assert record.ticket.customer_id == ticket.customer_id


def test_an_agent_outside_the_tickets_scope_cannot_log_a_call(client: Client, org: Any) -> None:
    ticket = make_ticket(phone="13900139001", team=org.complaints)
    client.force_login(org.tech_member)

    answer = client.post(
        f"/phone/tickets/{ticket.pk}/calls/",
        {"direction": "inbound", "started_at": "2026-12-07T16:30", "duration_minutes": "2"},
    )

    assert answer.status_code == 404
    assert not CallRecord.objects.exists()


def test_a_call_event_before_a_secret_is_set_is_refused(client: Client, db: None) -> None:
    answer = post_signed(client, URL, call("c-9", "started", "2026-12-07T16:00:00+08:00"))

    assert answer.status_code == 401
    assert not CallRecord.objects.exists()
    assert not WebhookNonce.objects.exists()


# --- The settings page: address, secret, deliveries, the test event -------------------------


@pytest.mark.usefixtures("at_monday")
def test_the_settings_page_shows_the_address_the_secret_and_the_latest_deliveries(
    client: Client, cti: CtiSettings, org: Any, settings: Any
) -> None:
    settings.BIHUAN_PUBLIC_URL = "https://help.example.cn"
    post_signed(client, URL, call("c-20", "started", "2026-12-07T16:00:00+08:00"))
    post_signed(client, URL, call("c-21", "started", "2026-12-07T16:01:00+08:00"), secret="x")
    client.force_login(org.admin)

    page = client.get("/phone/settings/").content.decode()

    assert (
        '<code class="user-select-all" data-testid="cti-url">https://help.example.cn/phone/cti/events/</code>'
        in page
    )
    assert f'data-testid="cti-secret">{SECRET}</code>' in page
    assert page.count('data-testid="cti-delivery" data-accepted="0" data-test="0"') == 1
    assert page.count('data-testid="cti-delivery" data-accepted="1" data-test="0"') == 1
    assert "bad signature" in page
    assert "<code>c-20</code> started" in page


def test_an_admin_generates_a_new_secret_and_the_old_one_stops_working(
    client: Client, cti: CtiSettings, org: Any
) -> None:
    client.force_login(org.admin)

    answer = client.post("/phone/settings/new-secret/", follow=True)

    secret = CtiSettings.objects.get().webhook_secret
    assert answer.redirect_chain == [("/phone/settings/", 302)]
    assert len(secret) >= 40
    assert secret != SECRET
    assert f'data-testid="cti-secret">{secret}</code>' in answer.content.decode()
    assert Event.objects.get(verb="phone.cti_settings_changed").data == {"secret_changed": True}
    old = post_signed(client, URL, call("s-1", "started", "2026-12-07T16:00:00+08:00"))
    new = post_signed(
        client, URL, call("s-1", "started", "2026-12-07T16:00:00+08:00"), secret=secret
    )
    assert (old.status_code, new.status_code) == (401, 200)


@pytest.mark.usefixtures("at_monday")
def test_a_signed_test_event_is_answered_without_a_call_or_a_ticket(
    client: Client, cti: CtiSettings
) -> None:
    event = services.test_event_payload(now=MONDAY_5PM)
    before = counts()

    answer = post_signed(client, URL, event)
    forged = post_signed(client, URL, event, secret="not-the-secret")

    assert (answer.status_code, answer.json()["status"]) == (200, "test")
    assert forged.status_code == 401
    after = counts()
    assert after[:3] == before[:3]  # no ticket, call record or call event taken in
    assert after[4:] == before[4:]  # no event, no customer
    deliveries = list(CtiDelivery.objects.order_by("id").values_list("accepted", "is_test"))
    assert deliveries == [(True, True), (False, False)]


@pytest.mark.django_db(transaction=True)
def test_send_a_test_event_posts_it_signed_over_http_to_the_public_address(
    client: Client, live_server: Any, settings: Any
) -> None:
    settings.BIHUAN_PUBLIC_URL = live_server.url
    admin = make_user(Role.ADMIN, username="cti-admin")
    services.save_cti_settings(webhook_secret=SECRET, call_back_minutes=120, actor=admin)
    client.force_login(admin)

    answer = client.post("/phone/settings/test-event/", headers={"HX-Request": "true"})

    assert answer.status_code == 200
    fragment = answer.content.decode()
    assert 'data-testid="test-result" data-ok="yes"' in fragment
    assert 'data-testid="cti-delivery" data-accepted="1" data-test="1"' in fragment
    assert not CallRecord.objects.exists()
    assert not Ticket.objects.exists()
    cti = CtiSettings.objects.get()
    assert cti.last_test_ok is True
    event = Event.objects.get(verb="phone.cti_test_sent")
    assert (event.actor_id, event.data["ok"], event.data["url"]) == (
        admin.pk,
        True,
        f"{live_server.url}/phone/cti/events/",
    )


def test_a_test_event_to_an_unreachable_address_says_so(
    client: Client, cti: CtiSettings, org: Any, settings: Any
) -> None:
    settings.BIHUAN_PUBLIC_URL = "http://127.0.0.1:9"  # the discard port: nothing listens
    client.force_login(org.admin)

    answer = client.post("/phone/settings/test-event/", follow=True)

    assert answer.redirect_chain == [("/phone/settings/", 302)]
    page = answer.content.decode()
    assert 'data-testid="test-result" data-ok="no"' in page
    # The reason names the address (in the page's language: zh-hans by default).
    assert "http://127.0.0.1:9/phone/cti/events/" in page.split('data-testid="test-result"')[1]
    event = Event.objects.get(verb="phone.cti_test_sent")
    assert (event.data["ok"], event.data["reason"]) == (False, "unreachable")
    assert not CtiDelivery.objects.exists()


def test_a_test_event_needs_a_saved_secret(org: Any, settings: Any) -> None:
    with pytest.raises(ValidationFailed):
        services.send_cti_test_event(url="http://127.0.0.1:9/phone/cti/events/", actor=org.admin)

    assert not Event.objects.filter(verb="phone.cti_test_sent").exists()


def test_the_delivery_log_keeps_only_the_latest_requests(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "KEEP_DELIVERIES", 3)

    for index in range(5):
        services.record_cti_delivery(status_code=401, reason=f"bad signature {index}")

    reasons = list(CtiDelivery.objects.order_by("id").values_list("reason", flat=True))
    assert reasons == ["bad signature 2", "bad signature 3", "bad signature 4"]


# --- Missed calls: one call-back per caller while it is open -------------------------------


@pytest.mark.usefixtures("at_monday")
def test_a_repeated_missed_call_adds_to_the_open_call_back_and_a_later_one_opens_another(
    client: Client, cti: CtiSettings, org: Any
) -> None:
    for call_id, at in (("m-1", "16:00:00"), ("m-2", "16:10:00")):
        post_signed(client, URL, call(call_id, "started", f"2026-12-07T{at}+08:00"))
        post_signed(client, URL, call(call_id, "ended", f"2026-12-07T{at[:4]}5:00+08:00"))
    ticket = CallRecord.objects.get(call_id="m-1").ticket

    first = CallBack.objects.get()
    task = MissedCallBack.objects.get()
    assert (task.call_back_id, task.phone, task.missed_calls) == (first.pk, "+8613800138000", 2)
    assert (
        Event.objects.filter(verb="phone.call_back_missed_again", ticket_id=ticket.pk).count() == 1
    )

    # The agent calls back (answered): the task is done; the caller rings and is missed again.
    services.log_call(
        services.ManualCall(
            direction="outbound",
            phone="",
            started_at=MONDAY_5PM,
            duration_minutes=2,
            answered=True,
        ),
        actor=org.agent,
        ticket=ticket,
    )
    post_signed(client, URL, call("m-3", "started", "2026-12-07T16:40:00+08:00"))
    post_signed(client, URL, call("m-3", "ended", "2026-12-07T16:40:30+08:00"))

    first.refresh_from_db()
    assert first.cancelled_at is not None
    second = CallBack.objects.exclude(pk=first.pk).get()
    assert second.is_open
    assert MissedCallBack.objects.get(call_back=second).missed_calls == 1


@pytest.mark.usefixtures("at_monday")
def test_a_ticket_solved_with_a_missed_calls_call_back_open_still_gets_its_24_hour_call_back(
    client: Client, cti: CtiSettings, org: Any
) -> None:
    post_signed(client, URL, call("m-4", "started", "2026-12-07T16:00:00+08:00"))
    post_signed(client, URL, call("m-4", "ended", "2026-12-07T16:00:30+08:00"))
    ticket = CallRecord.objects.get(call_id="m-4").ticket
    missed = CallBack.objects.get(ticket=ticket)

    change_status(ticket, status="solved", actor=org.admin)
    Runner("test").run_until_idle()
    Runner("test").run_until_idle()  # a second pass finds nothing more to add

    follow_up = CallBack.objects.exclude(pk=missed.pk).get(ticket=ticket)
    assert follow_up.is_open
    assert follow_up.due_at == MONDAY_5PM + timedelta(hours=24)
    missed.refresh_from_db()
    assert missed.is_open  # the missed call still waits for its call-back


# --- Customers whose phone was stored before E.164 ---------------------------------------


@pytest.mark.usefixtures("at_monday")
def test_a_call_from_a_customer_stored_with_a_national_number_finds_them(
    client: Client, cti: CtiSettings, org: Any
) -> None:
    # As the demo's history and older imports store it: 11 digits, no +86.
    known = make_ticket(phone="13800138000", name="陈静", channel="web").customer
    CustomerIdentity.objects.filter(customer=known).update(value="13800138000")

    post_signed(client, URL, call("n-1", "started", "2026-12-07T16:00:00+08:00"))
    record = CallRecord.objects.get(call_id="n-1")
    logged = services.log_call(
        services.ManualCall(
            direction="outbound",
            phone="",
            started_at=MONDAY_5PM,
            duration_minutes=1,
            answered=True,
        ),
        actor=org.agent,
        customer=known,
    )

    assert record.customer_id == known.pk
    assert Customer.objects.count() == 1
    assert logged.callee == "+8613800138000"
    assert CustomerIdentity.objects.get(customer=known, kind=IdentityKind.PHONE).value == (
        "13800138000"
    )
