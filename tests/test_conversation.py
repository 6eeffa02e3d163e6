"""The conversation end to end: through /wechat, wechatpy-built XML, real Redis, into leads and logs,
users at once. The conversation's logic alone is test_conversation_logic.py (on the engine in memory)."""
from __future__ import annotations

import re
import threading

import pytest

from tests.support.engine_clock import engine_later
from tests.support.wechat import Platform, location_xml, reply_text, text_xml

LEAD_NUMBER = re.compile(r"L\d{8}-\d{4}")
FULL = "我是海智源公司的王经理,想租2000平厂房做海洋生物,年税收300万左右,电话13912345678"


# --- welcome and menu ----------------------------------------------------------------------
# the webhook reads a menu CLICK event's key
def test_menu_click_routes_by_key(wechat, openid, kb, msg):
    search = next(i for i in kb.menu.items if i.action == "search")
    assert msg("search_ask") in wechat.event(openid, "CLICK", search.key)
    handoff = next(i for i in kb.menu.items if i.action == "handoff")
    assert kb.park.contacts.hotline in wechat.event(openid, "CLICK", handoff.key)


def test_out_of_scope_is_honest_and_logged(wechat, openid, kb, msg, app):
    text = wechat.say(openid, "明天会下雨吗")
    assert text == msg("not_sure", hotline=kb.park.contacts.hotline)
    wechat.say(openid, "明天会下雨吗")
    top = app.extensions["parkbot.unanswered"].top()
    assert top[0]["count"] == 2 and "下雨" in top[0]["text"]


# --- listing search --------------------------------------------------------------------------
def test_location_lists_the_nearest_listings(wechat, openid, kb):
    located = [x for x in kb.listings if x.location and x.available]
    target = located[0]
    text = reply_text(wechat.reply(wechat.post(location_xml(openid, target.location.lat, target.location.lng))))
    assert f"1. {target.title}（约0.0公里）" in text


# --- the lead form ---------------------------------------------------------------------------
def test_form_step_by_step_with_validation_skip_and_confirmation(wechat, openid, msg, leads):
    assert msg("ask_need") in wechat.say(openid, "登记")
    assert msg("ask_industry") in wechat.say(openid, "想租2000平厂房")
    assert msg("ask_tax") in wechat.say(openid, "跳过")
    assert msg("invalid_tax") in wechat.say(openid, "很多很多")
    assert msg("ask_company") in wechat.say(openid, "三百万")
    assert msg("ask_contact") in wechat.say(openid, "青岛海智源生命科技有限公司")
    text = wechat.say(openid, "王经理")
    assert msg("privacy_notice") in text and msg("ask_phone") in text
    assert msg("invalid_phone") in wechat.say(openid, "12345")
    skipped = wechat.say(openid, "跳过")  # a required field may be given later: the summary says it is missing
    assert msg("form_skipped_required", field=msg("field_phone")) in skipped
    assert msg("confirm_missing", fields=msg("field_phone")) in skipped and msg("confirm_footer") not in skipped
    summary = wechat.say(openid, "１３９ １２３４ ５６７８")
    assert msg("confirm_footer") in summary
    assert "13912345678" in summary and "约300万元" in summary and msg("field_skipped") in summary
    done = wechat.say(openid, "确认")
    number = LEAD_NUMBER.search(done).group(0)
    lead = leads.get(number)
    assert lead["fields"]["phone"] == "13912345678" and lead["fields"]["company"] == "青岛海智源生命科技有限公司"


def test_retried_confirm_creates_one_lead(wechat, openid, leads):
    wechat.say(openid, FULL)
    first = wechat.post(text_xml(openid, "确认", msg_id=99887766))
    again = wechat.post(text_xml(openid, "确认", msg_id=99887766))
    a, b = reply_text(wechat.reply(first)), reply_text(wechat.reply(again))
    assert a == b and LEAD_NUMBER.search(a)
    assert len([x for x in leads.list() if x.get("openid") == openid]) == 1


def test_idle_form_is_offered_again_and_dropped_after_ttl(wechat, openid, msg, app):
    engine = app.extensions["parkbot.engine"]
    wechat.say(openid, "登记")
    wechat.say(openid, "租1000平厂房")
    with engine_later(engine) as later:
        later(engine.resume_after + 60)
        text = wechat.say(openid, "你好")
        assert msg("form_resume_offer") in text
        text = wechat.say(openid, "继续")
        assert msg("form_resume") in text and msg("ask_industry") in text
        later(engine.resume_after + engine.form_ttl + 180)
        text = wechat.say(openid, "你好")
        assert msg("form_resume_offer") not in text
        assert app.extensions["parkbot.storage"].load(openid).form is None


def test_interest_after_a_listing_carries_it_into_the_lead(wechat, openid, msg, leads, kb):
    wechat.say(openid, "求租800平左右单层厂房")
    details = wechat.say(openid, "1")
    title = details.split("【", 1)[1].split("】", 1)[0]
    expected = [x.id for x in kb.listings if x.title == title]
    assert len(expected) == 1, title
    text = wechat.say(openid, "想了解这个")
    assert msg("ask_industry") in text
    wechat.say(openid, "跳过")
    wechat.say(openid, "跳过")
    wechat.say(openid, "跳过")
    wechat.say(openid, "李女士")
    summary = wechat.say(openid, "13700001111")
    assert title in summary
    number = LEAD_NUMBER.search(wechat.say(openid, "确认")).group(0)
    assert leads.get(number)["listings"] == expected


# --- handoff, privacy, users apart --------------------------------------------------------------
def test_handoff_gives_the_hotline_and_alerts_staff(wechat, openid, kb, leads):
    before = leads.stats()
    text = wechat.say(openid, "转人工")
    assert kb.park.contacts.hotline in text and kb.park.hours.text in text
    after = leads.stats()
    assert after["outbox_pending"] == before["outbox_pending"] + 1
    assert after["leads"] == before["leads"]


def test_forget_me_erases_session_and_lead_personal_fields(wechat, openid, storage, leads, msg):
    wechat.say(openid, FULL)
    number = LEAD_NUMBER.search(wechat.say(openid, "确认")).group(0)
    text = wechat.say(openid, "删除我的信息")
    assert text == msg("forgotten", leads=1)
    assert storage.load(openid).document() == {} and storage.transcript(openid) == []
    lead = leads.get(number)
    assert "13912345678" not in str(lead) and "王经理" not in str(lead)


def test_two_users_interleaved_never_see_each_others_data(app):
    a, b = Platform(app.test_client()), Platform(app.test_client())
    a.say("userA", "登记")
    b.say("userB", "登记")
    a.say("userA", "租2000平厂房")
    b.say("userB", "买20亩地")
    a_text = a.say("userA", "跳过")
    b_text = b.say("userB", "跳过")
    assert "2000" not in b_text and "亩" not in a_text
    for name, platform in (("userA", a), ("userB", b)):
        for answer in ("跳过", "跳过", "王总" if name == "userA" else "李总"):
            platform.say(name, answer)
    a_sum = a.say("userA", "13911112222")
    b_sum = b.say("userB", "13933334444")
    assert "13911112222" in a_sum and "13933334444" not in a_sum
    assert "13933334444" in b_sum and "13911112222" not in b_sum


def test_simultaneous_form_answers_do_not_lose_a_slot(app, openid):
    platform = Platform(app.test_client())
    platform.say(openid, "登记")
    barrier = threading.Barrier(2)

    def send(text):
        p = Platform(app.test_client())
        barrier.wait()
        p.post(text_xml(openid, text))

    threads = [threading.Thread(target=send, args=(t,)) for t in ("租2000平厂房", "公司是蓝海科技有限公司")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    slots = app.extensions["parkbot.storage"].load(openid).form.slots
    assert "need" in slots and slots.get("company") == "蓝海科技有限公司"


def test_form_words_without_a_form_say_how_to_start(wechat, openid, msg, app):
    for word in ("确认", "跳过", "重新开始"):
        assert wechat.say(openid, word) == msg("no_form")
    assert app.extensions["parkbot.unanswered"].top() == []


def test_funnel_counts_each_stage_once_per_event(wechat, openid, app):
    funnel = app.extensions["parkbot.funnel"]
    before = funnel.counts()["total"]
    wechat.say(openid, "求租800平左右单层厂房")
    wechat.say(openid, "你好")
    wechat.say(openid, FULL)
    wechat.say(openid, "确认")
    wechat.say(openid, "人工")
    after = funnel.counts()["total"]
    gained = {stage: after[stage] - before[stage] for stage in after}
    assert gained == {"conversations": 1, "searches": 1, "forms_started": 1, "forms_submitted": 1, "handoffs": 1}


@pytest.mark.parametrize("word, key", [("谢谢", "thanks"), ("再见", "bye"), ("你是谁", "identity")])
def test_small_talk_gets_a_courtesy_not_a_not_sure(wechat, openid, kb, msg, word, key, app):
    assert wechat.say(openid, word) == msg(key, hotline=kb.park.contacts.hotline, park=kb.park.name)
    assert app.extensions["parkbot.unanswered"].top() == []


