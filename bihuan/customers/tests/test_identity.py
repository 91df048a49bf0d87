"""Normalising phones and emails, masking them in lists, matching customers across channels."""

from __future__ import annotations

import pytest

from bihuan.core.errors import ValidationFailed
from bihuan.core.masking import mask_contact, mask_email, mask_phone
from bihuan.customers.identity import normalize_email, normalize_phone
from bihuan.customers.models import Customer
from bihuan.customers.services import ContactDetails, resolve_customer


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("13812345678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("(021) 6234 5678", "02162345678"),
        ("+1 415 555 0100", "14155550100"),
    ],
)
def test_phone_numbers_are_normalised(raw: str, normal: str) -> None:
    assert normalize_phone(raw) == normal


@pytest.mark.parametrize("raw", ["12ab", "123", "1" * 16, "", "138 1234 567x"])
def test_malformed_phone_numbers_are_refused(raw: str) -> None:
    with pytest.raises(ValidationFailed):
        normalize_phone(raw)


def test_emails_are_lower_cased_and_validated() -> None:
    assert normalize_email(" Wang.Fang@Example.COM ") == "wang.fang@example.com"
    with pytest.raises(ValidationFailed):
        normalize_email("wang@")


def test_masking_hides_the_middle_of_phones_and_the_local_part_of_emails() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_email("wangfang@example.com") == "w***@example.com"
    assert mask_contact("13812345678") == "138****5678"
    assert mask_phone("12345") == "*****"


@pytest.mark.django_db
def test_the_same_person_by_phone_and_by_app_id_is_one_customer() -> None:
    first, created = resolve_customer(ContactDetails(name="王芳", phone="13812345678"), actor=None)
    second, created_again = resolve_customer(
        ContactDetails(phone="+86 138 1234 5678", external_id="app-user-991"), actor=None
    )
    third, _ = resolve_customer(ContactDetails(external_id="app-user-991"), actor=None)

    assert created
    assert not created_again
    assert first.pk == second.pk == third.pk
    assert Customer.objects.count() == 1
    assert sorted(first.identities.values_list("kind", flat=True)) == ["external", "phone"]


@pytest.mark.django_db
def test_resolving_with_a_malformed_email_creates_nothing() -> None:
    with pytest.raises(ValidationFailed):
        resolve_customer(ContactDetails(name="赵", email="bad@"), actor=None)

    assert Customer.objects.count() == 0
