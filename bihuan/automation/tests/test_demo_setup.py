"""The demo's automation: its rules, and open complaints at every stage of the playbook."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bihuan.accounts.models import Department, Team, User
from bihuan.automation.models import AutomationRule, Complaint
from bihuan.demo.automation_setup import RULE_NAMES, delete_automation_setup, set_up_automation
from bihuan.demo.conversation import Cast
from bihuan.demo.generate import load_demo
from bihuan.tickets.models import Ticket

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 16, 15, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_the_demo_has_rules_and_a_complaint_at_every_stage() -> None:
    with time_machine.travel(NOW, tick=False):
        load_demo(now=NOW)
        cast = Cast(
            users={u.username: u for u in User.objects.all()},
            departments={d.name: d for d in Department.objects.all()},
            teams={t.name: t for t in Team.objects.all()},
            categories={},
        )
        ticket_ids = list(Ticket.objects.values_list("pk", flat=True))

        # (the loader may already run it: then this call finds everything in place)
        set_up_automation(cast, ticket_ids)
        again = set_up_automation(cast, ticket_ids)

    assert again["automation rules"] == 0
    assert sorted(AutomationRule.objects.values_list("name", flat=True)) == sorted(RULE_NAMES)
    stages = set(Complaint.objects.values_list("stage", flat=True))
    assert stages == {"acceptance", "diagnosis", "plan", "execution", "review", "done"}
    assert Complaint.objects.filter(stage="review", progress_sent_at__isnull=False).exists()

    delete_automation_setup()

    assert AutomationRule.objects.count() == 0
