"""The triage domain's event verbs (rules, routing rules, models)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from bihuan.core.catalogue import Verb, declare
from bihuan.core.models import Event


def _field(event: Event) -> str:
    return str(event.get("field", ""))


declare(
    Verb(
        "triage.rule_created",
        describe=lambda e: _("created the triage rule “%(name)s”") % {"name": e.get("name", "")},
    ),
    Verb(
        "triage.rule_changed",
        describe=lambda e: _("changed the triage rule “%(name)s”") % {"name": e.get("name", "")},
    ),
    Verb(
        "routing.rule_created",
        describe=lambda e: _("created the routing rule “%(name)s”") % {"name": e.get("name", "")},
    ),
    Verb(
        "routing.rule_changed",
        describe=lambda e: _("changed the routing rule “%(name)s”") % {"name": e.get("name", "")},
    ),
    Verb(
        "triage.model_trained",
        describe=lambda e: _("trained a new model for %(field)s") % {"field": _field(e)},
    ),
    Verb(
        "triage.model_rolled_back",
        describe=lambda e: _("rolled the model for %(field)s back") % {"field": _field(e)},
    ),
)
