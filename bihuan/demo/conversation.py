"""The story of one demo ticket: who writes what, when, and how far it has got by now.

``tell`` decides where the ticket stands today from its age (old tickets are mostly closed,
recent ones new or in progress), lays out the steps of its conversation with plausible gaps
(customers answer in minutes to a day, agents in working hours, other departments on
weekdays), squeezes the steps of recent tickets in before ``now``, and then plays them on a
``TicketHistory``, which records them as the services would.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bihuan.accounts.models import Department, Team, User
from bihuan.customers.choices import Tier
from bihuan.customers.models import Customer, CustomerIdentity
from bihuan.demo.clock import Clock
from bihuan.demo.history import EventLog, PendingEvent, TicketHistory
from bihuan.demo.material import (
    catalogue,
    english,
    organisation,
    scenarios_orders,
    scenarios_products,
    scenarios_service,
)
from bihuan.demo.material import scenarios as phrases
from bihuan.demo.material.catalogue import Product
from bihuan.demo.material.scenarios import Scenario
from bihuan.tickets.choices import Channel, Emotion, Priority, TicketType
from bihuan.tickets.choices import TicketStatus as S
from bihuan.tickets.models import Category, Commitment

SCENARIOS: tuple[Scenario, ...] = (
    *scenarios_orders.SCENARIOS,
    *scenarios_products.SCENARIOS,
    *scenarios_service.SCENARIOS,
)
ORDER_SCENARIOS = frozenset(s.key for s in scenarios_orders.SCENARIOS)

CHANNEL_WEIGHTS: dict[str, int] = {
    Channel.WECHAT: 22,
    Channel.CHAT: 20,
    Channel.API: 15,
    Channel.PHONE: 12,
    Channel.EMAIL: 9,
    Channel.WEB: 10,
    Channel.WECOM: 4,
    Channel.SMS: 3,
    Channel.DINGTALK: 2,
    Channel.FEISHU: 3,
}
# English-speaking customers write by email, chat, the web form or the app.
ENGLISH_CHANNEL_WEIGHTS: dict[str, int] = {
    Channel.EMAIL: 5,
    Channel.CHAT: 3,
    Channel.WEB: 2,
    Channel.API: 1,
}
EMOTIONS = (Emotion.SATISFIED, Emotion.NEUTRAL, Emotion.DISSATISFIED, Emotion.ANGRY)
FORM_CHANNELS = frozenset({Channel.WEB, Channel.API, Channel.WECHAT})  # customer picks a category

# Where a ticket stands today, by its age in hours: (max age, {status: weight}).
STATUS_BY_AGE: tuple[tuple[float, dict[str, int]], ...] = (
    (2, {S.NEW: 60, S.OPEN: 28, S.PENDING_CUSTOMER: 12}),
    (
        24,
        {S.NEW: 30, S.OPEN: 30, S.PENDING_CUSTOMER: 15, S.PENDING_COLLABORATION: 12, S.SOLVED: 13},
    ),
    (
        72,
        {
            S.NEW: 8,
            S.OPEN: 22,
            S.PENDING_CUSTOMER: 20,
            S.PENDING_COLLABORATION: 15,
            S.SOLVED: 25,
            S.CLOSED: 10,
        },
    ),
    (
        24 * 7,
        {
            S.OPEN: 12,
            S.PENDING_CUSTOMER: 10,
            S.PENDING_COLLABORATION: 8,
            S.SOLVED: 28,
            S.CLOSED: 42,
        },
    ),
    (
        24 * 14,
        {S.OPEN: 5, S.PENDING_CUSTOMER: 4, S.PENDING_COLLABORATION: 3, S.SOLVED: 13, S.CLOSED: 75},
    ),
    (
        math.inf,
        {S.OPEN: 1, S.PENDING_CUSTOMER: 1, S.PENDING_COLLABORATION: 1, S.SOLVED: 3, S.CLOSED: 94},
    ),
)
CHASED_SCENARIOS = frozenset({"late_shipment", "out_of_stock", "refund_late"})

CLOSE_REASON = "电话回访：客户确认问题已解决"


@dataclass
class Cast:
    """The demo organisation, saved: who works where, and the category tree."""

    users: dict[str, User]
    departments: dict[str, Department]
    teams: dict[str, Team]
    categories: dict[tuple[str, str], Category]

    @property
    def staff(self) -> list[User]:
        return list(self.users.values())

    @property
    def supervisor(self) -> User:
        return self.users[organisation.SUPERVISOR_USERNAME]

    def owners(self, team: str) -> list[User]:
        """Who answers the queue's tickets (the supervisor only steps in on complaints)."""
        return [
            self.users[m.username]
            for m in organisation.STAFF
            if team in m.teams and m.heads is None and m.department == organisation.SERVICE
        ]

    def head(self, department: str) -> User:
        head = self.departments[department].head
        assert head is not None
        return head


@dataclass
class CustomerProfile:
    """A demo customer before saving, with what the stories need to know about them."""

    customer: Customer
    identities: list[CustomerIdentity]
    later_identities: list[CustomerIdentity]
    title: str  # 王女士 / Ms Carter
    phone: str
    language: str = "zh"  # the language the customer writes in: zh or en
    organisation_name: str = ""
    activity: float = 1.0  # relative chance of writing in
    is_known: bool = False  # created by staff before the 90 days (else by a first contact)
    days_known: int = 400  # how long ago, if known
    created_event: PendingEvent | None = None
    ticket_times: list[datetime] = field(default_factory=list)
    complaint_times: list[datetime] = field(default_factory=list)
    angry_count: int = 0


@dataclass
class TicketSeed:
    """What is decided about a ticket before its story is told."""

    rng: random.Random
    scenario: Scenario
    emotion: str
    channel: str
    product: Product
    profile: CustomerProfile
    created_at: datetime


def choose_scenario(rng: random.Random, *, promotion: bool) -> Scenario:
    weights = [
        s.weight * (2.2 if promotion and s.key in ORDER_SCENARIOS else 1.0) for s in SCENARIOS
    ]
    return rng.choices(SCENARIOS, weights=weights)[0]


def seed_ticket(
    rng: random.Random, profile: CustomerProfile, created_at: datetime, *, promotion: bool
) -> TicketSeed:
    """Draw what the ticket is about, from the ticket's own random stream."""
    if profile.language == "en":
        scenario = rng.choices(english.SCENARIOS, weights=[s.weight for s in english.SCENARIOS])[0]
        weights = ENGLISH_CHANNEL_WEIGHTS
    else:
        scenario = choose_scenario(rng, promotion=promotion)
        weights = CHANNEL_WEIGHTS
    emotion = rng.choices(EMOTIONS, weights=scenario.emotions)[0]
    channel = rng.choices(list(weights), weights=list(weights.values()))[0]
    products = [p for p in catalogue.PRODUCTS if p.traits.issuperset(scenario.product_traits)]
    return TicketSeed(
        rng=rng,
        scenario=scenario,
        emotion=emotion,
        channel=channel,
        product=rng.choice(products),
        profile=profile,
        created_at=created_at,
    )


def _tone(emotion: str) -> str:
    if emotion == Emotion.ANGRY:
        return "angry"
    if emotion == Emotion.DISSATISFIED:
        return "upset"
    return "calm"


class EnglishPhrases:
    """The generic steps of an English story: the customer-facing ones in English, the
    team's internal notes (callbacks, escalations, reviews) in Chinese as always."""

    def __getattr__(self, name: str) -> Any:
        return getattr(english, name, None) or getattr(phrases, name)


class Story:
    """Steps with gaps, laid out in working hours, then fitted before ``now`` and played."""

    def __init__(self, rng: random.Random, clock: Clock, start: datetime) -> None:
        self.rng = rng
        self.clock = clock
        self.start = start
        self.steps: list[tuple[str, float, Callable[[datetime], None]]] = []

    def add(self, who: str, gap_minutes: float, action: Callable[[datetime], None]) -> None:
        self.steps.append((who, gap_minutes, action))

    def play(self) -> None:
        moments: list[datetime] = []
        moment = self.start
        for index, (who, gap, _action) in enumerate(self.steps):
            if index:
                moment = self.clock.shift(who, moment + timedelta(minutes=gap), self.rng)
            moments.append(moment)
        limit = self.clock.now - timedelta(minutes=1)
        if moments[-1] > limit:
            # A recent ticket: the same story, told faster, so that it ends before now.
            span = (moments[-1] - self.start).total_seconds()
            room = max((limit - self.start).total_seconds(), 0.0)
            moments = [
                self.start + timedelta(seconds=(m - self.start).total_seconds() * room / span)
                for m in moments
            ]
        for (_who, _gap, action), moment in zip(self.steps, moments, strict=True):
            action(moment.replace(microsecond=0) if moment != self.start else moment)


def final_status(rng: random.Random, age_hours: float) -> str:
    for limit, weights in STATUS_BY_AGE:
        if age_hours < limit:
            return rng.choices(list(weights), weights=list(weights.values()))[0]
    raise AssertionError("unreachable")


def tell(seed: TicketSeed, *, cast: Cast, clock: Clock, log: EventLog) -> TicketHistory:
    """Record the whole story of one ticket, up to where it stands today."""
    teller = _Teller(seed, cast, clock, log)
    teller.plot()
    teller.story.play()
    return teller.history


class _Teller:
    def __init__(self, seed: TicketSeed, cast: Cast, clock: Clock, log: EventLog) -> None:
        self.seed = seed
        self.cast = cast
        self.clock = clock
        self.rng = seed.rng
        self.scenario = seed.scenario
        self.tone = _tone(seed.emotion)
        self.history = TicketHistory(log, cast.staff)
        self.story = Story(self.rng, clock, seed.created_at)
        self.customer = seed.profile.customer
        self.commitment: Commitment | None = None
        self.phrases: Any = EnglishPhrases() if seed.profile.language == "en" else phrases

        rng, scenario = self.rng, self.scenario
        self.final_kind = scenario.kind
        if self.tone == "angry" or (self.tone == "upset" and rng.random() < 0.5):
            self.final_kind = scenario.upset_kind
        self.team_name = self._route()
        self.owner = self._owner()
        self.collaboration = ""
        if scenario.collaboration and rng.random() < scenario.collaboration_rate:
            self.collaboration = scenario.collaboration
        age_hours = (clock.now - seed.created_at).total_seconds() / 3600
        self.final = final_status(rng, age_hours)
        if self.final == S.PENDING_COLLABORATION:
            self.collaboration = scenario.collaboration
            if not self.collaboration:
                self.final = S.OPEN
        if scenario.kind == TicketType.PRAISE and self.final in (
            S.OPEN,
            S.PENDING_CUSTOMER,
            S.PENDING_COLLABORATION,
        ):
            self.final = S.SOLVED if age_hours > 4 else S.NEW
        if seed.channel == Channel.PHONE and self.final == S.NEW:
            self.final = S.OPEN  # a call is answered while it happens
        self.values = self._values()
        openings = {"calm": scenario.calm, "upset": scenario.upset, "angry": scenario.angry}
        self.opening = self.text(openings[self.tone] or scenario.calm)
        if seed.channel == Channel.PHONE:
            self.opening = rng.choice(self.phrases.PHONE_PREFIXES) + self.opening
        self.subject = self.text(scenario.subjects)

    # --- decisions -----------------------------------------------------------------------

    def _route(self) -> str:
        tier = self.customer.tier
        if tier == Tier.VIP or (tier == Tier.GOLD and self.rng.random() < 0.5):
            return organisation.VIP
        if self.final_kind == TicketType.COMPLAINT and self.rng.random() < 0.5:
            return organisation.COMPLAINTS
        return self.scenario.team

    def _owner(self) -> User:
        advisor = self.customer.advisor
        if self.team_name == organisation.VIP and advisor is not None and self.rng.random() < 0.7:
            return advisor
        if self.team_name == organisation.COMPLAINTS and self.rng.random() < 0.08:
            return self.cast.supervisor
        return self.rng.choice(self.cast.owners(self.team_name))

    def _values(self) -> dict[str, str]:
        rng, seed, clock = self.rng, self.seed, self.clock
        product = seed.product
        price = rng.randint(product.low, product.high)
        price = price - price % 10 + 9 if price > 100 else price
        days = rng.randint(2, 12)
        ordered = seed.created_at - timedelta(days=days, hours=rng.randint(0, 20))
        courier, prefix, digits = rng.choice(catalogue.COURIERS)
        helper = self.collaboration or self.scenario.collaboration or organisation.TECH
        organisation_name = seed.profile.organisation_name
        values = {
            "title": seed.profile.title,
            "name": self.customer.name,
            "agent": self.owner.display_name,
            "agent_username": self.owner.username,
            "colleague": self.cast.head(helper).username,
            "order": clock.local(ordered).strftime("%y%m%d") + str(rng.randrange(10**9, 10**10)),
            "product": product.name,
            "amount": f"{price}元",
            "refund_amount": f"{max(10, round(price * rng.uniform(0.1, 0.35)))}元",
            "coupon": f"{rng.choice((10, 20, 30, 50, 100))}元",
            "order_date": clock.day_text(ordered),
            "days": str(days),
            "courier": courier,
            "tracking": prefix + "".join(str(rng.randrange(10)) for _ in range(digits)),
            "city": rng.choice(catalogue.CITIES),
            "due": clock.due_text(seed.created_at + timedelta(days=1)),
            "hours": "24",
            "reason": rng.choice(
                catalogue.RETURN_REASONS
                + (catalogue.SIZE_REASONS if catalogue.SIZED in product.traits else ())
            ),
            "fault": rng.choice(catalogue.FAULTS),
            "symptom": rng.choice(catalogue.SYMPTOMS),
            "quality": rng.choice(catalogue.QUALITY_ISSUES),
            "error": rng.choice(catalogue.ERROR_CODES),
            "version": rng.choice(catalogue.APP_VERSIONS),
            "promo": rng.choice(catalogue.PROMOTIONS),
            "invoice_title": organisation_name or f"{self.customer.name}（个人）",
            "tax_id": "91"
            + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(16)),
            "phone_tail": seed.profile.phone[-4:],
        }
        if seed.profile.language == "en":
            values.update(self._english_values(values, price))
        return values

    def _due_text(self, moment: datetime) -> str:
        if self.seed.profile.language == "en":
            return f"{self.clock.local(moment):%d %b, %H:%M}"
        return self.clock.due_text(moment)

    def _english_values(self, values: dict[str, str], price: int) -> dict[str, str]:
        """What an English message needs in English (amounts, dates, names of things)."""
        ordered = self.seed.created_at - timedelta(days=int(values["days"]))
        due = self.seed.created_at + timedelta(days=1)
        return {
            "product": english.PRODUCT_NAMES.get(self.seed.product.name, "order"),
            "amount": f"¥{price:,}",
            "refund_amount": values["refund_amount"].replace("元", " yuan"),
            "coupon": values["coupon"].replace("元", " yuan"),
            "order_date": f"{self.clock.local(ordered):%d %b}",
            "due": self._due_text(due),
            "courier": english.COURIERS.get(values["courier"], values["courier"]),
            "city": self.rng.choice(english.CITIES),
        }

    def text(self, templates: tuple[str, ...]) -> str:
        return self.rng.choice(templates).format(**self.values)

    # --- the plot --------------------------------------------------------------------------

    def plot(self) -> None:
        """Lay out the steps: intake, then the path that leads to the ticket's status today."""
        rng = self.rng
        self._intake()
        if self.final == S.NEW:
            self._untouched()
            return
        if self.scenario.kind == TicketType.PRAISE:
            self._praise()
            return
        triaged = rng.random() < 0.3
        if triaged:
            self.story.add("agent", rng.uniform(2, 40), self._dispatch)
        if self.final in (S.SOLVED, S.CLOSED) and rng.random() < self.scenario.quick_rate:
            self._quick(triaged)
            return
        if self._understand(triaged):
            return
        self._work()

    def _understand(self, triaged: bool) -> bool:
        """First reply, triage, the restated need and the customer's answer to it.

        True when the story stops here, waiting for the customer's details.
        """
        rng, scenario, h = self.rng, self.scenario, self.history
        waits_for_details = self.final == S.PENDING_CUSTOMER and rng.random() < 0.5
        ask = self.text(scenario.asks)
        if waits_for_details:
            if scenario.records_need:  # a case to investigate: ask for what is missing
                request = self.text(scenario.info_requests or self.phrases.INFO_REQUESTS)
                ask = request if rng.random() < 0.5 else ask + request
            else:  # a question answered: the customer is deciding
                ask += self.text(self.phrases.FOLLOW_UPS)
        self.story.add(
            "agent",
            self._first_response_minutes(),
            lambda at: h.reply(ask, at=at, actor=self.owner),
        )
        if not triaged:
            self.story.add("agent", rng.uniform(0.5, 3), self._triage_by_owner)
        if self.tone == "angry" and rng.random() < 0.6:
            note = self.text(self.phrases.ESCALATION_NOTES)
            self.story.add(
                "agent",
                rng.uniform(5, 60),
                lambda at: h.note(note, at=at, actor=self.cast.supervisor),
            )
        need = self.text(scenario.needs) if scenario.records_need and scenario.needs else ""
        if need:
            self.story.add("agent", rng.uniform(0.5, 3), lambda at: self._need(need, False, at))
        if waits_for_details:
            self._status("agent", rng.uniform(0.5, 2), S.PENDING_CUSTOMER)
            return True
        details = self.text(scenario.details or self.phrases.CONFIRMATIONS)
        self._customer(self._customer_minutes(), details)
        if need:
            self.story.add("agent", rng.uniform(2, 15), lambda at: self._need(need, True, at))
        return False

    def _work(self) -> None:
        """Investigate (alone or with another department), answer, resolve, close."""
        rng, scenario = self.rng, self.scenario
        if self.final == S.OPEN and rng.random() < 0.35:
            self._maybe_note(0.5)
            return
        if self.collaboration:
            if self._collaborate():
                return
        elif scenario.commitments and scenario.progress and rng.random() < 0.55:
            self._promise()
        else:
            self._maybe_note(0.3)
        if self.final == S.OPEN:
            if rng.random() < 0.4:
                self._chase()
            return
        if self.final == S.PENDING_CUSTOMER:
            # Solved on our side; waiting for the customer to confirm before closing the loop.
            answer = self.text(scenario.solution_replies) + self.text(self.phrases.CONFIRM_REQUESTS)
            self._reply(rng.uniform(10, 120), answer)
            solution = self.text(scenario.solutions)
            self.story.add(
                "agent",
                rng.uniform(0.5, 3),
                lambda at: self.history.record_solution(solution, at=at, actor=self.owner),
            )
            self._status("agent", rng.uniform(0.5, 2), S.PENDING_CUSTOMER)
            return
        self._resolve()

    def _intake(self) -> None:
        rng, scenario, h = self.rng, self.scenario, self.history
        subject, opening = self.subject, self.opening
        team = self.cast.teams[self.team_name]
        category = None
        if self.seed.channel in FORM_CHANNELS and rng.random() < 0.7:
            category = self.cast.categories[scenario.category]
        tags = []
        if scenario.key in ORDER_SCENARIOS and self.clock.is_promotion(self.seed.created_at):
            tags.append(organisation.PROMOTION_TAG)
        actor = self.owner if self.seed.channel == Channel.PHONE else None

        def create(at: datetime) -> None:
            h.create(
                customer=self.customer,
                subject=subject,
                body=opening,
                channel=self.seed.channel,
                kind=scenario.kind,
                priority=scenario.priority,
                team=team,
                category=category,
                tags=tags,
                at=at,
                actor=actor,
                explicit=("category",) if category is not None else (),  # the customer chose it
            )

        self.story.add("fixed", 0, create)

    def _untouched(self) -> None:
        """A new ticket: perhaps triaged by the supervisor, perhaps chased by the customer."""
        rng = self.rng
        if rng.random() < 0.6:
            self.story.add("agent", rng.uniform(2, 30), self._dispatch)
        if rng.random() < 0.3:
            self._chase()

    def _praise(self) -> None:
        rng, h = self.rng, self.history
        self._reply(self._first_response_minutes(), self.text(self.scenario.asks))
        self.story.add("agent", rng.uniform(0.5, 3), self._triage_by_owner)
        if rng.random() < 0.4:
            self._customer(self._customer_minutes(), self.text(self.scenario.details))
        if rng.random() < 0.5:
            note = self.text(self.scenario.notes)
            self.story.add(
                "agent", rng.uniform(5, 120), lambda at: h.note(note, at=at, actor=self.owner)
            )
        solution = self.text(self.scenario.solutions)
        self.story.add(
            "agent",
            rng.uniform(1, 10),
            lambda at: h.record_solution(solution, at=at, actor=self.owner),
        )
        self._status("agent", rng.uniform(0.5, 5), S.SOLVED)
        if self.final == S.CLOSED:
            self._status("agent", rng.uniform(60 * 20, 60 * 72), S.CLOSED)

    def _quick(self, triaged: bool) -> None:
        """A simple case answered and solved in the first reply (2–3 messages)."""
        rng, scenario, h = self.rng, self.scenario, self.history
        answer = self.text(scenario.solution_replies if scenario.records_need else scenario.asks)
        self._reply(self._first_response_minutes(), answer)
        if not triaged:
            self.story.add("agent", rng.uniform(0.5, 3), self._triage_by_owner)
        solution = self.text(scenario.solutions)
        self.story.add(
            "agent",
            rng.uniform(0.5, 3),
            lambda at: h.record_solution(solution, at=at, actor=self.owner),
        )
        if rng.random() < 0.5:
            self._customer(self._customer_minutes(), self.text(self.phrases.THANKS))
        self._status("agent", rng.uniform(1, 30), S.SOLVED)
        if self.final == S.CLOSED:
            self._status("agent", rng.uniform(60 * 12, 60 * 72), S.CLOSED)

    def _collaborate(self) -> bool:
        """Ask the helping department; True when the story stops while waiting for it."""
        rng, h = self.rng, self.history
        department = self.cast.departments[self.collaboration]
        head = self.cast.head(self.collaboration)
        self.story.add(
            "agent",
            rng.uniform(5, 60),
            lambda at: h.update(at=at, actor=self.owner, shared_departments=[department]),
        )
        ask = self.text(
            self.scenario.mention_notes or ("@{colleague} 麻烦协助处理这个客户的问题。",)
        )
        self.story.add(
            "agent", rng.uniform(0.5, 3), lambda at: h.note(ask, at=at, actor=self.owner)
        )
        self._status("agent", rng.uniform(0.5, 2), S.PENDING_COLLABORATION)
        if self.scenario.commitments and self.scenario.progress:
            self._promise()
        if self.final == S.PENDING_COLLABORATION:
            if rng.random() < 0.4:
                self._chase()
            return True
        answer = self.text(
            self.scenario.department_notes or ("@{agent_username} 已处理，可以回复客户了。",)
        )
        self.story.add(
            "department", rng.uniform(60, 26 * 60), lambda at: h.note(answer, at=at, actor=head)
        )
        self._status("agent", rng.uniform(10, 120), S.OPEN)
        return False

    def _promise(self) -> None:
        """A key commitment, and a progress reply that tells the customer when."""
        rng, h = self.rng, self.history
        description, hours = rng.choice(self.scenario.commitments)

        def commit(at: datetime) -> None:
            due = at + timedelta(hours=hours)
            due = due.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
            self.values["due"] = self._due_text(due)
            self.values["hours"] = str(hours)
            text = description.format(**self.values)
            self.commitment = h.add_commitment(
                text, due_at=self.clock.local(due), at=at, actor=self.owner
            )

        self.story.add("agent", rng.uniform(1, 5), commit)
        self.story.add(
            "agent",
            rng.uniform(0.5, 3),
            lambda at: h.reply(self.text(self.scenario.progress), at=at, actor=self.owner),
        )

    def _resolve(self) -> None:
        """The solution, the customer's answer, solved; perhaps reopened; closed in time."""
        rng, scenario, h = self.rng, self.scenario, self.history
        self._reply(rng.uniform(15, 240), self.text(scenario.solution_replies))
        solution = self.text(scenario.solutions)
        self.story.add(
            "agent",
            rng.uniform(0.5, 3),
            lambda at: h.record_solution(solution, at=at, actor=self.owner),
        )

        def keep_commitment(at: datetime) -> None:
            if self.commitment is not None and self.commitment.done_at is None:
                h.complete_commitment(self.commitment, at=at, actor=self.owner)

        self.story.add("agent", rng.uniform(0.5, 3), keep_commitment)
        reopens = rng.random() < 0.08
        if not reopens and rng.random() < 0.65:
            pool = self.phrases.THANKS if self.tone == "calm" else self.phrases.RELUCTANT_THANKS
            self._customer(self._customer_minutes(), self.text(pool))
        self._status("agent", rng.uniform(1, 30), S.SOLVED)
        if reopens:
            self._customer(rng.uniform(60, 60 * 36), self.text(self.phrases.REOPENS))
            self._reply(rng.uniform(5, 90), self.text(self.phrases.REOPEN_REPLIES))
            self._reply(rng.uniform(60, 60 * 8), self.text(self.phrases.REOPEN_SOLUTION_REPLIES))
            self._status("agent", rng.uniform(1, 10), S.SOLVED)
        if self.final != S.CLOSED:
            return
        complaint = self.final_kind == TicketType.COMPLAINT
        if complaint:
            self.story.add("agent", rng.uniform(1, 10), self._mark_for_callback)
        if complaint or rng.random() < 0.3:
            callback = self.text(self.phrases.CALLBACK_NOTES)
            self.story.add(
                "agent",
                rng.uniform(60 * 4, 60 * 24),
                lambda at: h.note(callback, at=at, actor=self.owner),
            )
        if complaint and rng.random() < 0.5:
            review = self.text(self.phrases.REVIEW_NOTES)
            self.story.add(
                "agent",
                rng.uniform(60, 60 * 24),
                lambda at: h.note(review, at=at, actor=self.cast.supervisor),
            )
        self._status("agent", rng.uniform(60 * 12, 60 * 72), S.CLOSED)

    # --- steps ---------------------------------------------------------------------------

    def _dispatch(self, at: datetime) -> None:
        """The supervisor triages a new ticket and may hand it to an owner."""
        owner = self.owner if self.rng.random() < 0.75 or self.final != S.NEW else None
        self._triage(at, self.cast.supervisor, owner=owner)

    def _triage_by_owner(self, at: datetime) -> None:
        self._triage(at, self.owner, owner=None)

    def _triage(self, at: datetime, actor: User, *, owner: User | None) -> None:
        rng, scenario, seed = self.rng, self.scenario, self.seed
        priority = scenario.priority
        upset = seed.emotion == Emotion.DISSATISFIED and rng.random() < 0.3
        if seed.emotion == Emotion.ANGRY or upset:
            priority = max(priority, Priority.HIGH)
        if self.customer.tier == Tier.VIP:
            priority = min(Priority.URGENT, priority + 1)
        tags = list(self.history.tags)
        if priority == Priority.URGENT:
            tags.append(organisation.URGENT_TAG)
        if any(word in self.opening for word in self.phrases.URGENT_WORDS):
            tags.append(organisation.MEDIA_RISK_TAG)
        if self.final_kind == TicketType.COMPLAINT and any(
            seed.created_at - timedelta(days=60) <= t < seed.created_at
            for t in seed.profile.complaint_times
        ):
            tags.append(organisation.REPEAT_COMPLAINT_TAG)
        if scenario.key in CHASED_SCENARIOS and self.tone != "calm":
            tags.append(organisation.CHASING_TAG)
        self.history.update(
            at=at,
            actor=actor,
            priority=priority,
            kind=self.final_kind,
            emotion=seed.emotion,
            category=self.cast.categories[scenario.category],
            owner=owner,
            tags=tags,
        )

    def _mark_for_callback(self, at: datetime) -> None:
        tags = [*self.history.tags, organisation.CALLBACK_TAG]  # the tags as they are by then
        self.history.update(at=at, actor=self.owner, tags=tags)

    def _need(self, statement: str, confirmed: bool, at: datetime) -> None:
        self.history.record_need(statement, confirmed=confirmed, at=at, actor=self.owner)

    def _reply(self, gap: float, body: str) -> None:
        self.story.add("agent", gap, lambda at: self.history.reply(body, at=at, actor=self.owner))

    def _customer(self, gap: float, body: str) -> None:
        self.story.add("customer", gap, lambda at: self.history.customer_message(body, at=at))

    def _status(self, who: str, gap: float, status: str) -> None:
        # The demo's history records no call-backs: a closed ticket says why it closed.
        reason = CLOSE_REASON if status == S.CLOSED else ""
        self.story.add(
            who,
            gap,
            lambda at: self.history.change_status(
                status, at=at, actor=self.owner, close_reason=reason
            ),
        )

    def _chase(self) -> None:
        pool = self.phrases.ANGRY_CHASES if self.tone == "angry" else self.phrases.CHASES
        self._customer(self.rng.uniform(60 * 2, 60 * 30), self.text(pool))

    def _maybe_note(self, chance: float) -> None:
        if self.scenario.notes and self.rng.random() < chance:
            note = self.text(self.scenario.notes)
            self.story.add(
                "agent",
                self.rng.uniform(2, 60),
                lambda at: self.history.note(note, at=at, actor=self.owner),
            )

    def _first_response_minutes(self) -> float:
        channel = self.seed.channel
        if channel in (Channel.CHAT, Channel.PHONE):
            minutes = self.rng.uniform(0.5, 8)
        elif channel in (Channel.EMAIL, Channel.WEB, Channel.SMS):
            minutes = self.rng.uniform(20, 240)
        else:
            minutes = self.rng.uniform(3, 45)
        if self.tone == "angry" or self.customer.tier == Tier.VIP:
            minutes /= 2
        return minutes

    def _customer_minutes(self) -> float:
        return min(self.rng.lognormvariate(math.log(60), 1.1), 60 * 48)
