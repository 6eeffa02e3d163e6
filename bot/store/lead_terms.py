"""Words shared by the lead store, its searches and the funnel: the statuses, the funnel's stages and the
office's clock. Plain data, no Redis client: the list of sentences (bot/sentences.py) reads it too."""
from __future__ import annotations

from datetime import timedelta, timezone

STATUSES = ("new", "contacted", "closed")
STAGES = ("conversations", "searches", "forms_started", "forms_submitted", "handoffs")  # the funnel's
# China has had no daylight saving since 1991: a fixed offset needs no tz database.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
