"""Customers, organisations and the channel identities that resolve a sender to one customer."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bihuan.core.masking import mask_contact
from bihuan.customers.choices import IdentityKind, LifecycleStage, Tier


class Organisation(models.Model):
    """A company some customers belong to."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """One person, whatever channel they write on: one profile, one history."""

    name = models.CharField(_("name"), max_length=200)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
    )
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, default=Tier.STANDARD)
    lifecycle_stage = models.CharField(
        _("lifecycle stage"),
        max_length=16,
        choices=LifecycleStage.choices,
        default=LifecycleStage.NEW,
    )
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer-success advisor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="advised_customers",
    )
    tags = models.ManyToManyField("core.Tag", verbose_name=_("tags"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Set while this record is merged into another (the survivor holds its tickets and
    # identities); cleared when the merge is undone. Merged records are in no list.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["advisor", "id"], name="customer_advisor_idx"),
            models.Index(fields=["name"], name="customer_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class CustomerIdentity(models.Model):
    """A normalised phone (E.164), email (lower case, ASCII domain) or external id that
    belongs to exactly one customer. An external id is unique within its ``source`` (the
    shop, the app, the CRM that issued it); phones and emails have no source."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("kind"), max_length=16, choices=IdentityKind.choices)
    source = models.CharField(_("source"), max_length=64, blank=True, default="")
    value = models.CharField(_("value"), max_length=254)
    is_primary = models.BooleanField(_("primary"), default=False)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("customer identity")
        verbose_name_plural = _("customer identities")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "source", "value"], name="identity_unique_per_kind_source"
            )
        ]
        indexes = [models.Index(fields=["customer", "kind"], name="identity_customer_idx")]

    def __str__(self) -> str:
        # Masked: the full value is shown only on the audited customer record.
        return f"{self.kind}:{mask_contact(self.value)}"


class CustomerMerge(models.Model):
    """Two customers merged into one: ``merged`` into ``survivor``, and exactly what moved.

    ``moved`` keeps the ids of every row that moved, per participant (``identities``,
    ``events``, ``tags`` and what other apps registered, e.g. ``tickets``), and the
    identities that stopped being primary; undoing the merge moves exactly those back.
    """

    survivor = models.ForeignKey(
        Customer, verbose_name=_("survivor"), on_delete=models.PROTECT, related_name="+"
    )
    merged = models.ForeignKey(
        Customer, verbose_name=_("merged customer"), on_delete=models.PROTECT, related_name="+"
    )
    moved = models.JSONField(_("what moved"), default=dict)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(_("merged at"))
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")
        indexes = [
            models.Index(fields=["survivor", "id"], name="customer_merge_survivor_idx"),
            models.Index(fields=["merged", "id"], name="customer_merge_merged_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.survivor_id}"

    @property
    def is_undone(self) -> bool:
        return self.undone_at is not None
