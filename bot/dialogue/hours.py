"""When will staff call back? Business hours come from ``park.yaml``."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..knowledge.messages import Messages
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


def callback_phrase(messages: Messages, hours: Hours, now: datetime) -> str:
    """在今天 17:30 前 / 在11月27日(周五)09:00后: when the user can expect the call."""
    kind, when = next_callback(hours, now)
    if kind == "today":
        return messages.render("callback_today", close=hours.close.strftime("%H:%M"))
    weekday = messages.render("weekdays").split(",")[when.isoweekday() - 1]
    return messages.render("callback_later", month=when.month, day=when.day, weekday=weekday,
                           time=when.strftime("%H:%M"))


def working_deadline(hours: Hours, start: datetime, working_hours: float) -> datetime:
    """The moment ``working_hours`` of business hours have passed since ``start`` (nights,
    weekends and holidays do not count): when a lead still new is overdue."""
    zone = ZoneInfo(hours.timezone)
    cursor = start.astimezone(zone)
    remaining = timedelta(hours=working_hours)
    day = cursor.date()
    for _ in range(800):  # a long holiday list still ends
        if _working_day(hours, day):
            opening = datetime.combine(day, hours.open, tzinfo=zone)
            closing = datetime.combine(day, hours.close, tzinfo=zone)
            begin = max(cursor, opening)
            if begin < closing:
                if remaining <= closing - begin:
                    return begin + remaining
                remaining -= closing - begin
        day += timedelta(days=1)
        cursor = datetime.combine(day, time(0), tzinfo=zone)
    return cursor
