"""The demo data set: its size, its consistency with the services' rules, and its loading.

The demo is loaded once for the module (about ten seconds) inside a transaction that is rolled
back at the end; each test runs in a savepoint inside it.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from bihuan.accounts.choices import Role
from bihuan.accounts.models import Department, Team, User
from bihuan.core.models import DueItem, Event, Notification, WorkState
from bihuan.core.text_search import index_text
from bihuan.customers.models import Customer, CustomerIdentity
from bihuan.demo import history
from bihuan.demo.conversation import SCENARIOS
from bihuan.demo.generate import MARKER_VERB, DemoResult, load_demo
from bihuan.demo.history import EventLog, TicketHistory
from bihuan.demo.material import english, organisation
from bihuan.demo.material.scenarios import PLACEHOLDERS
from bihuan.demo.tests.moment import NOW
from bihuan.sla.models import SlaClock
from bihuan.tickets import services
from bihuan.tickets.choices import Channel, MessageKind, Priority, TicketStatus, TicketType
from bihuan.tickets.models import Category, Commitment, Message, Ticket
from bihuan.tickets.queries import search_tickets
from bihuan.tickets.state_machine import can_transition

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("demo")]


def _digest() -> str:
    """Everything a user would see, in id order (ids themselves may differ between loads)."""
    parts: list[Any] = [
        list(Customer.objects.order_by("id").values_list("name", "tier", "lifecycle_stage")),
        list(CustomerIdentity.objects.order_by("id").values_list("kind", "value", "is_primary")),
        list(
            Ticket.objects.order_by("id").values_list(
                "subject", "status", "kind", "channel", "priority", "emotion", "created_at"
            )
        ),
        list(Message.objects.order_by("id").values_list("kind", "body", "created_at")),
        list(Event.objects.exclude(verb=MARKER_VERB).order_by("id").values_list("verb")),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _table_sizes() -> dict[str, int]:
    models = [User, Department, Team, Category, Customer, CustomerIdentity, Ticket, Message]
    sizes = {m.__name__: m._default_manager.count() for m in models}
    sizes.update(
        Commitment=Commitment.objects.count(),
        Event=Event.objects.count(),
        Notification=Notification.objects.count(),
    )
    return sizes


def test_the_demo_has_four_departments_with_heads_and_twelve_sign_ins(demo: DemoResult) -> None:
    departments = {d.name: d.head.username if d.head else None for d in Department.objects.all()}
    users = User.objects.all()
    admin = User.objects.get(username="admin")

    assert departments == {
        "客服部": "wangfang",
        "技术部": "wujun",
        "售后部": "xuhui",
        "物流部": "maxiaodong",
    }
    assert Team.objects.count() == 7
    assert users.count() == 12
    assert Counter(u.role for u in users) == {
        Role.ADMIN: 1,
        Role.SUPERVISOR: 1,
        Role.AGENT: 5,
        Role.ADVISOR: 2,
        Role.DEPARTMENT_MEMBER: 3,
    }
    assert admin.is_superuser
    assert admin.is_staff
    assert all(u.check_password(organisation.PASSWORD) for u in users)
    assert [s.password for s in demo.sign_ins] == [organisation.PASSWORD] * 12


def test_the_demo_has_500_customers_with_one_primary_identity_per_kind(demo: DemoResult) -> None:
    history = Customer.objects.filter(created_at__lt=NOW)  # the set-ups add theirs at NOW
    primaries = Counter(
        CustomerIdentity.objects.filter(is_primary=True, customer__in=history).values_list(
            "customer_id", "kind"
        )
    )
    phones = CustomerIdentity.objects.filter(kind="phone", customer__in=history).values_list(
        "value", flat=True
    )
    vips = Customer.objects.filter(tier="vip")

    assert history.count() == 500
    # Besides the 500: email conversations (4), a likely duplicate (1), two chats (each an
    # anonymous visitor merged into the customer they said they were: 4), two conversations on
    # messaging platforms (2), two callers and one texter (3).
    assert Customer.objects.count() == 500 + 4 + 1 + 4 + 2 + 3
    assert set(primaries.values()) == {1}
    assert len({customer for customer, kind in primaries if kind == "phone"}) == 500
    assert all(re.fullmatch(r"1[3-9]\d{9}", phone) for phone in phones)
    assert vips.count() >= 5
    assert all(c.advisor is not None and c.advisor.role == Role.ADVISOR for c in vips)


def test_the_demo_has_2000_tickets_over_the_last_90_days(demo: DemoResult) -> None:
    tickets = Ticket.objects.filter(created_at__lt=NOW)  # the history's (the set-ups' at NOW)

    assert tickets.count() == 2000
    # The channel set-ups' conversations are opened through the channels at the load's
    # instant: email (4), chat (2), messaging platforms (2), phone and SMS (3).
    assert Ticket.objects.filter(created_at=NOW).count() == demo.counts["email conversations"] + 7
    assert all(NOW - timedelta(days=90) <= t.created_at <= t.updated_at <= NOW for t in tickets)
    assert Counter(t.kind for t in tickets).keys() == set(TicketType.values)
    assert len(Counter(t.channel for t in tickets)) == len(Channel.values)
    assert tickets.exclude(shared_departments=None).exists()
    assert tickets.exclude(tags=None).exists()


def test_every_customer_history_starts_with_its_creation(demo: DemoResult) -> None:
    first: dict[int, Event] = {}
    for event in Event.objects.filter(customer_id__isnull=False).order_by("id"):
        first.setdefault(int(event.customer_id or 0), event)

    merged = Customer.objects.exclude(merged_into=None)
    assert merged.count() == 2  # the two chat visitors: their history moved to the customer
    assert not Event.objects.filter(customer_id__in=merged.values("pk")).exists()
    for customer in Customer.objects.filter(merged_into=None):
        assert first[customer.pk].verb == "customer.created"
        assert first[customer.pk].occurred_at == customer.created_at
        assert customer.created_at <= customer.updated_at <= NOW


def test_ticket_columns_agree_with_their_messages(demo: DemoResult) -> None:
    messages: dict[int, list[Message]] = defaultdict(list)
    for message in Message.objects.order_by("id"):
        messages[message.ticket_id].append(message)

    for ticket in Ticket.objects.all():
        own = messages[ticket.pk]
        replies = [m.created_at for m in own if m.kind == MessageKind.REPLY]
        from_customer = [m.created_at for m in own if m.kind == MessageKind.CUSTOMER]
        assert ticket.message_count == len(own)
        assert own[0].kind == MessageKind.CUSTOMER
        assert [m.created_at for m in own] == sorted(m.created_at for m in own)
        assert ticket.first_response_at == (replies[0] if replies else None)
        assert ticket.last_customer_message_at == from_customer[-1]
        assert ticket.updated_at >= own[-1].created_at


def test_every_ticket_has_its_created_event_and_every_message_its_event(demo: DemoResult) -> None:
    events: dict[int, list[Event]] = defaultdict(list)
    # The tickets' own history (other apps add theirs later, such as the SLA policy applied).
    # (the set-ups after the history, at NOW, go through the services and are tested there).
    history = Event.objects.filter(
        ticket_id__isnull=False, verb__startswith="ticket.", occurred_at__lt=NOW
    )
    for event in history.order_by("id"):
        events[int(event.ticket_id or 0)].append(event)
    messages = {m.pk: m for m in Message.objects.filter(created_at__lt=NOW)}

    referenced: Counter[int] = Counter()
    for ticket in Ticket.objects.filter(created_at__lt=NOW):
        own = events[ticket.pk]
        assert own[0].verb == "ticket.created"
        assert [e.verb for e in own].count("ticket.created") == 1
        assert [e.occurred_at for e in own] == sorted(e.occurred_at for e in own)
        assert own[0].occurred_at == ticket.created_at
        assert own[-1].occurred_at <= ticket.updated_at
        assert all(e.customer_id == ticket.customer_id for e in own)
        for event in own:
            if event.verb in ("ticket.created", "ticket.message_added"):
                message = messages[event.data["message"]]
                assert message.ticket_id == ticket.pk
                assert message.created_at == event.occurred_at
                referenced[message.pk] += 1
            if event.verb == "ticket.message_added":
                assert event.data["kind"] == messages[event.data["message"]].kind
    assert referenced.keys() == messages.keys()
    assert set(referenced.values()) == {1}


def test_statuses_follow_the_state_machine(demo: DemoResult) -> None:
    changes: dict[int, list[Event]] = defaultdict(list)
    for event in Event.objects.filter(verb="ticket.status_changed").order_by("id"):
        changes[int(event.ticket_id or 0)].append(event)

    for ticket in Ticket.objects.all():
        status = TicketStatus.NEW
        for event in changes[ticket.pk]:
            assert event.data["from"] == status
            assert can_transition(status, event.data["to"])
            status = event.data["to"]
        assert status == ticket.status
        if ticket.status == TicketStatus.CLOSED:
            assert ticket.solved_at is not None
            assert ticket.closed_at is not None
            assert ticket.solution
        elif ticket.status == TicketStatus.SOLVED:
            assert ticket.solved_at is not None
            assert ticket.closed_at is None
        else:
            assert ticket.solved_at is None
            assert ticket.closed_at is None


def test_old_tickets_are_mostly_closed_and_recent_ones_still_open(demo: DemoResult) -> None:
    old = Ticket.objects.filter(created_at__lt=NOW - timedelta(days=30))
    recent = Ticket.objects.filter(created_at__gte=NOW - timedelta(days=1))

    assert old.filter(status=TicketStatus.CLOSED).count() / old.count() > 0.85
    assert not recent.filter(status=TicketStatus.CLOSED).exists()
    assert recent.filter(status=TicketStatus.NEW).exists()
    assert recent.filter(status=TicketStatus.OPEN).exists()


def test_mentioned_colleagues_follow_the_ticket_and_are_notified(demo: DemoResult) -> None:
    notes = Event.objects.filter(verb="ticket.message_added", data__kind="note")
    with_mentions = [e for e in notes if e.data.get("mentions")]
    followers = set(Ticket.followers.through.objects.values_list("ticket_id", "user_id"))
    notified = set(Notification.objects.values_list("event_id", "recipient_id"))

    assert len(with_mentions) > 100
    for event in with_mentions:
        for user_id in event.data["mentions"]:
            assert (event.ticket_id, user_id) in followers
            assert (event.pk, user_id) in notified
            username = User.objects.get(pk=user_id).username
            assert f"@{username}" in Message.objects.get(pk=event.data["message"]).body


def test_commitments_are_kept_open_or_overdue_with_their_events(demo: DemoResult) -> None:
    commitments = Commitment.objects.all()
    added = set(
        Event.objects.filter(verb="ticket.commitment_added").values_list(
            "data__commitment", flat=True
        )
    )
    done = set(
        Event.objects.filter(verb="ticket.commitment_done").values_list(
            "data__commitment", flat=True
        )
    )

    assert commitments.filter(done_at__isnull=False).exists()
    assert commitments.filter(done_at=None, due_at__gt=NOW).exists()
    assert commitments.filter(done_at=None, due_at__lt=NOW).exists()
    assert added == {c.pk for c in commitments}
    assert done == {c.pk for c in commitments if c.done_at is not None}


def test_search_tokens_are_those_of_the_search_index(demo: DemoResult) -> None:
    messages = Message.objects.order_by("id")[::40]
    tickets = Ticket.objects.order_by("id")[::20]

    assert all(m.search_tokens == index_text(m.body) for m in messages)
    assert all(t.subject_tokens == index_text(t.subject) for t in tickets)
    assert all(history.index_text(m.body) == index_text(m.body) for m in messages)


def test_search_finds_demo_tickets_by_a_chinese_word(demo: DemoResult) -> None:
    admin = User.objects.get(username="admin")

    refunds = search_tickets(admin, "退款")
    parcels = search_tickets(admin, "物流停滞")

    assert len(refunds) == 50
    assert any(t.category and str(t.category) == "物流/配送 › 物流停滞" for t in parcels)


def test_about_one_customer_in_ten_writes_in_english(demo: DemoResult) -> None:
    admin = User.objects.get(username="admin")
    customers = list(Customer.objects.filter(created_at__lt=NOW).values_list("name", flat=True))
    english_customers = [name for name in customers if name.isascii()]
    english_tickets = Ticket.objects.filter(
        customer__name__in=english_customers, created_at__lt=NOW
    )
    subjects = list(english_tickets.values_list("subject", flat=True))

    assert 40 <= len(english_customers) <= 60
    assert 0.05 <= len(subjects) / Ticket.objects.count() <= 0.2
    assert all(subject.isascii() for subject in subjects)
    assert len(search_tickets(admin, "refund")) > 0
    assert Category.objects.filter(name="退款/退货", name_en="Refunds and returns").exists()


def test_running_the_command_again_changes_nothing(demo: DemoResult) -> None:
    before = _table_sizes()
    out = io.StringIO()

    call_command("demo", stdout=out)

    assert "already loaded" in out.getvalue()
    assert "bihuan-demo" in out.getvalue()
    assert _table_sizes() == before


def test_the_command_refuses_a_database_with_tickets_of_its_own(demo: DemoResult) -> None:
    Event.objects.filter(verb=MARKER_VERB).delete()  # now the tickets look like real ones
    before = _table_sizes()

    with pytest.raises(CommandError, match="--force"):
        call_command("demo", stdout=io.StringIO())

    assert _table_sizes() == before


def test_loading_again_after_a_reset_gives_the_same_data(demo: DemoResult) -> None:
    first = _digest()

    with time_machine.travel(NOW, tick=False):
        again = load_demo(reset=True, now=NOW)

    assert again.loaded
    assert again.deleted
    assert again.counts == demo.counts
    assert _digest() == first


def test_every_template_fills_with_the_placeholders() -> None:
    values = {name: name for name in PLACEHOLDERS}
    pools = [
        "subjects", "calm", "upset", "angry", "asks", "needs", "details", "progress",
        "solutions", "solution_replies", "notes", "mention_notes", "department_notes",
        "info_requests",
    ]  # fmt: skip

    for scenario in (*SCENARIOS, *english.SCENARIOS):
        for pool in pools:
            for template in getattr(scenario, pool):
                template.format(**values)
                # {due} is known only once a commitment is made, just before a progress reply.
                assert "{due}" not in template or pool == "progress", (scenario.key, template)
        for description, _hours in scenario.commitments:
            description.format(**values)
        for tone, weight in zip(("calm", "upset", "angry"), scenario.emotions[1:], strict=True):
            assert not weight or getattr(scenario, tone) or tone == "calm", scenario.key


def test_the_history_records_what_the_services_record(demo: DemoResult) -> None:
    users = {u.username: u for u in User.objects.all()}
    agent, supervisor, head = users["chenjing"], users["wangfang"], users["wujun"]
    tech = Department.objects.get(name="技术部")
    team = Team.objects.get(name="售后服务组")
    category = Category.objects.get(name="仅退款")
    customer = Customer.objects.order_by("id").first()
    assert customer is not None
    # A commitment is due in the future of the real clock (the services refuse a past one).
    due = datetime.now(tz=ZoneInfo("Asia/Shanghai")) + timedelta(days=1)

    ticket = services.create_ticket(
        services.NewTicket(
            subject="申请退款",
            body="我要退款",
            channel=Channel.WECHAT,
            kind=TicketType.REQUEST,
            customer=customer,
            team=team,
            category=category,
            tags=["加急"],
        ),
        actor=None,
    )
    services.reply_to_customer(ticket, body="您好", actor=agent)
    services.update_ticket(
        ticket,
        services.TicketChanges(
            priority=Priority.HIGH,
            emotion="angry",
            tags=["加急", "催单"],
            shared_departments=[tech],
        ),
        actor=agent,
    )
    services.add_internal_note(ticket, body="@wujun 麻烦看一下", actor=agent)
    services.add_internal_note(ticket, body="@chenjing 已处理", actor=head)
    services.record_need(ticket, statement="退款", is_confirmed=False, actor=agent)
    services.change_status(ticket, status=TicketStatus.PENDING_CUSTOMER, actor=agent)
    services.add_customer_message(ticket, body="好的")
    commitment = services.add_commitment(
        ticket, description="24小时内退款", due_at=due, actor=agent
    )
    services.update_ticket(ticket, services.TicketChanges(owner=users["yangli"]), actor=supervisor)
    services.complete_commitment(commitment, actor=agent)
    services.record_solution(ticket, solution="已退款", actor=agent)
    services.change_status(ticket, status=TicketStatus.SOLVED, actor=agent)
    services.add_customer_message(ticket, body="还没到账")
    services.change_status(ticket, status=TicketStatus.SOLVED, actor=agent)
    services.change_status(
        ticket, status=TicketStatus.CLOSED, actor=agent, close_reason="客户电话确认"
    )
    ticket.refresh_from_db()
    real = Event.objects.filter(ticket_id=ticket.pk).order_by("id")

    log = EventLog()
    mirror = TicketHistory(log, list(users.values()))
    at = NOW
    mirror.create(
        customer=customer,
        subject="申请退款",
        body="我要退款",
        channel=Channel.WECHAT,
        kind=TicketType.REQUEST,
        priority=Priority.NORMAL,
        team=team,
        category=category,
        tags=["加急"],
        at=at,
        actor=None,
    )
    mirror.reply("您好", at=at, actor=agent)
    mirror.update(
        at=at,
        actor=agent,
        priority=Priority.HIGH,
        emotion="angry",
        tags=["加急", "催单"],
        shared_departments=[tech],
    )
    mirror.note("@wujun 麻烦看一下", at=at, actor=agent)
    mirror.note("@chenjing 已处理", at=at, actor=head)
    mirror.record_need("退款", confirmed=False, at=at, actor=agent)
    mirror.change_status(TicketStatus.PENDING_CUSTOMER, at=at, actor=agent)
    mirror.customer_message("好的", at=at)
    kept = mirror.add_commitment("24小时内退款", due_at=due, at=at, actor=agent)
    mirror.update(at=at, actor=supervisor, owner=users["yangli"])
    mirror.complete_commitment(kept, at=at, actor=agent)
    mirror.record_solution("已退款", at=at, actor=agent)
    mirror.change_status(TicketStatus.SOLVED, at=at, actor=agent)
    mirror.customer_message("还没到账", at=at)
    mirror.change_status(TicketStatus.SOLVED, at=at, actor=agent)
    mirror.change_status(TicketStatus.CLOSED, at=at, actor=agent, close_reason="客户电话确认")

    def shape(verb: str, actor: int | None, data: dict[str, Any]) -> tuple[Any, ...]:
        ids = {"message", "commitment"}
        return verb, actor, {k: (None if k in ids else v) for k, v in data.items()}

    assert [shape(p.verb, p.actor.pk if p.actor else None, p.data) for p in log.events] == [
        shape(e.verb, e.actor_id, e.data) for e in real
    ]
    assert [sorted(u.pk for u in p.recipients) for p in log.events] == [
        sorted(Notification.objects.filter(event=e).values_list("recipient_id", flat=True))
        for e in real
    ]
    fields = ["status", "priority", "emotion", "message_count", "need_statement", "solution"]
    assert {f: getattr(mirror.ticket, f) for f in fields} == {f: getattr(ticket, f) for f in fields}
    assert mirror.ticket.owner_id == ticket.owner_id
    assert sorted(u.pk for u in mirror.followers) == sorted(
        ticket.followers.values_list("pk", flat=True)
    )
    assert mirror.tags == sorted(ticket.tags.values_list("name", flat=True))


def test_open_tickets_carry_their_sla_clocks_and_closed_ones_none(demo: DemoResult) -> None:
    states = Counter(SlaClock.objects.values_list("state", flat=True))
    closed = Ticket.objects.filter(status__in=(TicketStatus.SOLVED, TicketStatus.CLOSED))

    assert {"running", "paused", "met"} <= set(states)
    assert not SlaClock.objects.filter(ticket__in=closed).exists()
    # Targets already missed fire as soon as a runner starts (bihuan serve).
    assert DueItem.objects.filter(
        kind="sla.breach", state=WorkState.PENDING, available_at__lte=NOW
    ).exists()
    assert Team.objects.filter(name=organisation.COMPLAINTS, supervisor__isnull=False).exists()
