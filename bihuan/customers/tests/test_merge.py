"""Likely duplicates are suggested; merging two customers moves everything to the survivor,
is recorded in the audit log, and can be undone exactly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from bihuan.core.errors import Conflict, PermissionDenied, ValidationFailed
from bihuan.core.models import Event
from bihuan.customers.models import Customer, CustomerIdentity, CustomerMerge
from bihuan.customers.services import (
    ContactDetails,
    create_customer,
    merge_customers,
    resolve_customer,
    undo_customer_merge,
    update_customer,
)
from bihuan.testing.factories import make_ticket
from bihuan.tickets import services as ticket_services
from bihuan.tickets.models import Message, Ticket
from conftest import Org
from tests.security.state import db_state

pytestmark = pytest.mark.django_db


class Api:
    """The JSON API through Django's test client, with a user's token (same transaction)."""

    def __init__(self, org: Org, username: str) -> None:
        self.client = Client(headers={"Authorization": f"Bearer {org.tokens[username]}"})

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params)

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(path, body or {}, content_type="application/json")


def _state() -> dict[str, Any]:
    """Everything a merge moves, and the fields it may change."""
    return {
        **db_state(),
        "ticket_customers": list(Ticket.objects.order_by("pk").values_list("pk", "customer_id")),
        "message_customers": list(Message.objects.order_by("pk").values_list("pk", "customer_id")),
        "event_customers": list(
            Event.objects.exclude(verb__startswith="customer.merge")
            .order_by("pk")
            .values_list("pk", "customer_id")
        ),
        "profiles": list(
            Customer.objects.order_by("pk").values_list(
                "pk", "organisation_id", "advisor_id", "merged_into_id"
            )
        ),
        "tags": sorted(Customer.tags.through.objects.values_list("customer_id", "tag_id")),
        "primaries": list(
            CustomerIdentity.objects.order_by("pk").values_list("pk", "customer_id", "is_primary")
        ),
    }


@pytest.fixture
def pair(org: Org) -> tuple[Customer, Customer]:
    """The same person twice: by phone (a call) and by email with the app (an app user)."""
    by_phone = make_ticket(team=org.presales, name="王芳", phone="13800138000", subject="来电")
    ticket_services.add_customer_message(by_phone, body="我再补充一下", actor=None)
    by_app = make_ticket(
        team=org.presales, name="Wang Fang", email="wangfang@example.com", subject="App 反馈"
    )
    resolve_customer(
        ContactDetails(email="wangfang@example.com", external_id="u-1", external_source="app"),
        actor=None,
    )
    second = Customer.objects.get(pk=by_app.customer_id)
    update_customer(second, actor=org.agent, tier="gold", advisor=org.advisor)
    create_customer(
        details=ContactDetails(name="其他人", phone="13900001111"),
        tags=["VIP"],
        actor=org.agent,
    )
    first = Customer.objects.get(pk=by_phone.customer_id)
    first.tags.set([])
    return first, Customer.objects.get(pk=by_app.customer_id)


def test_a_merge_moves_every_ticket_identity_and_event_to_the_survivor(
    org: Org, pair: tuple[Customer, Customer]
) -> None:
    survivor, merged = pair
    merged_tickets = set(Ticket.objects.filter(customer=merged).values_list("pk", flat=True))
    merged_events = set(Event.objects.filter(customer_id=merged.pk).values_list("pk", flat=True))

    record = merge_customers(merged, into=survivor, actor=org.agent)

    assert set(Ticket.objects.filter(customer=survivor).values_list("pk", flat=True)) >= (
        merged_tickets
    )
    assert not Ticket.objects.filter(customer=merged).exists()
    assert not Message.objects.filter(customer=merged).exists()
    assert sorted(
        CustomerIdentity.objects.filter(customer=survivor).values_list("kind", "source", "value")
    ) == [
        ("email", "", "wangfang@example.com"),
        ("external", "app", "u-1"),
        ("phone", "", "+8613800138000"),
    ]
    assert set(
        Event.objects.filter(pk__in=merged_events).values_list("customer_id", flat=True)
    ) == {survivor.pk}
    merged.refresh_from_db()
    survivor.refresh_from_db()
    assert merged.merged_into_id == survivor.pk
    assert survivor.advisor_id == org.advisor.pk  # the survivor had none: it takes the other's
    assert survivor.tier == "standard"  # its own profile stays
    event = Event.objects.get(verb="customer.merged")
    assert (event.actor_id, event.customer_id, event.subject_id) == (
        org.agent.pk,
        survivor.pk,
        survivor.pk,
    )
    assert event.data["merge"] == record.pk
    assert event.data["merged"] == merged.pk
    assert event.data["moved"]["tickets"] == len(merged_tickets)
    assert event.data["moved"]["identities"] == 2
    # One primary per kind: the merged email was the only email, it stays primary.
    assert list(
        CustomerIdentity.objects.filter(customer=survivor, is_primary=True)
        .order_by("kind")
        .values_list("kind", flat=True)
    ) == ["email", "external", "phone"]


def test_the_survivor_keeps_its_primary_phone_and_the_merged_one_is_demoted(org: Org) -> None:
    first = make_ticket(team=org.presales, name="甲", phone="13800138000")
    second = make_ticket(team=org.presales, name="甲", phone="13900139000")
    survivor = Customer.objects.get(pk=first.customer_id)
    merged = Customer.objects.get(pk=second.customer_id)

    merge_customers(merged, into=survivor, actor=org.agent)

    assert list(
        CustomerIdentity.objects.filter(customer=survivor)
        .order_by("value")
        .values_list("value", "is_primary")
    ) == [("+8613800138000", True), ("+8613900139000", False)]


def test_undoing_a_merge_restores_exactly_what_was_there(
    org: Org, pair: tuple[Customer, Customer]
) -> None:
    survivor, merged = pair
    before = _state()
    merge_customers(merged, into=survivor, actor=org.agent)

    record = undo_customer_merge(merged, actor=org.supervisor)

    assert _state() == {
        **before,
        # The merge and its undo are themselves in the audit log, and the merge record stays.
        "core.Event": before["core.Event"] + 2,
        "customers.CustomerMerge": 1,
    }
    assert record.undone_by == org.supervisor
    assert list(
        Event.objects.filter(verb__startswith="customer.merge")
        .order_by("id")
        .values_list("verb", "customer_id")
    ) == [("customer.merged", survivor.pk), ("customer.merge_undone", survivor.pk)]


def test_what_the_survivor_gained_after_the_merge_stays_with_it_on_undo(
    org: Org, pair: tuple[Customer, Customer]
) -> None:
    survivor, merged = pair
    merge_customers(merged, into=survivor, actor=org.agent)
    later = make_ticket(team=org.presales, email="wangfang@example.com", subject="合并后来信")

    undo_customer_merge(merged, actor=org.agent)

    assert later.customer_id == survivor.pk
    assert Ticket.objects.get(pk=later.pk).customer_id == survivor.pk


@pytest.mark.parametrize("case", ["itself", "merged_again", "not_merged"])
def test_impossible_merges_and_undos_are_refused_and_change_nothing(
    org: Org, pair: tuple[Customer, Customer], case: str
) -> None:
    survivor, merged = pair
    third = Customer.objects.get(name="其他人")
    if case == "merged_again":
        merge_customers(merged, into=survivor, actor=org.agent)
        merge_customers(survivor, into=third, actor=org.agent)
    before = _state()

    attempt: Callable[[], object] = {
        "itself": lambda: merge_customers(survivor, into=survivor, actor=org.agent),
        "merged_again": lambda: undo_customer_merge(merged, actor=org.agent),  # survivor moved on
        "not_merged": lambda: undo_customer_merge(third, actor=org.agent),
    }[case]

    with pytest.raises((ValidationFailed, Conflict)) as refused:
        attempt()

    assert (
        refused.value.code
        == {
            "itself": "merge_self",
            "merged_again": "merged_again",
            "not_merged": "not_merged",
        }[case]
    )
    assert _state() == before


def test_a_customer_merged_away_cannot_be_merged_again(
    org: Org, pair: tuple[Customer, Customer]
) -> None:
    survivor, merged = pair
    third = Customer.objects.get(name="其他人")
    merge_customers(merged, into=survivor, actor=org.agent)
    before = _state()

    with pytest.raises(Conflict):
        merge_customers(merged, into=third, actor=org.agent)
    with pytest.raises(Conflict):
        merge_customers(third, into=merged, actor=org.agent)

    assert _state() == before


def test_a_department_member_may_not_merge(org: Org, pair: tuple[Customer, Customer]) -> None:
    survivor, merged = pair
    before = _state()

    with pytest.raises(PermissionDenied):
        merge_customers(merged, into=survivor, actor=org.tech_member)
    response = Api(org, "wangqiang").post(
        f"/api/v1/customers/{survivor.pk}/merge", {"merged_id": merged.pk}
    )

    assert response.status_code == 404
    assert _state() == before


def test_likely_duplicates_by_phone_email_and_name_in_the_same_organisation(org: Org) -> None:
    first = create_customer(
        details=ContactDetails(name="赵敏", phone="13912345678", email="zhaomin@例子.中国"),
        organisation="杭州云杉科技有限公司",
        actor=org.agent,
    )
    same_name = create_customer(
        details=ContactDetails(name="赵敏", email="zm@yunshan.cn"),
        organisation="杭州云杉科技有限公司",
        actor=org.agent,
    )
    other_company = create_customer(
        details=ContactDetails(name="赵敏", email="zm@other.cn"),
        organisation="别的公司",
        actor=org.agent,
    )
    # Two records the conversion to E.164 could not join: the old spellings stayed.
    old_phone = create_customer(details=ContactDetails(name="老记录"), actor=org.agent)
    CustomerIdentity.objects.create(
        customer=old_phone, kind="phone", value="13912345678", created_at=old_phone.created_at
    )
    old_email = create_customer(details=ContactDetails(name="老邮箱"), actor=org.agent)
    CustomerIdentity.objects.create(
        customer=old_email, kind="email", value="zhaomin@例子.中国", created_at=old_email.created_at
    )

    response = Api(org, "zhangwei").get(f"/api/v1/customers/{first.pk}/duplicates")

    assert response.status_code == 200
    assert [(i["customer"]["id"], i["reasons"]) for i in response.json()["items"]] == [
        (old_email.pk, ["same_email"]),
        (old_phone.pk, ["same_phone"]),
        (same_name.pk, ["same_name_and_organisation"]),
    ]
    assert other_company.pk not in {i["customer"]["id"] for i in response.json()["items"]}
    assert "13912345678" not in response.text  # the suggestions show contacts masked


def test_merge_and_undo_through_the_api(org: Org, pair: tuple[Customer, Customer]) -> None:
    survivor, merged = pair
    client = Api(org, "zhangwei")

    merged_answer = client.post(f"/api/v1/customers/{survivor.pk}/merge", {"merged_id": merged.pk})
    list_after_merge = client.get("/api/v1/customers", q="Wang Fang")
    merged_record = client.get(f"/api/v1/customers/{merged.pk}")
    undone = client.post(f"/api/v1/customers/{merged.pk}/unmerge")
    again = client.post(f"/api/v1/customers/{merged.pk}/unmerge")

    assert merged_answer.status_code == 200, merged_answer.text
    body = merged_answer.json()
    assert (body["survivor_id"], body["merged_id"], body["undone_at"]) == (
        survivor.pk,
        merged.pk,
        None,
    )
    assert body["moved"]["tickets"] == 1
    assert body["moved"]["identities"] == 2
    assert list_after_merge.json()["items"] == []  # a merged customer is in no list
    assert merged_record.json()["merged_into_id"] == survivor.pk
    assert merged_record.json()["tickets"] == []  # they are the survivor's now
    assert undone.status_code == 200
    assert undone.json()["undone_at"] is not None
    assert again.status_code == 409
    assert again.json()["code"] == "not_merged"
    assert CustomerMerge.objects.get().undone_at is not None


def test_the_customer_page_suggests_merges_and_undoes_them(org: Org) -> None:
    first = make_ticket(team=org.presales, name="刘洋", phone="13900139002")
    second = create_customer(
        details=ContactDetails(name="刘洋", email="liuyang@example.com"),
        organisation="云杉",
        actor=org.agent,
    )
    survivor = Customer.objects.get(pk=first.customer_id)
    update_customer(survivor, actor=org.agent, name="刘洋")
    Customer.objects.filter(pk=survivor.pk).update(organisation=second.organisation)
    client = Client()
    client.force_login(org.agent)
    page = reverse("customers:detail", args=[survivor.pk])

    shown = client.get(page)
    merged = client.post(reverse("customers:merge", args=[survivor.pk]), {"merged": second.pk})
    merged_page = client.get(reverse("customers:detail", args=[second.pk]))
    undone = client.post(reverse("customers:unmerge", args=[second.pk]))

    assert [c.pk for c, _contact, _reasons in shown.context["duplicates"]] == [second.pk]
    assert f'data-customer="{second.pk}"' in shown.content.decode()
    assert 'data-testid="merge"' in shown.content.decode()
    assert merged.status_code == 302
    assert merged["Location"] == page
    assert 'data-testid="merged-into"' in merged_page.content.decode()
    assert undone.status_code == 302
    assert Customer.objects.get(pk=second.pk).merged_into_id is None
    assert CustomerMerge.objects.get().undone_by == org.agent


def test_a_bad_merge_form_is_refused_with_a_message_and_changes_nothing(
    org: Org, pair: tuple[Customer, Customer]
) -> None:
    survivor, _merged = pair
    client = Client()
    client.force_login(org.agent)
    before = _state()

    response = client.post(reverse("customers:merge", args=[survivor.pk]), {"merged": "abc"})
    to_itself = client.post(reverse("customers:merge", args=[survivor.pk]), {"merged": survivor.pk})

    assert response.status_code == 302
    assert to_itself.status_code == 302
    assert _state() == before
