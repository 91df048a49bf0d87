"""Customer use cases: resolve a sender to one customer, create, update, audit views."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import User
from bihuan.core.bidi import neutralise_bidi
from bihuan.core.errors import Conflict, NotFound, ValidationFailed
from bihuan.core.events import record_event
from bihuan.core.models import Event
from bihuan.core.services import get_or_create_tags
from bihuan.customers.choices import IdentityKind, LifecycleStage, Tier
from bihuan.customers.identity import (
    display_value,
    masked_value,
    normalize_email,
    normalize_phone,
    spellings,
)
from bihuan.customers.merging import chunked, merge_participants
from bihuan.customers.models import Customer, CustomerIdentity, CustomerMerge, Organisation
from bihuan.customers.permissions import require_customer_editor
from bihuan.customers.queries import is_visible

IDENTITY_UNAVAILABLE = _(
    "This phone number, email or external id cannot be used for this customer."
)


class IdentityKey(NamedTuple):
    """A normalised identity: its kind, value and (for an external id) the issuing source."""

    kind: str
    value: str
    source: str = ""


@dataclass(frozen=True)
class ContactDetails:
    """What a channel or API client knows about a sender; any field may be missing.

    ``external_source`` names the system that issued ``external_id`` (the shop, the app):
    the same id from two sources is two different people. ``more_externals`` are further
    ``(source, id)`` pairs the sender is known by — a WeChat user's unionid beside the
    openid of one account, so the same person on the Official Account and on WeCom is one
    customer; they rank after ``external_id``.
    """

    name: str = ""
    phone: str = ""
    email: str = ""
    external_id: str = ""
    external_source: str = ""
    more_externals: tuple[tuple[str, str], ...] = ()

    def identities(self) -> list[IdentityKey]:
        """Normalised identities, strongest first. Raises on malformed values."""
        found: list[IdentityKey] = []
        externals = [(self.external_source, self.external_id), *self.more_externals]
        for raw_source, raw_value in externals:
            external = raw_value.strip()
            if not external:
                continue
            source = raw_source.strip()
            if len(external) > 254:
                raise ValidationFailed(_("The external id is too long."), code="invalid_external")
            if len(source) > 64 or not source.isprintable():
                raise ValidationFailed(
                    _("The source of an external id is at most 64 printable characters."),
                    code="invalid_source",
                )
            key = IdentityKey(IdentityKind.EXTERNAL, external, source)
            if key not in found:
                found.append(key)
        if self.email.strip():
            found.append(IdentityKey(IdentityKind.EMAIL, normalize_email(self.email)))
        if self.phone.strip():
            found.append(IdentityKey(IdentityKind.PHONE, normalize_phone(self.phone)))
        return found


def known_identities(keys: list[IdentityKey]) -> dict[IdentityKey, CustomerIdentity]:
    """The stored identities of ``keys`` (one query), whatever spelling each was stored in."""
    if not keys:
        return {}
    wanted: dict[tuple[str, str, str], IdentityKey] = {}
    condition = Q()
    for key in keys:
        for spelling in spellings(key.kind, key.value):
            wanted[(key.kind, key.source, spelling)] = key
        condition |= Q(kind=key.kind, source=key.source, value__in=spellings(key.kind, key.value))
    found: dict[IdentityKey, CustomerIdentity] = {}
    rows = CustomerIdentity.objects.select_related("customer").filter(condition).order_by("id")
    for row in rows:
        match = wanted.get((row.kind, row.source, row.value))
        if match is not None:
            found.setdefault(match, row)
    return found


def _clean_name(name: str) -> str:
    return neutralise_bidi(name).strip()[:200]


def _display_name(details: ContactDetails, identities: list[IdentityKey]) -> str:
    name = _clean_name(details.name)
    if name:
        return name[:200]
    if identities:
        # The name shows in every list: never the full phone or email it was made from.
        return masked_value(identities[0].kind, identities[0].value)[:200]
    return str(_("Anonymous customer"))


def resolve_customer(details: ContactDetails, *, actor: User | None) -> tuple[Customer, bool]:
    """Find the customer any of ``details``' identities belongs to, or create one.

    Identities not yet known are attached to the matched customer, so the next contact by
    that phone or email finds the same person. Returns (customer, created). Safe under
    concurrency: the unique (kind, value) constraint decides a race and the loser re-reads.

    ``actor`` is the person who gave the details (None for a channel's sender): they must be
    allowed to change customers, and an identity of a customer they may not see never links
    to that customer (the refusal does not name it).
    """
    if actor is not None:
        require_customer_editor(actor)
    identities = details.identities()
    if not identities and not details.name.strip():
        raise ValidationFailed(
            _("A customer needs at least a name, phone, email or external id."),
            code="customer_required",
        )
    by_key: dict[IdentityKey, CustomerIdentity] | None = known_identities(identities)
    if by_key and len(by_key) == len(identities):
        # Every identity is known: nothing to write, so no savepoint for a race to undo.
        return _resolve_once(details, identities, actor, by_key=by_key)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return _resolve_once(details, identities, actor, by_key=by_key)
        except IntegrityError:
            by_key = None  # another request created the same identity first: read it now
    raise ValidationFailed(_("Could not resolve the customer; try again."), code="busy")


def _resolve_once(
    details: ContactDetails,
    identities: list[IdentityKey],
    actor: User | None,
    *,
    by_key: dict[IdentityKey, CustomerIdentity] | None = None,
) -> tuple[Customer, bool]:
    """One attempt; ``by_key``: ``known_identities(identities)`` read in this transaction."""
    now = timezone.now()
    customer: Customer | None = None
    if by_key is None:
        by_key = known_identities(identities)
    known = set(by_key)
    for key in identities:  # strongest identity decides when they disagree
        if key in by_key:
            customer = by_key[key].customer
            break
    if customer is not None and actor is not None and not is_visible(actor, customer):
        raise ValidationFailed(IDENTITY_UNAVAILABLE, code="identity_unavailable")
    created = customer is None
    if customer is None:
        customer = Customer.objects.create(
            name=_display_name(details, identities), created_at=now, updated_at=now
        )
        record_event(
            "customer.created",
            customer,
            actor=actor,
            customer_id=customer.pk,
            data={"name": customer.name},
        )
    new_keys = [key for key in identities if key not in known]
    if new_keys:
        # A customer created a statement ago has no identities, primary or not.
        has_primary = (
            set()
            if created
            else set(
                CustomerIdentity.objects.filter(customer=customer, is_primary=True).values_list(
                    "kind", flat=True
                )
            )
        )
        for kind, value, source in new_keys:
            # A person typing details may link a new identity but never make it the one
            # replies go to: only the customer's first identity of a kind, or one a channel
            # received the customer's own message from, becomes primary.
            CustomerIdentity.objects.create(
                customer=customer,
                kind=kind,
                source=source,
                value=value,
                is_primary=kind not in has_primary and (created or actor is None),
                created_at=now,
            )
            has_primary.add(kind)
            if not created:
                record_event(
                    "customer.identity_added",
                    customer,
                    actor=actor,
                    customer_id=customer.pk,
                    # The audit log says which identity, masked: the full value stays only
                    # on the identity row, seen through the audited customer record.
                    data={"kind": kind, "value": masked_value(kind, value)},
                )
    return customer, created


def create_customer(
    *,
    details: ContactDetails,
    actor: User,
    organisation: str = "",
    tier: str = Tier.STANDARD,
    tags: list[str] | None = None,
) -> Customer:
    """Create a customer explicitly; refuses if a given phone/email already belongs to one."""
    require_customer_editor(actor)
    if tier not in Tier.values:
        raise ValidationFailed(_("Unknown tier."), code="invalid_tier")
    identities = details.identities()
    existing = next(iter(known_identities(identities).values()), None)
    if existing is not None:
        if not is_visible(actor, existing.customer):
            raise ValidationFailed(IDENTITY_UNAVAILABLE, code="identity_unavailable")
        raise ValidationFailed(
            _("%(value)s already belongs to customer %(id)s."),
            code="identity_taken",
            value=display_value(existing.kind, existing.value),
            id=existing.customer_id,
        )
    with transaction.atomic():
        customer, _created = _resolve_once(details, identities, actor)
        fields: list[str] = []
        if _clean_name(organisation):
            org, _new = Organisation.objects.get_or_create(
                name=_clean_name(organisation), defaults={"created_at": timezone.now()}
            )
            customer.organisation = org
            fields.append("organisation")
        if tier != customer.tier:
            customer.tier = tier
            fields.append("tier")
        if fields:
            customer.save(update_fields=fields)
        if tags:
            customer.tags.set(get_or_create_tags(tags))
    return customer


def update_customer(
    customer: Customer,
    *,
    actor: User,
    name: str | None = None,
    tier: str | None = None,
    lifecycle_stage: str | None = None,
    advisor: User | None = None,
    clear_advisor: bool = False,
    notes: str | None = None,
) -> Customer:
    """Change profile fields; one ``customer.updated`` event with before/after values."""
    require_customer_editor(actor)
    if name is not None:
        name = _clean_name(name)
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        changes: dict[str, list[object]] = {}
        if name and name != locked.name:
            changes["name"] = [locked.name, name]
            locked.name = name
        if tier is not None and tier != locked.tier:
            if tier not in Tier.values:
                raise ValidationFailed(_("Unknown tier."), code="invalid_tier")
            changes["tier"] = [locked.tier, tier]
            locked.tier = tier
        if lifecycle_stage is not None and lifecycle_stage != locked.lifecycle_stage:
            if lifecycle_stage not in LifecycleStage.values:
                raise ValidationFailed(_("Unknown lifecycle stage."), code="invalid_stage")
            changes["lifecycle_stage"] = [locked.lifecycle_stage, lifecycle_stage]
            locked.lifecycle_stage = lifecycle_stage
        if (advisor is not None or clear_advisor) and (
            advisor.pk if advisor else None
        ) != locked.advisor_id:
            changes["advisor"] = [locked.advisor_id, advisor.pk if advisor else None]
            locked.advisor = advisor
        if notes is not None and notes != locked.notes:
            changes["notes"] = ["", ""]
            locked.notes = notes
        if not changes:
            return locked
        locked.updated_at = timezone.now()
        locked.save(update_fields=[*changes.keys(), "updated_at"])
        record_event("customer.updated", locked, actor=actor, customer_id=locked.pk, data=changes)
    return locked


def _anonymous_names() -> set[str]:
    """What a customer created without name or identity is called, in every UI language."""
    names = set()
    for code, _label in settings.LANGUAGES:
        with translation.override(code):
            names.add(str(_("Anonymous customer")))
    return names


def has_channel_default_name(customer: Customer) -> bool:
    """Whether ``customer`` still has the name a channel gave it for want of one (a masked
    phone, email or platform id, or "Anonymous customer") and nobody has named it since."""
    identities = CustomerIdentity.objects.filter(customer=customer).values_list("kind", "value")
    defaults = {masked_value(kind, value)[:200] for kind, value in identities}
    if customer.name not in defaults | _anonymous_names():
        return False
    # An agent who typed the same text (or renamed and renamed back) still decided it.
    renamed = Event.objects.filter(
        customer_id=customer.pk, verb="customer.updated", data__has_key="name"
    )
    return not renamed.exists()


def name_customer_from_channel(customer: Customer, name: str) -> bool:
    """Give ``customer`` the name a channel learnt (a platform profile's nickname) while it
    still has the default name a channel gave it; a name an agent set, or one a channel
    gave before, is never replaced. Records ``customer.named``; returns whether it renamed."""
    clean = _clean_name(name)
    if not clean:
        return False
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        if clean == locked.name or not has_channel_default_name(locked):
            return False
        before = locked.name
        locked.name = clean
        locked.updated_at = timezone.now()
        locked.save(update_fields=["name", "updated_at"])
        record_event(
            "customer.named",
            locked,
            customer_id=locked.pk,
            at=locked.updated_at,
            data={"name": [before, clean]},
        )
    customer.name = clean
    return True


def record_customer_viewed(customer: Customer, *, viewer: User, via: str) -> None:
    """Audit: ``viewer`` opened ``customer``'s full record (personal data) through ``via``."""
    with transaction.atomic():
        record_event(
            "customer.viewed", customer, actor=viewer, customer_id=customer.pk, data={"via": via}
        )


def _lock_pair(first_id: int, second_id: int) -> dict[int, Customer]:
    """Lock two customers in id order (the fixed order every merge and undo takes)."""
    rows = Customer.objects.select_for_update().filter(pk__in=[first_id, second_id]).order_by("pk")
    return {c.pk: c for c in rows}


def merge_customers(merged: Customer, *, into: Customer, actor: User | None) -> CustomerMerge:
    """Merge ``merged`` into ``into`` (the survivor): every ticket, identity and event of
    ``merged`` moves to the survivor, in one transaction, and ``customer.merged`` records it.

    The survivor keeps its profile; it gains the merged customer's tags, and its
    organisation and advisor when it had none. An identity that was primary on ``merged``
    stops being primary where the survivor has a primary one of its kind (one primary per
    kind). ``merged`` stays as a record pointing at the survivor, in no list; the
    ``CustomerMerge`` row keeps exactly what moved, so ``undo_customer_merge`` restores it.
    Apps holding customer foreign keys move theirs through ``merging`` participants.
    ``actor`` None: a channel merges a contact it created itself (an anonymous chat visitor
    who then gave an email or phone of a known customer); an agent can undo it.
    """
    if actor is not None:
        require_customer_editor(actor)
    if merged.pk == into.pk:
        raise ValidationFailed(_("A customer cannot be merged into itself."), code="merge_self")
    if actor is not None and not (is_visible(actor, merged) and is_visible(actor, into)):
        raise NotFound(_("Customer not found."))
    with transaction.atomic():
        locked = _lock_pair(merged.pk, into.pk)
        if len(locked) != 2:
            raise NotFound(_("Customer not found."))
        source, survivor = locked[merged.pk], locked[into.pk]
        if source.merged_into_id is not None or survivor.merged_into_id is not None:
            raise Conflict(
                _("One of these customers is already merged into another customer."),
                code="already_merged",
            )
        now = timezone.now()
        identities = list(CustomerIdentity.objects.filter(customer=source).order_by("id"))
        primary_kinds = set(
            CustomerIdentity.objects.filter(customer=survivor, is_primary=True).values_list(
                "kind", flat=True
            )
        )
        demoted = [i.pk for i in identities if i.is_primary and i.kind in primary_kinds]
        CustomerIdentity.objects.filter(pk__in=demoted).update(is_primary=False)
        CustomerIdentity.objects.filter(pk__in=[i.pk for i in identities]).update(customer=survivor)
        event_ids = list(
            Event.objects.filter(customer_id=source.pk).order_by("id").values_list("pk", flat=True)
        )
        for chunk in chunked(event_ids):
            Event.objects.filter(pk__in=chunk).update(customer_id=survivor.pk)
        survivor_tags = set(survivor.tags.values_list("pk", flat=True))
        added_tags = sorted(set(source.tags.values_list("pk", flat=True)) - survivor_tags)
        if added_tags:
            survivor.tags.add(*added_tags)
        moved: dict[str, Any] = {
            "identities": [i.pk for i in identities],
            "demoted": demoted,
            "events": event_ids,
            "tags": added_tags,
            "organisation": None,
            "advisor": None,
        }
        fields = ["updated_at"]
        if survivor.organisation_id is None and source.organisation_id is not None:
            survivor.organisation_id = moved["organisation"] = source.organisation_id
            fields.append("organisation")
        if survivor.advisor_id is None and source.advisor_id is not None:
            survivor.advisor_id = moved["advisor"] = source.advisor_id
            fields.append("advisor")
        for participant in merge_participants():
            moved[participant.name] = participant.move(source, survivor)
        survivor.updated_at = now
        survivor.save(update_fields=fields)
        source.merged_into = survivor
        source.updated_at = now
        source.save(update_fields=["merged_into", "updated_at"])
        record = CustomerMerge.objects.create(
            survivor=survivor, merged=source, moved=moved, merged_by=actor, merged_at=now
        )
        record_event(
            "customer.merged",
            survivor,
            actor=actor,
            customer_id=survivor.pk,
            data={
                "merge": record.pk,
                "merged": source.pk,
                "name": source.name,
                "moved": _counts(moved),
            },
        )
    return record


def undo_customer_merge(merged: Customer, *, actor: User) -> CustomerMerge:
    """Undo the merge that made ``merged`` part of another customer: exactly the tickets,
    identities, events, tags and fields that moved go back (rows added to the survivor since
    stay with it), and ``customer.merge_undone`` records it.

    Refused while the survivor is itself merged into a third customer (undo that first).
    """
    require_customer_editor(actor)
    if not is_visible(actor, merged):
        raise NotFound(_("Customer not found."))
    with transaction.atomic():
        record = (
            CustomerMerge.objects.select_for_update()
            .filter(merged_id=merged.pk, undone_at__isnull=True)
            .order_by("-id")
            .first()
        )
        if record is None:
            raise Conflict(_("This customer is not merged into another."), code="not_merged")
        locked = _lock_pair(record.merged_id, record.survivor_id)
        source, survivor = locked[record.merged_id], locked[record.survivor_id]
        if survivor.merged_into_id is not None or source.merged_into_id != survivor.pk:
            raise Conflict(
                _(
                    "The customer it was merged into has since been merged into another: "
                    "undo that merge first."
                ),
                code="merged_again",
            )
        moved = record.moved
        now = timezone.now()
        for participant in reversed(merge_participants()):
            participant.undo(source, survivor, list(moved.get(participant.name, [])))
        for chunk in chunked(moved.get("identities", [])):
            CustomerIdentity.objects.filter(pk__in=chunk, customer=survivor).update(customer=source)
        CustomerIdentity.objects.filter(pk__in=moved.get("demoted", []), customer=source).update(
            is_primary=True
        )
        for chunk in chunked(moved.get("events", [])):
            Event.objects.filter(pk__in=chunk, customer_id=survivor.pk).update(
                customer_id=source.pk
            )
        if moved.get("tags"):
            survivor.tags.remove(*moved["tags"])
        fields = ["updated_at"]
        if moved.get("organisation") and survivor.organisation_id == moved["organisation"]:
            survivor.organisation = None
            fields.append("organisation")
        if moved.get("advisor") and survivor.advisor_id == moved["advisor"]:
            survivor.advisor = None
            fields.append("advisor")
        survivor.updated_at = now
        survivor.save(update_fields=fields)
        source.merged_into = None
        source.updated_at = now
        source.save(update_fields=["merged_into", "updated_at"])
        record.undone_at = now
        record.undone_by = actor
        record.save(update_fields=["undone_at", "undone_by"])
        record_event(
            "customer.merge_undone",
            survivor,
            actor=actor,
            customer_id=survivor.pk,
            data={"merge": record.pk, "merged": source.pk, "name": source.name},
        )
    return record


def _counts(moved: dict[str, Any]) -> dict[str, int]:
    return {name: len(ids) for name, ids in moved.items() if isinstance(ids, list)}
