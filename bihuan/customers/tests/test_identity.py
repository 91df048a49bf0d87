"""Normalising phones and emails, masking them in lists, matching customers across channels."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bihuan.core.errors import ValidationFailed
from bihuan.core.masking import mask_contact, mask_email, mask_phone
from bihuan.customers.identity import (
    display_phone,
    email_spellings,
    format_phone,
    normalize_email,
    normalize_phone,
    phone_spellings,
)
from bihuan.customers.models import Customer
from bihuan.customers.services import ContactDetails, resolve_customer


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("13812345678", "+8613812345678"),
        ("138 1234 5678", "+8613812345678"),
        ("+86 138-1234-5678", "+8613812345678"),
        ("0086 13812345678", "+8613812345678"),
        ("86 13812345678", "+8613812345678"),
        ("１３８１２３４５６７８", "+8613812345678"),
        ("(021) 6234 5678", "+862162345678"),
        ("+86 21 6234 5678", "+862162345678"),
        ("+1 650-253-0000", "+16502530000"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phone_numbers_are_stored_in_e164_with_china_as_the_default_region(
    raw: str, normal: str
) -> None:
    assert normalize_phone(raw) == normal


@pytest.mark.parametrize(
    "raw",
    ["12ab", "123", "1" * 16, "", "138 1234 567x", "1-800-FLOWERS", "11111111111", "+86 12345"],
)
def test_malformed_phone_numbers_are_refused(raw: str) -> None:
    with pytest.raises(ValidationFailed):
        normalize_phone(raw)


@pytest.mark.parametrize(
    ("stored", "shown", "international"),
    [
        ("+8613812345678", "13812345678", "+86 138 1234 5678"),
        ("+862162345678", "02162345678", "+86 21 6234 5678"),
        ("+16502530000", "+16502530000", "+1 650-253-0000"),
        ("13812345678", "13812345678", "13812345678"),  # an old spelling is shown as stored
    ],
)
def test_stored_phones_are_shown_as_people_in_china_dial_them(
    stored: str, shown: str, international: str
) -> None:
    assert display_phone(stored) == shown
    assert format_phone(stored) == international


def test_a_phone_is_looked_up_in_every_spelling_it_was_ever_stored_in() -> None:
    assert phone_spellings("+8613812345678") == [
        "+8613812345678",
        "8613812345678",
        "13812345678",
        "013812345678",
    ]
    assert phone_spellings("+16502530000") == ["+16502530000", "16502530000"]


def test_emails_are_lower_cased_and_validated() -> None:
    assert normalize_email(" Wang.Fang@Example.COM ") == "wang.fang@example.com"
    with pytest.raises(ValidationFailed):
        normalize_email("wang@")


def test_an_international_domain_is_stored_in_ascii_and_found_in_either_spelling() -> None:
    stored = normalize_email(" Zhang@例子.中国 ")

    assert stored == "zhang@xn--fsqu00a.xn--fiqs8s"
    assert normalize_email("ZHANG＠例子.中国") == stored  # a full-width @ from an input method
    assert email_spellings(stored) == [stored, "zhang@例子.中国"]


@pytest.mark.parametrize("raw", ["a@b", "@example.com", "zhang@例子..中国", "a b@example.com"])
def test_malformed_emails_are_refused(raw: str) -> None:
    with pytest.raises(ValidationFailed):
        normalize_email(raw)


# --- Property tests over the ways people write one Chinese mobile number ------------------

_mobiles = st.builds(
    lambda prefix, rest: f"1{prefix}{rest:08d}",
    st.sampled_from(["30", "38", "39", "50", "58", "81", "86", "88", "99"]),
    st.integers(min_value=0, max_value=10**8 - 1),
)
_separators = st.sampled_from(["", " ", "-", ".", " - "])


@st.composite
def _written(draw: st.DrawFn, national: str) -> str:
    """``national`` as a person might type it: grouped 3-4-4, with a country prefix, in
    full-width digits, in brackets, with white space around."""
    sep = draw(_separators)
    grouped = sep.join([national[:3], national[3:7], national[7:]])
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "0086", "0086 ", "86", "(+86) "]))
    text = prefix + grouped
    if draw(st.booleans()):
        text = text.translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})
    return draw(st.sampled_from(["", " ", "\t"])) + text + draw(st.sampled_from(["", " "]))


@given(data=st.data(), national=_mobiles)
def test_every_way_of_writing_a_mobile_number_normalises_to_the_same_e164(
    data: st.DataObject, national: str
) -> None:
    written = data.draw(_written(national))

    assert normalize_phone(written) == f"+86{national}"
    assert display_phone(normalize_phone(written)) == national
    assert (
        mask_phone(display_phone(normalize_phone(written))) == f"{national[:3]}****{national[-4:]}"
    )


@given(text=st.text(max_size=25))
def test_normalising_any_text_gives_e164_or_a_clear_error(text: str) -> None:
    try:
        value = normalize_phone(text)
    except ValidationFailed as error:
        code = error.code
    else:
        code = "valid"
        assert value.startswith("+")
        assert value[1:].isascii()
        assert value[1:].isdigit()
        assert normalize_phone(value) == value  # idempotent
    assert code in {"valid", "invalid_phone"}


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
