"""The notifications page: listed newest first, counted in the top bar, marked read."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from bihuan.accounts.models import User
from bihuan.core.models import Notification
from bihuan.testing.factories import make_ticket
from bihuan.tickets import services
from conftest import Org

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_mention_is_listed_counted_and_opening_it_marks_it_read(org: Org) -> None:
    ticket = make_ticket(team=org.presales)
    services.add_internal_note(ticket, body="@lina 请看一下这张工单", actor=org.agent)
    client = signed_in(org.other_agent)

    page = client.get(reverse("accounts:notifications"))
    notification = Notification.objects.get(recipient=org.other_agent)
    opened = client.post(
        reverse("accounts:notification_open", kwargs={"notification_id": notification.pk})
    )

    assert page.status_code == 200
    assert page.context["unread_notifications"] == 1
    assert "张伟" in page.content.decode()
    assert "在内部备注中提到了您" in page.content.decode()
    assert opened["Location"] == reverse("tickets:detail", kwargs={"number": ticket.pk})
    notification.refresh_from_db()
    assert notification.is_read


def test_mark_all_read_touches_only_the_users_own_notifications(org: Org) -> None:
    ticket = make_ticket(team=org.presales)
    services.add_internal_note(ticket, body="@lina @supervisor 请看", actor=org.agent)

    response = signed_in(org.other_agent).post(reverse("accounts:notifications_read"))

    assert response.status_code == 302
    assert Notification.objects.get(recipient=org.other_agent).is_read
    assert not Notification.objects.get(recipient=org.supervisor).is_read


def test_someone_elses_notification_cannot_be_opened(org: Org) -> None:
    ticket = make_ticket(team=org.presales)
    services.add_internal_note(ticket, body="@supervisor 请看", actor=org.agent)
    notification = Notification.objects.get(recipient=org.supervisor)

    response = signed_in(org.other_agent).post(
        reverse("accounts:notification_open", kwargs={"notification_id": notification.pk})
    )

    assert response.status_code == 404
    notification.refresh_from_db()
    assert not notification.is_read
