"""Follow-up discipline (one reminder for a lead still 新 after N working hours) and repeat
inquiries (防撞单), on real Redis, delivered by the real worker to a real local HTTP robot."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.dialogue.hours import working_deadline
from bot.knowledge.loader import load_knowledge
from bot.knowledge.schema import Hours
from bot.leads.channels.wecom import WeComChannel
from bot.leads.followup import FollowUp, deadline, is_overdue
from bot.leads.worker import Worker
from bot.store.lead_desk import LeadDesk
from bot.store.lead_repeat import company_key, find_repeat, phone_key
from tests.conftest import KNOWLEDGE
from tests.support.capture_server import server  # noqa: F401  (fixture)
from tests.support.redis import clock, leads_redis, leads_redis_dir, store  # noqa: F401  (fixtures)
from tests.support.staff import FIELDS, TRANSCRIPT, messages

SH = ZoneInfo("Asia/Shanghai")
HOURS = Hours(text="工作日 9:00-17:30", follow_up_hours=4, holidays=["2026-11-20"])


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.mark.parametrize("start, expected", [
    (at(2026, 11, 18, 10, 0), at(2026, 11, 18, 14, 0)),   # inside the day
    (at(2026, 11, 18, 15, 0), at(2026, 11, 19, 10, 30)),  # 2.5 h today, 1.5 h tomorrow
    (at(2026, 11, 18, 19, 6), at(2026, 11, 19, 13, 0)),   # an evening lead counts from the next opening
    (at(2026, 11, 19, 16, 0), at(2026, 11, 23, 11, 30)),  # Friday is a holiday, then the weekend
    (at(2026, 11, 21, 11, 0), at(2026, 11, 23, 13, 0)),   # Saturday
    (at(2026, 11, 18, 7, 0), at(2026, 11, 18, 13, 0)),    # before opening
])
def test_working_deadline_skips_nights_weekends_and_holidays(start, expected):
    assert working_deadline(HOURS, start.astimezone(timezone.utc), 4) == expected


def test_follow_up_hours_come_from_park_yaml():
    hours = load_knowledge(KNOWLEDGE).park.hours
    assert hours.follow_up_hours > 0


def submit(store, form_id, **fields):
    return store.submit(form_id=form_id, openid=f"o-{form_id}", fields={**FIELDS, **fields}, listings=[],
                        transcript=TRANSCRIPT, source="wechat")


def test_one_reminder_for_a_lead_still_new_and_none_for_a_contacted_one(store, leads_redis, clock, server):
    clock.t = at(2026, 11, 18, 19, 6).timestamp()
    late = submit(store, "late")
    handled = submit(store, "handled", phone="13700000001", company="另一家")
    LeadDesk(leads_redis.client, leads_redis.keys, now=clock).change(handled, who="李娜", status="contacted")
    follow = FollowUp(store, lambda: HOURS, now=clock)
    clock.t = at(2026, 11, 19, 12, 59).timestamp()
    assert follow.run_once() == [] and not is_overdue(store.get(late), HOURS, clock.t)
    clock.t = at(2026, 11, 19, 13, 0).timestamp()
    assert follow.run_once() == [late] and is_overdue(store.get(late), HOURS, clock.t)
    clock.advance(3600)
    assert follow.run_once() == []  # once, however often it looks
    assert store.get(late)["reminded_at"] == at(2026, 11, 19, 13, 0).timestamp()

    channel = WeComChannel(f"{server.url}/cgi-bin/webhook/send?key=k", messages, timeout=2.0)
    worker = Worker(leads_redis.client, leads_redis.keys, [channel], now=clock)
    worker.run_once()
    contents = [r.json["markdown"]["content"] for r in server.ok_requests()]
    reminders = [c for c in contents if "超时未跟进" in c]
    assert len(reminders) == 1 and late in reminders[0] and "跟进人" in reminders[0] and "未分配" in reminders[0]
    assert not any(handled in c and "超时" in c for c in contents)
    worker.run_once()
    assert len([r for r in server.ok_requests() if "超时未跟进" in r.json["markdown"]["content"]]) == 1


def test_the_worker_looks_for_overdue_leads_by_itself(store, leads_redis, clock):
    import threading

    clock.t = at(2026, 11, 18, 10, 0).timestamp()
    number = submit(store, "x")
    clock.t = at(2026, 11, 18, 15, 0).timestamp()
    worker = Worker(leads_redis.client, leads_redis.keys, [], now=clock,
                    periodic=FollowUp(store, lambda: HOURS, now=clock).run_once, periodic_every=0.05)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(stop, 0.02), daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if store.get(number)["reminded_at"]:
                break
            stop.wait(0.02)
    finally:
        stop.set()
        thread.join(5)
    assert store.get(number)["reminded_at"]
    kinds = [f.get("kind") for _, f in leads_redis.client.xrange(leads_redis.keys.outbox())]
    assert kinds.count("reminder") == 1


# --- repeat inquiries ---------------------------------------------------------------------
@pytest.mark.parametrize("a, b", [("海智源生物有限公司", "海智源生物公司"), ("ＡＢＣ科技", "abc科技"), ("青岛 蓝海 集团", "青岛蓝海")])
def test_company_keys_match_the_same_company(a, b):
    assert company_key(a) == company_key(b) != ""


def test_phone_keys_ignore_spacing_and_width():
    assert phone_key("139 1234 5678") == phone_key("１３９１２３４５６７８") == "13912345678"
    assert phone_key("") == phone_key("12") == ""
    assert company_key("公司") == ""  # a bare suffix matches nobody


def test_a_repeat_by_phone_or_company_within_90_days_is_linked(store, leads_redis, clock):
    first = submit(store, "f1", phone="13912345678", company="海智源生物有限公司")
    LeadDesk(leads_redis.client, leads_redis.keys, now=clock).change(first, who="李娜", assignee="李娜")
    clock.advance(86400)
    by_phone = submit(store, "f2", phone="139 1234 5678", company="别的公司")
    by_company = submit(store, "f3", phone="13700000000", company="海智源生物公司")
    stranger = submit(store, "f4", phone="13600000000", company="毫不相干")
    assert store.get(by_phone)["repeat_of"] == first
    assert store.get(by_company)["repeat_of"] in (first, by_phone)
    assert store.get(stranger)["repeat_of"] == "" and store.get(first)["repeat_of"] == ""
    clock.advance(91 * 86400)
    late = submit(store, "f5", phone="13600000000", company="x")
    assert store.get(late)["repeat_of"] == ""  # the earlier one is older than 90 days
    assert find_repeat(store, "", "", clock()) is None


def test_the_staff_alert_says_repeat_with_the_earlier_number_and_assignee(store, leads_redis, clock, server):
    first = submit(store, "f1")
    LeadDesk(leads_redis.client, leads_redis.keys, now=clock).change(first, who="李娜", assignee="李娜")
    again = submit(store, "f2")
    channel = WeComChannel(f"{server.url}/cgi-bin/webhook/send?key=k", messages, timeout=2.0)
    Worker(leads_redis.client, leads_redis.keys, [channel], now=clock).run_once()
    content = next(r.json["markdown"]["content"] for r in server.ok_requests() if again in r.json["markdown"]["content"].split("\n")[0])
    assert f"重复咨询,上次 {first},跟进人 李娜" in content
    first_alert = next(r.json["markdown"]["content"] for r in server.ok_requests()
                       if first in r.json["markdown"]["content"].split("\n")[0])
    assert "重复咨询" not in first_alert


def test_repeat_flag_on_the_lead_page_links_the_earlier_lead(app_config, redis_client):
    from bot import create_app
    from tests.test_admin import BEARER, TOKEN, login

    app = create_app({**app_config, "ADMIN_TOKEN": TOKEN})
    leads = app.extensions["parkbot.leads"]
    first = submit(leads, "f1")
    again = submit(leads, "f2")
    web = app.test_client()
    assert web.get(f"/admin/api/leads/{again}", headers=BEARER).json["repeat_of"] == first
    assert web.get(f"/admin/api/leads/{first}", headers=BEARER).json["repeat_of"] is None
    login(web)
    page = web.get(f"/admin/leads/{again}").get_data(as_text=True)
    assert f'<a href="/admin/leads/{first}" id="repeat-link">{first}</a>' in page and "重复咨询" in page
