"""The channel adapter interface: email takes mail in and sends it out through it."""

from __future__ import annotations

import pytest

from bihuan.channels.adapters import adapter_for
from bihuan.channels.tests.mail import corpus
from bihuan.tickets.choices import Channel
from bihuan.tickets.models import Ticket
from conftest import Org

pytestmark = pytest.mark.django_db


def test_the_email_adapter_receives_a_message_once(org: Org) -> None:
    adapter = adapter_for(Channel.EMAIL)

    first = adapter.receive(corpus("big5_taiwan.eml"))
    again = adapter.receive(corpus("big5_taiwan.eml"))

    assert adapter.channel == Channel.EMAIL
    assert again.ticket_number == first.ticket_number == Ticket.objects.get().pk


def test_a_channel_without_an_adapter_is_refused() -> None:
    # The API and the web form write through the ticket services directly; nothing to send.
    with pytest.raises(KeyError):
        adapter_for(Channel.API)
