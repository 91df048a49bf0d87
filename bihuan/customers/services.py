"""Customer use cases: resolve a sender to one customer, create, update, audit views."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import User
from bihuan.core.bidi import neutralise_bidi
from bihuan.core.errors import ValidationFailed
from bihuan.core.events import record_event
from bihuan.core.masking import mask_contact
from bihuan.core.services import get_or_create_tags
from bihuan.customers.choices import IdentityKind, LifecycleStage, Tier
from bihuan.customers.identity import normalize_email, normalize_phone
from bihuan.customers.models import Customer, CustomerIdentity, Organisation
from bihuan.customers.permissions import require_customer_editor
from bihuan.customers.queries import is_visible

IDENTITY_UNAVAILABLE = _(
    "This phone number, email or external id cannot be used for this customer."
)


@dataclass(frozen=True)
class ContactDetails:
    """What a channel or API client knows about a sender; any field may be missing."""

    name: str = ""
    phone: str = ""
    email: str = ""
    external_id: str = ""

    def identities(self) -> list[tuple[str, str]]:
        """Normalised (kind, value) pairs, strongest first. Raises on malformed values."""
        found: list[tuple[str, str]] = []
        if self.external_id.strip():
            external = self.external_id.strip()
            if len(external) > 254:
                raise ValidationFailed(_("The external id is too long."), code="invalid_external")
            found.append((IdentityKind.EXTERNAL, external))
        if self.email.strip():
            found.append((IdentityKind.EMAIL, normalize_email(self.email)))
        if self.phone.strip():
            found.append((IdentityKind.PHONE, normalize_phone(self.phone)))
        return found


def _clean_name(name: str) -> str:
    return neutralise_bidi(name).strip()[:200]


def _display_name(details: ContactDetails, identities: list[tuple[str, str]]) -> str:
    name = _clean_name(details.name)
    if name:
        return name[:200]
    if identities:
        # The name shows in every list: never the full phone or email it was made from.
        return mask_contact(identities[0][1])[:200]
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
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return _resolve_once(details, identities, actor)
        except IntegrityError:
            continue  # another request created the same identity first: read it now
    raise ValidationFailed(_("Could not resolve the customer; try again."), code="busy")


def _resolve_once(
    details: ContactDetails, identities: list[tuple[str, str]], actor: User | None
) -> tuple[Customer, bool]:
    now = timezone.now()
    customer: Customer | None = None
    known: set[tuple[str, str]] = set()
    if identities:
        rows = list(
            CustomerIdentity.objects.select_related("customer").filter(
                kind__in=[k for k, _v in identities], value__in=[v for _k, v in identities]
            )
        )
        by_pair = {(r.kind, r.value): r for r in rows}
        known = set(by_pair)
        for pair in identities:  # strongest identity decides when they disagree
            if pair in by_pair:
                customer = by_pair[pair].customer
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
    new_pairs = [pair for pair in identities if pair not in known]
    if new_pairs:
        has_primary = set(
            CustomerIdentity.objects.filter(customer=customer, is_primary=True).values_list(
                "kind", flat=True
            )
        )
        for kind, value in new_pairs:
            # A person typing details may link a new identity but never make it the one
            # replies go to: only the customer's first identity of a kind, or one a channel
            # received the customer's own message from, becomes primary.
            CustomerIdentity.objects.create(
                customer=customer,
                kind=kind,
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
                    data={"kind": kind, "value": mask_contact(value)},
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
    existing = (
        CustomerIdentity.objects.select_related("customer")
        .filter(kind__in=[k for k, _v in identities], value__in=[v for _k, v in identities])
        .first()
    )
    if existing is not None and (existing.kind, existing.value) in identities:
        if not is_visible(actor, existing.customer):
            raise ValidationFailed(IDENTITY_UNAVAILABLE, code="identity_unavailable")
        raise ValidationFailed(
            _("%(value)s already belongs to customer %(id)s."),
            code="identity_taken",
            value=existing.value,
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


def record_customer_viewed(customer: Customer, *, viewer: User, via: str) -> None:
    """Audit: ``viewer`` opened ``customer``'s full record (personal data) through ``via``."""
    with transaction.atomic():
        record_event(
            "customer.viewed", customer, actor=viewer, customer_id=customer.pk, data={"via": via}
        )
