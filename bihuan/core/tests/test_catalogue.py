"""Every app declares its event verbs; core renders them without knowing any domain app."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.utils import translation

from bihuan.core import catalogue
from bihuan.core.models import Event
from bihuan.testing.factories import make_ticket

PACKAGE = Path(__file__).resolve().parents[2]
# record_event("app.verb", …) or a verb chosen just before the call (verb = "app.verb").
RECORDED = re.compile(r"""(?:record_event\(\s*|verb = )"([a-z_]+\.[a-z_]+)\"""")
DOMAIN_IMPORT = re.compile(r"^\s*(?:from|import) bihuan\.(?!core\b)(\w+)", re.MULTILINE)


def _sources(folder: Path) -> list[Path]:
    return [
        path
        for path in folder.rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
    ]


def _recorded_verbs(folder: Path) -> set[str]:
    return {verb for path in _sources(folder) for verb in RECORDED.findall(path.read_text())}


@pytest.mark.parametrize(
    "label", sorted(c.label for c in apps.get_app_configs() if c.name.startswith("bihuan."))
)
def test_every_verb_an_app_records_is_declared_in_the_catalogue(label: str) -> None:
    config = apps.get_app_config(label)
    folder = Path(config.path)
    if not (folder / "events.py").exists():
        assert _recorded_verbs(folder) == set(), f"{label} records events but has no events.py"
        return

    undeclared = {v for v in _recorded_verbs(folder) if catalogue.declared(v) is None}

    assert undeclared == set()


def test_an_undeclared_verb_reads_as_words_in_both_languages() -> None:
    event = Event(verb="nowhere.happened", subject_type="nowhere.thing", subject_id=1, data={})

    with translation.override("en"):
        english = catalogue.describe(event)
    with translation.override("zh-hans"):
        chinese = catalogue.describe(event)

    assert "nowhere.happened" not in english
    assert "nowhere.happened" not in chinese
    assert english.startswith("recorded a change")


def test_a_declared_verb_reads_and_links_through_its_app() -> None:
    event = Event(verb="ticket.assigned_to_you", subject_type="tickets.ticket", subject_id=7)
    event.ticket_id = 7
    event.data = {}

    with translation.override("en"):
        text = catalogue.notification_text(event)

    assert text == "assigned a ticket to you"
    assert catalogue.link(event) == "/tickets/7/"


def test_core_imports_no_domain_app() -> None:
    imported = {
        app
        for path in _sources(PACKAGE / "core")
        for app in DOMAIN_IMPORT.findall(path.read_text())
    }

    assert imported <= {"celery"}  # the project's Celery app, not a domain


def test_the_audit_list_in_the_admin_reads_events_in_words(org: Any) -> None:
    make_ticket(team=org.presales)
    client = Client()
    client.force_login(org.admin)

    page = client.get("/admin/core/event/", headers={"Accept-Language": "en"})

    assert page.status_code == 200
    assert "opened the ticket" in page.content.decode()
