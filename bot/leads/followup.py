"""Follow-up discipline: a lead still 新 after ``hours.follow_up_hours`` working hours is overdue.

Run by the notification worker every minute: each overdue lead gets ONE reminder to the staff
group, queued on the outbox like a lead (so it is retried, never doubled), and the admin page
marks it overdue. Working hours and the limit come from ``park.yaml``.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import Callable

from bot.dialogue.hours import working_deadline
from bot.knowledge.schema import Hours
from bot.store.lead_desk import LeadDesk
from bot.store.leads import LeadStore

log = logging.getLogger(__name__)
EVERY = 60.0  # seconds between looks


def deadline(hours: Hours, created: float) -> float:
    start = datetime.fromtimestamp(created, timezone.utc)
    return working_deadline(hours, start, hours.follow_up_hours).timestamp()


def is_overdue(lead: dict, hours: Hours, now: float) -> bool:
    return lead.get("status") == "new" and bool(lead.get("created")) and now >= deadline(hours, lead["created"])


class FollowUp:
    def __init__(self, store: LeadStore, hours: Callable[[], Hours], *, now: Callable[[], float] = time.time):
        self.store, self.hours, self.now = store, hours, now
        self.desk = LeadDesk(store.r, store.keys, now=now)

    def run_once(self) -> list[str]:
        """Queue a reminder for every lead that just became overdue; returns their numbers."""
        hours, now = self.hours(), self.now()
        # working hours never run faster than the clock: anything newer than this cannot be due
        newest = now - hours.follow_up_hours * 3600
        queued = []
        for number, created in self.store.new_created_before(newest):
            if now >= deadline(hours, created) and self.desk.remind(number):
                queued.append(number)
        if queued:
            log.info("follow-up reminders queued for %s", ", ".join(queued))
        return queued
