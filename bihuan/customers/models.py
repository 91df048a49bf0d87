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
    """A normalised phone, email or external id that belongs to exactly one customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("kind"), max_length=16, choices=IdentityKind.choices)
    value = models.CharField(_("value"), max_length=254)
    is_primary = models.BooleanField(_("primary"), default=False)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("customer identity")
        verbose_name_plural = _("customer identities")
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="identity_unique_per_kind")
        ]
        indexes = [models.Index(fields=["customer", "kind"], name="identity_customer_idx")]

    def __str__(self) -> str:
        # Masked: the full value is shown only on the audited customer record.
        return f"{self.kind}:{mask_contact(self.value)}"
