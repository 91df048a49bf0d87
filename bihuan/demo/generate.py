"""Load (and unload) the demo data set: a Chinese e-commerce customer-service team at work.

``load_demo`` creates, in one transaction, the organisation (4 departments with heads, 7 queues,
12 sign-ins sharing one password), 500 customers and 2,000 tickets spread over the last 90
days, with their conversations, commitments, event log and notifications. The content is
drawn from fixed-seed random streams (``random.Random`` seeded with strings, which Python
hashes with SHA-512: the same on every machine and run), so every load tells the same stories;
only the timestamps move with the day it is loaded, since the tickets are always "recent".

A ``demo.loaded`` event marks a loaded demo and lists the rows it created, so that a second
load changes nothing and ``delete_demo`` removes exactly the demo (not rows it reused, such as
an existing ``admin`` account).

Rows are written with ``bulk_create`` in time order, not through the services (which stamp
everything with ``timezone.now()``); ``bihuan.demo.history`` is the one place that mirrors
what the services record. No event handler runs for the demo's historic events.
"""

from __future__ import annotations

import random
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from bihuan.accounts.choices import Role
from bihuan.accounts.models import Department, Team, User
from bihuan.core.models import Event, Notification, Tag
from bihuan.customers.choices import IdentityKind, LifecycleStage, Tier
from bihuan.customers.models import Customer, CustomerIdentity, Organisation
from bihuan.demo.auto_answer_setup import delete_auto_answer_setup, set_up_auto_answers
from bihuan.demo.automation_setup import delete_automation_setup, set_up_automation
from bihuan.demo.chat_setup import delete_chat_setup, set_up_chat
from bihuan.demo.clock import Clock
from bihuan.demo.conversation import Cast, CustomerProfile, seed_ticket, tell
from bihuan.demo.cross_channel_setup import delete_cross_channel_setup, set_up_cross_channel
from bihuan.demo.email_setup import delete_email_setup, set_up_email
from bihuan.demo.feedback_setup import delete_feedback_setup, set_up_feedback
from bihuan.demo.history import EventLog, PendingEvent, TicketHistory
from bihuan.demo.knowledge_setup import delete_knowledge_setup, set_up_knowledge
from bihuan.demo.material import english, organisation, people
from bihuan.demo.messaging_setup import delete_messaging_setup, set_up_messaging
from bihuan.demo.phone_setup import delete_phone_setup, set_up_phone
from bihuan.demo.sla_setup import delete_sla_setup, set_up_sla
from bihuan.demo.tasks_setup import delete_tasks_setup, set_up_tasks
from bihuan.demo.triage_setup import delete_triage_setup, set_up_triage
from bihuan.tickets.choices import TicketType
from bihuan.tickets.models import Category, Commitment, Message, Ticket

DEFAULT_SEED = 20240921
CUSTOMER_COUNT = 500
TICKET_COUNT = 2000
MARKER_VERB = "demo.loaded"
BATCH = 500
LOCK_KEY = 0x6269_6875_616E  # "bihuan": one demo load at a time on PostgreSQL

M = TypeVar("M", bound=models.Model)


class DemoRefused(Exception):
    """The database is not one the demo may be loaded into (as is)."""


@dataclass(frozen=True)
class SignIn:
    username: str
    display_name: str
    role: str
    password: str  # empty when the account existed before the demo


@dataclass
class DemoResult:
    """What ``load_demo`` did: ``loaded`` is False when the demo was already there."""

    loaded: bool
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    sign_ins: list[SignIn] = field(default_factory=list)
    deleted: bool = False


def demo_marker() -> Event | None:
    return Event.objects.filter(verb=MARKER_VERB).order_by("-id").first()


def is_loaded() -> bool:
    return demo_marker() is not None


def load_demo(
    *,
    reset: bool = False,
    force: bool = False,
    now: datetime | None = None,
    seed: int = DEFAULT_SEED,
) -> DemoResult:
    """Load the demo data set unless it is loaded already; ``reset`` deletes it first.

    Refuses (``DemoRefused``) a database that holds tickets of its own, unless ``force``.
    """
    started = time.perf_counter()
    with transaction.atomic():
        _one_load_at_a_time()
        deleted = delete_demo() if reset else False
        marker = demo_marker()
        if marker is not None:
            return DemoResult(loaded=False, sign_ins=_sign_ins(marker), deleted=deleted)
        if not force and Ticket.objects.exists():
            raise DemoRefused(
                "This database already has tickets that are not demo data; "
                "load the demo into an empty database, or pass --force to add it anyway."
            )
        loader = _Loader(now=now or timezone.now(), seed=seed)
        counts = loader.run()
        sign_ins = _sign_ins(loader.marker)
    return DemoResult(
        loaded=True,
        seconds=time.perf_counter() - started,
        counts=counts,
        sign_ins=sign_ins,
        deleted=deleted,
    )


def _one_load_at_a_time() -> None:
    """Two loads started together must not both see "not loaded yet" and both load.

    SQLite already serialises them (transactions begin IMMEDIATE); PostgreSQL needs a lock,
    held until the transaction ends.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def _sign_ins(marker: Event) -> list[SignIn]:
    created = set(marker.data.get("created", {}).get("users", []))
    users = {u.username: u for u in User.objects.filter(username__in=_usernames())}
    result = []
    for member in organisation.STAFF:
        user = users.get(member.username)
        if user is None:
            continue
        result.append(
            SignIn(
                username=user.username,
                display_name=user.display_name,
                role=str(Role(user.role).label) if user.role in Role.values else user.role,
                password=organisation.PASSWORD if user.pk in created else "",
            )
        )
    return result


def _usernames() -> list[str]:
    return [m.username for m in organisation.STAFF]


def delete_demo() -> bool:
    """Delete every row the demo created (and what hangs off it); False if none is loaded."""
    with transaction.atomic():
        marker = demo_marker()
        if marker is None:
            return False
        created: dict[str, list[int]] = marker.data.get("created", {})
        # What the later setups added, newest first, before the tickets they hang off go.
        delete_phone_setup()
        delete_messaging_setup()
        delete_chat_setup()
        delete_feedback_setup()
        delete_auto_answer_setup()
        delete_email_setup()
        delete_cross_channel_setup()
        delete_automation_setup()
        delete_tasks_setup()
        customers = created.get("customers", [])
        ticket_ids: list[int] = []
        for chunk in _chunks(customers, BATCH):
            ticket_ids += Ticket.objects.filter(customer_id__in=chunk).values_list("pk", flat=True)
        for chunk in _chunks(ticket_ids, BATCH):
            Notification.objects.filter(event__ticket_id__in=chunk).delete()
            Event.objects.filter(ticket_id__in=chunk).delete()
            Ticket.objects.filter(pk__in=chunk).delete()
        for chunk in _chunks(customers, BATCH):
            Event.objects.filter(customer_id__in=chunk).delete()
            Customer.objects.filter(pk__in=chunk).delete()
        Organisation.objects.filter(
            pk__in=created.get("organisations", []), customers__isnull=True
        ).delete()
        categories = created.get("categories", [])
        delete_triage_setup(categories)
        delete_sla_setup()
        delete_knowledge_setup(created.get("users", []))
        Category.objects.filter(pk__in=categories, parent__isnull=False).delete()
        Category.objects.filter(pk__in=categories).delete()
        Tag.objects.filter(pk__in=created.get("tags", [])).delete()
        Team.objects.filter(pk__in=created.get("teams", [])).delete()
        User.objects.filter(pk__in=created.get("users", [])).delete()
        Department.objects.filter(
            pk__in=created.get("departments", []), teams__isnull=True
        ).delete()
        Event.objects.filter(verb=MARKER_VERB).delete()
    return True


def _chunks(values: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class _Loader:
    """One load: builds everything in memory, then writes it in bulk, in time order."""

    def __init__(self, *, now: datetime, seed: int) -> None:
        self.now = now
        self.seed = seed
        self.clock = Clock(now, ZoneInfo(settings.TIME_ZONE))
        self.log = EventLog()
        self.created: dict[str, list[int]] = {}
        self.marker = Event()

    def rng(self, stream: str) -> random.Random:
        return random.Random(f"bihuan-demo:{self.seed}:{stream}")

    def run(self) -> dict[str, int]:
        cast = self._organisation()
        tags = self._tags()
        organisations = self._organisations()
        profiles = self._customers(cast, organisations, tags)
        histories = self._tickets(cast, profiles)
        self._customer_history(cast, profiles)
        counts = self._write(profiles, histories, tags)
        counts.update(set_up_triage(cast, [h.ticket.pk for h in histories]))
        counts.update(set_up_sla(cast, [h.ticket.pk for h in histories]))
        counts.update(set_up_knowledge(cast))
        ticket_ids = [h.ticket.pk for h in histories]
        counts.update(set_up_tasks(cast, ticket_ids))
        counts.update(set_up_automation(cast, ticket_ids))
        counts.update(set_up_cross_channel(cast, ticket_ids))
        counts.update(set_up_email(cast, ticket_ids))
        counts.update(set_up_auto_answers(cast, ticket_ids))
        counts.update(set_up_feedback(cast, ticket_ids))
        counts.update(set_up_chat(cast, ticket_ids))
        counts.update(set_up_messaging(cast, ticket_ids))
        counts.update(set_up_phone(cast, ticket_ids))
        self._mark(cast)
        return counts

    # --- the organisation ----------------------------------------------------------------

    def _organisation(self) -> Cast:
        departments, self.created["departments"] = _get_or_create_by_name(
            Department, organisation.DEPARTMENTS, lambda name: Department(name=name)
        )
        password = make_password(organisation.PASSWORD)  # hashed once: the hasher is slow
        users = {u.username: u for u in User.objects.filter(username__in=_usernames())}
        joined = self.now - timedelta(days=180)
        new_users = [
            User(
                username=m.username,
                display_name=m.display_name,
                email=m.email,
                role=m.role,
                department=departments[m.department] if m.department else None,
                password=password,
                is_staff=m.role == Role.ADMIN,
                is_superuser=m.role == Role.ADMIN,
                date_joined=joined,
            )
            for m in organisation.STAFF
            if m.username not in users
        ]
        User.objects.bulk_create(new_users, batch_size=BATCH)
        users.update({u.username: u for u in new_users})
        self.created["users"] = [u.pk for u in new_users]
        for member in organisation.STAFF:
            department = departments[member.heads] if member.heads else None
            if department is not None and department.head_id is None:
                department.head = users[member.username]
                department.save(update_fields=["head"])
        teams, self.created["teams"] = _get_or_create_by_name(
            Team,
            organisation.TEAMS,
            lambda name: Team(name=name, department=departments[organisation.TEAMS[name]]),
        )
        new_ids = set(self.created["users"])
        Team.members.through.objects.bulk_create(
            [
                Team.members.through(team_id=teams[name].pk, user_id=users[m.username].pk)
                for m in organisation.STAFF
                if users[m.username].pk in new_ids
                for name in m.teams
            ],
            ignore_conflicts=True,
        )
        return Cast(
            users=users,
            departments=departments,
            teams=teams,
            categories=self._categories(),
        )

    def _categories(self) -> dict[tuple[str, str], Category]:
        parents = {c.name: c for c in Category.objects.filter(parent__isnull=True)}
        missing = [
            Category(name=name, name_en=english.CATEGORY_NAMES.get(name, ""), position=index)
            for index, (name, _children) in enumerate(organisation.CATEGORIES, start=1)
            if name not in parents
        ]
        Category.objects.bulk_create(missing)
        parents.update({c.name: c for c in missing})
        existing = {
            (c.parent_id, c.name): c
            for c in Category.objects.filter(parent__in=[p.pk for p in parents.values()])
        }
        result: dict[tuple[str, str], Category] = {}
        new_children = []
        for parent_name, children in organisation.CATEGORIES:
            parent = parents[parent_name]
            for index, child_name in enumerate(children, start=1):
                child = existing.get((parent.pk, child_name))
                if child is None:
                    child = Category(
                        name=child_name,
                        name_en=english.CATEGORY_NAMES.get(child_name, ""),
                        parent=parent,
                        position=index,
                    )
                    new_children.append(child)
                result[(parent_name, child_name)] = child
        Category.objects.bulk_create(new_children)
        self.created["categories"] = [c.pk for c in [*missing, *new_children]]
        return result

    def _tags(self) -> dict[str, Tag]:
        tags, self.created["tags"] = _get_or_create_by_name(
            Tag, organisation.TAGS, lambda name: Tag(name=name, color=organisation.TAGS[name])
        )
        return tags

    def _organisations(self) -> dict[str, Organisation]:
        rng = self.rng("organisations")
        result, self.created["organisations"] = _get_or_create_by_name(
            Organisation,
            [name for name, _domain in people.ORGANISATIONS],
            lambda name: Organisation(
                name=name, created_at=self.now - timedelta(days=rng.randint(400, 900))
            ),
        )
        return result

    # --- customers -----------------------------------------------------------------------

    def _customers(
        self, cast: Cast, organisations: dict[str, Organisation], tags: dict[str, Tag]
    ) -> list[CustomerProfile]:
        rng = self.rng("customers")
        taken = _Taken()
        surname_weights = [1 / (rank + 6) for rank in range(len(people.SURNAMES))]
        advisors = [u for u in cast.staff if u.role == Role.ADVISOR]
        profiles = []
        for index in range(CUSTOMER_COUNT):
            female = rng.random() < 0.55
            surname, surname_latin = rng.choices(people.SURNAMES, weights=surname_weights)[0]
            given, given_latin = rng.choice(people.FEMALE_NAMES if female else people.MALE_NAMES)
            company = rng.choice(people.ORGANISATIONS) if rng.random() < 0.07 else None
            tier = rng.choices(Tier.values, weights=(70, 20, 8, 2))[0]
            if company is not None and tier == Tier.STANDARD and rng.random() < 0.5:
                tier = Tier.GOLD
            if index % 50 == 7:
                tier = Tier.VIP  # ten VIPs, evenly spread
            phone = taken.phone(rng)
            identities = [CustomerIdentity(kind=IdentityKind.PHONE, value=phone)]
            if index % english.SHARE == 3:
                profiles.append(self._english_customer(rng, taken, index, tier, identities))
                continue
            if company is not None or rng.random() < 0.45:
                identities.append(
                    CustomerIdentity(
                        kind=IdentityKind.EMAIL,
                        value=taken.email(rng, surname_latin, given_latin, company),
                    )
                )
            if rng.random() < 0.3:
                identities.append(
                    CustomerIdentity(kind=IdentityKind.WECHAT, value=taken.openid(rng))
                )
            if rng.random() < 0.2:
                identities.append(
                    CustomerIdentity(kind=IdentityKind.EXTERNAL, value=taken.external(rng))
                )
            later = []
            if rng.random() < 0.06:
                later.append(CustomerIdentity(kind=IdentityKind.PHONE, value=taken.phone(rng)))
            if rng.random() < 0.04:
                email = taken.email(rng, surname_latin, given_latin, None)
                later.append(CustomerIdentity(kind=IdentityKind.EMAIL, value=email))
            customer = Customer(
                name=surname + given,
                organisation=organisations[company[0]] if company else None,
                tier=tier,
                notes=rng.choice(people.CUSTOMER_NOTES) if rng.random() < 0.1 else "",
            )
            if tier == Tier.VIP or (tier == Tier.GOLD and rng.random() < 0.25):
                customer.advisor = advisors[index % len(advisors)]
            activity = rng.lognormvariate(0, 0.9) * (2.5 if tier in (Tier.GOLD, Tier.VIP) else 1)
            profile = CustomerProfile(
                customer=customer,
                identities=identities,
                later_identities=later,
                title=surname + ("女士" if female else "先生"),
                phone=phone,
                organisation_name=company[0] if company else "",
                activity=activity,
            )
            # Known before the 90 days (imported or met earlier): the valued and the business
            # customers and some others; the rest are created by their first ticket.
            profile.is_known = tier != Tier.STANDARD or company is not None or rng.random() < 0.35
            profile.days_known = rng.randint(95, 900)
            profiles.append(profile)
        taken.drop_existing(profiles)
        return profiles

    def _english_customer(
        self,
        rng: random.Random,
        taken: _Taken,
        index: int,
        tier: str,
        identities: list[CustomerIdentity],
    ) -> CustomerProfile:
        """An English-speaking customer: reachable by email, writes in English."""
        first, female = rng.choice(english.FIRST_NAMES)
        last = rng.choice(english.LAST_NAMES)
        identities.append(
            CustomerIdentity(
                kind=IdentityKind.EMAIL,
                value=taken.email(rng, _ascii(last), _ascii(first), None),
            )
        )
        customer = Customer(name=f"{first} {last}", tier=tier)
        profile = CustomerProfile(
            customer=customer,
            identities=identities,
            later_identities=[],
            title=("Ms " if female else "Mr ") + last,
            phone=identities[0].value,
            # They write in a little more often than the average customer: about one
            # ticket in ten is in English.
            activity=rng.lognormvariate(0, 0.9) * 1.5,
            language="en",
        )
        profile.is_known = tier != Tier.STANDARD or rng.random() < 0.35
        profile.days_known = rng.randint(95, 900)
        return profile

    def _tickets(self, cast: Cast, profiles: list[CustomerProfile]) -> list[TicketHistory]:
        moments = self.clock.contact_times(self.rng("times"), TICKET_COUNT)
        customers = self.rng("assign").choices(
            profiles, weights=[p.activity for p in profiles], k=TICKET_COUNT
        )
        for profile, moment in zip(customers, moments, strict=True):
            profile.ticket_times.append(moment)
        for profile in profiles:
            self._record_customer_created(cast, profile)
        histories = []
        first_contacts = {id(p) for p in profiles if not p.is_known}
        for index, (profile, moment) in enumerate(zip(customers, moments, strict=True)):
            seed = seed_ticket(
                self.rng(f"ticket:{index}"),
                profile,
                moment,
                promotion=self.clock.is_promotion(moment),
            )
            history = tell(seed, cast=cast, clock=self.clock, log=self.log)
            if id(profile) in first_contacts and profile.created_event is not None:
                # create_ticket passes its actor on to resolve_customer (the agent on a call).
                first_contacts.discard(id(profile))
                profile.created_event.actor = history.created_by
            if history.ticket.kind == TicketType.COMPLAINT:
                profile.complaint_times.append(moment)
            if seed.emotion == "angry":
                profile.angry_count += 1
            histories.append(history)
        return histories

    def _record_customer_created(self, cast: Cast, profile: CustomerProfile) -> None:
        """Known customers were created by staff (``create_customer``), the others by their
        first contact (``resolve_customer`` inside ``create_ticket``)."""
        customer = profile.customer
        if not profile.ticket_times:
            profile.is_known = True  # never wrote in: entered by staff, a prospect
        if profile.is_known:
            at = self.now - timedelta(days=profile.days_known, hours=3)
            profile.created_event = self.log.customer_created(
                customer, profile.identities, at=at, actor=cast.supervisor
            )
        else:
            profile.created_event = self.log.customer_created(
                customer, profile.identities, at=profile.ticket_times[0], actor=None
            )
            customer.tier = Tier.STANDARD  # met through a channel: no tier, no advisor yet
            customer.advisor = None

    def _customer_history(self, cast: Cast, profiles: list[CustomerProfile]) -> None:
        """Later identities, advisors and lifecycle stages, as ``customers.services`` would."""
        rng = self.rng("customer-history")
        supervisor = cast.supervisor
        for profile in profiles:
            customer = profile.customer
            created = customer.created_at
            for identity in profile.later_identities:
                at = created + (self.now - created) * rng.uniform(0.2, 0.9)
                self.log.customer_identity_added(customer, identity, at=at)
            advisor = customer.advisor
            if advisor is not None:
                customer.advisor = None  # assigned by the supervisor after creation
                at = min(created + timedelta(days=rng.uniform(1, 20)), self.now)
                self.log.customer_updated(customer, at=at, actor=supervisor, advisor=advisor)
            stage, at = self._lifecycle(rng, profile)
            if stage != customer.lifecycle_stage:
                at = min(max(at, customer.updated_at + timedelta(minutes=1)), self.now)
                self.log.customer_updated(customer, at=at, actor=supervisor, lifecycle_stage=stage)

    def _lifecycle(self, rng: random.Random, profile: CustomerProfile) -> tuple[str, datetime]:
        customer = profile.customer
        times = profile.ticket_times
        if not times:
            if (self.now - customer.created_at).days < 300:
                return LifecycleStage.PROSPECT, customer.created_at + timedelta(hours=1)
            stage = LifecycleStage.CHURNED if rng.random() < 0.5 else LifecycleStage.AT_RISK
            return stage, self.now - timedelta(days=rng.uniform(5, 60))
        last = times[-1] + timedelta(days=rng.uniform(1, 5))
        if profile.angry_count >= 2:
            return LifecycleStage.AT_RISK, min(last, self.now - timedelta(hours=2))
        if (self.now - times[-1]).days > 60 and rng.random() < 0.4:
            return LifecycleStage.AT_RISK, times[-1] + timedelta(days=45)
        if len(times) >= 2 or profile.is_known:
            return LifecycleStage.ACTIVE, min(times[-1] + timedelta(days=1), self.now)
        return LifecycleStage.NEW, customer.created_at

    # --- writing -------------------------------------------------------------------------

    def _write(
        self,
        profiles: list[CustomerProfile],
        histories: list[TicketHistory],
        tags: dict[str, Tag],
    ) -> dict[str, int]:
        rng = self.rng("write")
        customers = sorted((p.customer for p in profiles), key=lambda c: c.created_at)
        Customer.objects.bulk_create(customers, batch_size=BATCH)
        self.created["customers"] = [c.pk for c in customers]
        identities = [i for p in profiles for i in [*p.identities, *p.later_identities]]
        CustomerIdentity.objects.bulk_create(identities, batch_size=BATCH)
        customer_tags = []
        for profile in profiles:
            customer = profile.customer
            names = []
            if customer.tier in (Tier.GOLD, Tier.VIP):
                names.append(organisation.HIGH_VALUE_TAG)
            if customer.organisation is not None:
                names.append(organisation.BUSINESS_TAG)
            if (self.now - customer.created_at).days > 365:
                names.append(organisation.LOYAL_TAG)
            if profile.angry_count >= 2:
                names.append(organisation.SENSITIVE_TAG)
            customer_tags += [
                Customer.tags.through(customer_id=customer.pk, tag_id=tags[n].pk) for n in names
            ]
        Customer.tags.through.objects.bulk_create(customer_tags, batch_size=BATCH)

        tickets = [h.ticket for h in histories]
        Ticket.objects.bulk_create(tickets, batch_size=BATCH)
        messages = sorted((m for h in histories for m in h.messages), key=lambda m: m.created_at)
        Message.objects.bulk_create(messages, batch_size=BATCH)
        commitments = sorted(
            (c for h in histories for c in h.commitments), key=lambda c: c.created_at
        )
        Commitment.objects.bulk_create(commitments, batch_size=BATCH)
        ticket_tags = [
            Ticket.tags.through(ticket_id=h.ticket.pk, tag_id=tags[name].pk)
            for h in histories
            for name in h.tags
        ]
        Ticket.tags.through.objects.bulk_create(ticket_tags, batch_size=BATCH)
        followers = [
            Ticket.followers.through(ticket_id=h.ticket.pk, user_id=u.pk)
            for h in histories
            for u in h.followers
        ]
        Ticket.followers.through.objects.bulk_create(followers, batch_size=BATCH)
        shared = [
            Ticket.shared_departments.through(ticket_id=h.ticket.pk, department_id=d.pk)
            for h in histories
            for d in h.shared
        ]
        Ticket.shared_departments.through.objects.bulk_create(shared, batch_size=BATCH)

        pending = sorted(self.log.events, key=lambda e: (e.at, e.seq))
        events = [_event_row(p) for p in pending]
        Event.objects.bulk_create(events, batch_size=BATCH)
        notifications = []
        for item, event in zip(pending, events, strict=True):
            for user in item.recipients:
                read_at = None
                if event.occurred_at < self.now - timedelta(days=2) or rng.random() < 0.4:
                    read_at = min(
                        event.occurred_at + timedelta(minutes=rng.uniform(2, 600)), self.now
                    )
                notifications.append(
                    Notification(
                        recipient=user,
                        event=event,
                        created_at=event.occurred_at,
                        read_at=read_at,
                    )
                )
        Notification.objects.bulk_create(notifications, batch_size=BATCH)
        return {
            "departments": len(self.created["departments"]),
            "teams": len(self.created["teams"]),
            "users": len(self.created["users"]),
            "customers": len(customers),
            "identities": len(identities),
            "tickets": len(tickets),
            "messages": len(messages),
            "commitments": len(commitments),
            "events": len(events),
            "notifications": len(notifications),
        }

    def _mark(self, cast: Cast) -> None:
        self.marker = Event.objects.create(
            occurred_at=self.now,
            actor=cast.users[organisation.ADMIN_USERNAME],
            verb=MARKER_VERB,
            subject_type="demo",
            subject_id=self.seed,
            data={"seed": self.seed, "created": self.created},
        )


def _event_row(pending: PendingEvent) -> Event:
    """The event row for ``pending``, now that the rows it names have primary keys."""
    data: dict[str, Any] = pending.data
    if pending.message is not None:
        data["message"] = pending.message.pk
    if pending.commitment is not None:
        data["commitment"] = pending.commitment.pk
    subject: models.Model = pending.ticket if pending.ticket is not None else pending.customer
    return Event(
        occurred_at=pending.at,
        actor=pending.actor,
        verb=pending.verb,
        subject_type=subject._meta.label_lower,
        subject_id=subject.pk,
        ticket_id=pending.ticket.pk if pending.ticket is not None else None,
        customer_id=pending.customer.pk,
        data=data,
    )


def _get_or_create_by_name(
    model: type[M], names: Iterable[str], build: Callable[[str], M]
) -> tuple[dict[str, M], list[int]]:
    """Rows by their unique name: existing ones reused, the others created (their pks)."""
    wanted = list(names)
    found = {
        str(row.serializable_value("name")): row
        for row in model._default_manager.filter(name__in=wanted)
    }
    created = []
    for name in wanted:
        if name not in found:
            row = build(name)
            row.save()
            found[name] = row
            created.append(int(row.pk))
    return found, created


class _Taken:
    """Unique phone numbers, emails and channel ids for the generated customers."""

    def __init__(self) -> None:
        self.values: set[str] = set()

    def _unique(self, make: Any) -> str:
        while True:
            value = str(make())
            if value not in self.values:
                self.values.add(value)
                return value

    def phone(self, rng: random.Random) -> str:
        return self._unique(
            lambda: rng.choice(people.PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        )

    def email(
        self,
        rng: random.Random,
        surname: str,
        given: str,
        company: tuple[str, str] | None,
    ) -> str:
        def make() -> str:
            if company is not None:
                suffix = rng.choice(("", str(rng.randint(1, 9))))
                return f"{given}.{surname}{suffix}@{company[1]}"
            domains = [d for d, _w in people.EMAIL_DOMAINS]
            domain = rng.choices(domains, weights=[w for _d, w in people.EMAIL_DOMAINS])[0]
            if domain == "qq.com" and rng.random() < 0.8:
                return f"{rng.randint(10**7, 3 * 10**9)}@qq.com"
            style = rng.randrange(3)
            if style == 0:
                local = f"{surname}{given}{rng.randint(1, 999)}"
            elif style == 1:
                local = f"{given}_{surname}{rng.randint(1970, 2006)}"
            else:
                local = f"{surname[0]}{given}{rng.randint(10, 99)}"
            return f"{local}@{domain}"

        return self._unique(make)

    def openid(self, rng: random.Random) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        return self._unique(lambda: "o" + "".join(rng.choice(alphabet) for _ in range(27)))

    def external(self, rng: random.Random) -> str:
        return self._unique(lambda: f"app-{rng.randrange(10**7, 10**8)}")

    @staticmethod
    def drop_existing(profiles: list[CustomerProfile]) -> None:
        """With --force on a used database: skip identities another customer already has."""
        pairs = {(i.kind, i.value) for p in profiles for i in [*p.identities, *p.later_identities]}
        values = sorted({value for _kind, value in pairs})
        existing: set[tuple[str, str]] = set()
        for start in range(0, len(values), BATCH):
            existing.update(
                CustomerIdentity.objects.filter(
                    value__in=values[start : start + BATCH]
                ).values_list("kind", "value")
            )
        if not existing:
            return
        for profile in profiles:
            profile.identities = [
                i for i in profile.identities if (i.kind, i.value) not in existing
            ]
            profile.later_identities = [
                i for i in profile.later_identities if (i.kind, i.value) not in existing
            ]


def _ascii(name: str) -> str:
    """A name as it goes into an email address: Müller → muller, O'Brien → obrien."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(c for c in folded.lower() if c.isalnum())
