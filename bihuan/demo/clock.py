"""When things happen in the demo: contact volume by day and hour, and working hours.

Times are chosen in the configured local time zone (Asia/Shanghai by default): customers
write mostly in the day and the evening, more on weekdays, with a promotion bump; agents
answer between 08:30 and 22:00 every day; the other departments work 09:00–18:00 on weekdays.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

WINDOW_DAYS = 90
PROMOTION_DAYS_AGO = 38  # the promotion day; the week after it has more order problems
PROMOTION_LENGTH = 8

# Relative contact volume by local hour (0–23) and by weekday (Monday first).
HOUR_WEIGHTS = (
    1.0, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 2.0, 4.0, 7.0, 9.0, 9.0,
    7.0, 6.0, 8.0, 9.0, 8.0, 7.0, 6.0, 6.0, 7.0, 7.0, 5.0, 3.0,
)  # fmt: skip
WEEKDAY_WEIGHTS = (1.15, 1.1, 1.05, 1.0, 1.0, 0.7, 0.6)

AGENT_HOURS = (time(8, 30), time(22, 0))
DEPARTMENT_HOURS = (time(9, 0), time(18, 0))
CUSTOMER_HOURS = (time(7, 30), time(23, 30))


class Clock:
    """Local-time arithmetic for one demo load, anchored at ``now``."""

    def __init__(self, now: datetime, zone: ZoneInfo) -> None:
        self.now = now
        self.zone = zone
        self.today = now.astimezone(zone).date()
        self.promotion_start = self.today - timedelta(days=PROMOTION_DAYS_AGO)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def at(self, day_offset: int, hour: int, minute: int = 0) -> datetime:
        """Local ``hour:minute`` on the day ``day_offset`` days before today."""
        day = self.today - timedelta(days=day_offset)
        return datetime.combine(day, time(hour, minute), tzinfo=self.zone)

    def is_promotion(self, moment: datetime) -> bool:
        days = (self.local(moment).date() - self.promotion_start).days
        return 0 <= days < PROMOTION_LENGTH

    def contact_times(self, rng: random.Random, count: int) -> list[datetime]:
        """``count`` past moments at which customers opened tickets, sorted."""
        latest = self.now - timedelta(minutes=5)
        slots: list[datetime] = []
        weights: list[float] = []
        for offset in range(WINDOW_DAYS - 1, -1, -1):
            growth = 0.85 + 0.3 * (1 - offset / WINDOW_DAYS)  # the shop grows a little
            for hour in range(24):
                start = self.at(offset, hour)
                if start >= latest:
                    continue
                weight = HOUR_WEIGHTS[hour] * WEEKDAY_WEIGHTS[start.weekday()] * growth
                if self.is_promotion(start):
                    weight *= 1.6
                slots.append(start)
                weights.append(weight)
        moments = []
        for start in rng.choices(slots, weights=weights, k=count):
            moment = start + timedelta(seconds=rng.randrange(3600))
            moments.append(min(moment, latest - timedelta(seconds=rng.randrange(600))))
        return sorted(moments)

    def shift(self, who: str, moment: datetime, rng: random.Random) -> datetime:
        """The first moment at or after ``moment`` when ``who`` is at work (or awake)."""
        if who == "agent":
            return self._within(moment, AGENT_HOURS, weekdays_only=False, rng=rng)
        if who == "department":
            return self._within(moment, DEPARTMENT_HOURS, weekdays_only=True, rng=rng)
        if who == "customer":
            return self._within(moment, CUSTOMER_HOURS, weekdays_only=False, rng=rng)
        return moment

    def _within(
        self,
        moment: datetime,
        hours: tuple[time, time],
        *,
        weekdays_only: bool,
        rng: random.Random,
    ) -> datetime:
        local = self.local(moment)
        opening, closing = hours
        for _ in range(8):
            if weekdays_only and local.weekday() >= 5:
                local = datetime.combine(local.date() + timedelta(days=1), opening, local.tzinfo)
                continue
            if local.time() < opening:
                local = datetime.combine(local.date(), opening, local.tzinfo)
            elif local.time() >= closing:
                local = datetime.combine(local.date() + timedelta(days=1), opening, local.tzinfo)
                continue
            break
        else:
            return moment
        if local != self.local(moment):
            local += timedelta(minutes=rng.uniform(1, 45))  # the morning queue
        return local

    def due_text(self, moment: datetime) -> str:
        """How a due time reads in a message: 3月15日18:00."""
        local = self.local(moment)
        return f"{local.month}月{local.day}日{local.hour:02d}:{local.minute:02d}"

    def day_text(self, moment: datetime) -> str:
        local = self.local(moment)
        return f"{local.month}月{local.day}日"
