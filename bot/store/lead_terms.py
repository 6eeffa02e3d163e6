"""Words shared by the lead store and its searches: the statuses and the office's clock."""
from __future__ import annotations

from datetime import timedelta, timezone

STATUSES = ("new", "contacted", "closed")
# China has had no daylight saving since 1991: a fixed offset needs no tz database.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
