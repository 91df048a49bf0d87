"""The instant the demo tests load the demo at, and the organisation it saved."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bihuan.accounts.models import Department, Team, User
from bihuan.demo.conversation import Cast
from bihuan.demo.material import organisation as org

NOW = datetime(2025, 6, 16, 15, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def demo_cast() -> Cast:
    """The demo organisation as ``load_demo`` saved it."""
    return Cast(
        users={
            u.username: u for u in User.objects.filter(username__in=[m.username for m in org.STAFF])
        },
        departments={d.name: d for d in Department.objects.filter(name__in=org.DEPARTMENTS)},
        teams={t.name: t for t in Team.objects.filter(name__in=list(org.TEAMS))},
        categories={},
    )
