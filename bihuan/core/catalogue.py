"""The event catalogue: every app declares its verbs here, core knows none of them.

Each app lists its verbs in its own ``events.py`` (found at start-up, like ``admin.py``)::

    declare(
        Verb("ticket.assigned", describe=lambda e: _("assigned the ticket"),
             notifies=_("the new owner"), link=ticket_link),
    )

- ``describe(event)``: one translated line for the ticket timeline, audit views and
  notifications ("assigned the ticket to you" is the notification's own ``notification``);
- ``details(event)``: the lines shown under it in a timeline (the statement, the reason);
- ``notifies``: who is told (documentation shown in the admin);
- ``link(event)``: where a notification about the event leads.

A verb nobody declared is still shown in words (``describe`` falls back to a generic
sentence naming its app), never as a raw ``app.verb`` name; a test lists the undeclared ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.utils.functional import Promise
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _

from bihuan.core.models import Event

Text = Callable[[Event], str]


@dataclass(frozen=True)
class Verb:
    """How one event verb is shown, who hears of it, and where it leads."""

    name: str
    describe: Text
    details: Callable[[Event], list[str]] | None = None
    notification: Text | None = None
    link: Callable[[Event], str | None] | None = None
    notifies: str | Promise = ""


_verbs: dict[str, Verb] = {}


def declare(*verbs: Verb) -> None:
    """Add an app's verbs to the catalogue (called from the app's ``events.py``)."""
    for verb in verbs:
        existing = _verbs.get(verb.name)
        if existing is not None and existing != verb:
            raise ValueError(f"event verb {verb.name!r} is declared twice")
        _verbs[verb.name] = verb


def discover() -> None:
    """Import every installed app's ``events`` module (core's ``ready``)."""
    autodiscover_modules("events")


def declared(name: str) -> Verb | None:
    return _verbs.get(name)


def _app_name(verb_name: str) -> str:
    label = verb_name.split(".", 1)[0]
    try:
        return str(apps.get_app_config(label).verbose_name)
    except LookupError:
        return label


def describe(event: Event) -> str:
    """One translated line saying what happened."""
    verb = _verbs.get(event.verb)
    if verb is not None:
        return verb.describe(event)
    return _("recorded a change (%(app)s)") % {"app": _app_name(event.verb)}


def details(event: Event) -> list[str]:
    """The lines a timeline shows under the event's description (none by default)."""
    verb = _verbs.get(event.verb)
    if verb is None or verb.details is None:
        return []
    return [line for line in verb.details(event) if line]


def notification_text(event: Event) -> str:
    """What a notification about ``event`` says to its recipient."""
    verb = _verbs.get(event.verb)
    if verb is not None and verb.notification is not None:
        return verb.notification(event)
    return describe(event)


def link(event: Event) -> str | None:
    """Where a notification about ``event`` leads (None: nowhere in particular)."""
    verb = _verbs.get(event.verb)
    if verb is None or verb.link is None:
        return None
    return verb.link(event)
