"""When will staff call back? Business hours come from ``park.yaml``."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ..knowledge.schema import Hours


def _working_day(hours: Hours, day) -> bool:
    return day.isoweekday() in hours.weekdays and day not in hours.holidays


def next_callback(hours: Hours, now: datetime) -> tuple[str, datetime]:
    """("today", now) inside business hours; otherwise ("later", the next opening time)."""
    local = now.astimezone(ZoneInfo(hours.timezone))
    if _working_day(hours, local.date()) and hours.open <= local.time() < hours.close:
        return "today", local
    day = local.date()
    if not (_working_day(hours, day) and local.time() < hours.open):
        day += timedelta(days=1)
        for _ in range(60):  # a long holiday list still ends
            if _working_day(hours, day):
                break
            day += timedelta(days=1)
    opening = datetime.combine(day, hours.open, tzinfo=local.tzinfo)
    return "later", opening
