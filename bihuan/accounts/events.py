"""The accounts domain's event verbs (tokens, skills, availability, passwords)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bihuan.core.catalogue import Verb, declare

declare(
    Verb("token.created", describe=lambda e: _("created an API token")),
    Verb("token.revoked", describe=lambda e: _("revoked an API token")),
    Verb("skill.created", describe=lambda e: _("created a skill")),
    Verb("agent.availability_changed", describe=lambda e: _("changed the availability")),
    Verb("agent.skills_changed", describe=lambda e: _("changed an agent's skills")),
    Verb("queue.configured", describe=lambda e: _("changed how a queue assigns tickets")),
    Verb("account.password_changed", describe=lambda e: _("changed the password")),
    Verb(
        "account.locked",
        describe=lambda e: _("sign-in was locked after repeated failures"),
        notification=lambda e: (
            _(
                "Sign-in to your account was locked after repeated failed attempts (the last "
                "from %(address)s). If that was not you, tell an administrator."
            )
            % {"address": e.get("address") or "—"}
        ),
        notifies=gettext_lazy("the account's owner"),
    ),
)
