"""When staff will call back, from the business hours in park.yaml."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from bot.dialogue.hours import callback_phrase, next_callback
from bot.knowledge.loader import load_knowledge
from bot.knowledge.schema import Hours
from tests.conftest import KNOWLEDGE

SHANGHAI = timezone(timedelta(hours=8))
HOURS = Hours(text="工作日 9:00-17:30", weekdays=[1, 2, 3, 4, 5], open=time(9), close=time(17, 30),
              holidays=[date(2026, 11, 30)])


def at(y, m, d, hh, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.mark.parametrize("now, kind, when", [
    (at(2026, 11, 25, 10), "today", None),                  # Wednesday morning
    (at(2026, 11, 25, 8, 30), "later", at(2026, 11, 25, 9)),  # before opening: the same day
    (at(2026, 11, 25, 17, 30), "later", at(2026, 11, 26, 9)),  # closing time: tomorrow
    (at(2026, 11, 27, 20), "later", at(2026, 12, 1, 9)),     # Friday night; Monday 30th is a holiday
    (at(2026, 11, 28, 11), "later", at(2026, 12, 1, 9)),     # Saturday
])
def test_next_callback(now, kind, when):
    got_kind, got_when = next_callback(HOURS, now)
    assert got_kind == kind
    if when is not None:
        assert got_when == when


def test_next_callback_reads_the_hours_timezone_not_the_servers():
    utc_evening = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
    assert next_callback(HOURS, utc_evening)[0] == "today"


def test_callback_phrase_uses_the_sentences_of_messages_yaml():
    messages = load_knowledge(KNOWLEDGE).messages
    assert callback_phrase(messages, HOURS, at(2026, 11, 25, 10)) == messages.render("callback_today", close="17:30")
    assert callback_phrase(messages, HOURS, at(2026, 11, 27, 20)) == messages.render(
        "callback_later", month=12, day=1, weekday=messages.render("weekdays").split(",")[1], time="09:00")
