"""Lead numbers and the funnel's day counters count days as Shanghai does, on each side of its midnight."""
from __future__ import annotations

from datetime import datetime, timezone

from bot.store.leads import shanghai_day


def test_the_day_turns_at_midnight_in_shanghai():
    midnight = datetime(2026, 11, 29, 16, 0, tzinfo=timezone.utc).timestamp()  # 00:00 on the 30th there
    assert shanghai_day(midnight - 0.001) == "20261129"
    assert shanghai_day(midnight) == "20261130"
    assert shanghai_day(midnight + 86400 - 0.001) == "20261130"
    assert shanghai_day(midnight - 3600 * 7.5) == "20261129"
