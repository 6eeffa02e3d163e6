"""Every documented Official Account message and event gets the policy WeChat expects.

Silent ones are answered ``success`` and leave no trace: no funnel count, no transcript line,
the conversation state (and its form timers) byte for byte as it was, no lock or retry key.
"""
from __future__ import annotations

import json
import re
import time

import pytest

from bot.web.wxevents import EVENTS, MESSAGES, policy_for
from bot.web.wxmsg import parse, policy, to_incoming
from tests.support.wechat import reply_text, text_xml
from tests.support.wechat_catalogue import CATALOGUE, names, xml_for


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_each_documented_message_has_its_policy(name, openid):
    message = parse(xml_for(name, openid))
    assert policy(message).action == CATALOGUE[name][2]


def test_the_catalogue_covers_the_policy_table():
    """Every row of the policy table is exercised by a documented sample (no untested rows)."""
    sent = set()
    for name in CATALOGUE:
        msg_type, body, _ = CATALOGUE[name]
        fields = parse(xml_for(name, "o-x")).parkbot_fields
        sent.add(("event", fields["Event"].lower()) if msg_type == "event" else ("msg", msg_type))
        if msg_type == "device_event":
            sent.add(("event", fields["Event"].lower()))
    table = {("event", e) for e in EVENTS} | {("msg", m) for m in MESSAGES}
    untested = table - sent - {("msg", "file"), ("msg", "miniprogrampage"), ("msg", "device_event"),
                               ("msg", "device_status"), ("event", "device_text"), ("event", "shakearoundlotterybind")}
    assert not untested


def test_subscribe_message_events_are_never_a_follow(openid):
    for name in ("subscribe_msg_popup_event", "subscribe_msg_change_event", "subscribe_msg_sent_event"):
        assert policy_for("event", name).action == "silent"
        assert to_incoming(parse(xml_for(name, openid))).event != "subscribe"


def test_customer_service_sessions_name_takeover_and_release():
    assert policy_for("event", "kf_create_session").effect == "takeover"
    assert policy_for("event", "kf_close_session").effect == "release"
    assert policy_for("event", "kf_switch_session").effect == ""


def test_unknown_events_are_silent_and_unknown_message_types_are_answered():
    assert policy_for("event", "brand_new_event").action == "silent"
    assert policy_for("device_whatever").action == "silent"
    assert policy_for("hologram").action == "reply"


def _user_keys(redis_client, keys, openid) -> dict:
    out = {}
    for key in sorted(redis_client.scan_iter(match=f"{keys.prefix}:{{{openid}}}:*", count=500)):
        kind = redis_client.type(key)
        out[key] = redis_client.get(key) if kind == "string" else (
            redis_client.lrange(key, 0, -1) if kind == "list" else redis_client.hgetall(key))
    return out


@pytest.fixture
def mid_form(wechat, openid, app, redis_client, keys):
    """A user half-way through the form, paused long enough that the next message offers 继续吗."""
    wechat.say(openid, "登记")
    storage = app.extensions["parkbot.storage"]
    state = storage.load(openid)
    state.form.updated = time.time() - 2 * 3600
    storage.save(openid, state)
    return state


@pytest.mark.parametrize("encrypt", [False, True], ids=["plaintext", "safe mode"])
def test_silent_events_leave_no_trace(wechat, openid, app, redis_client, keys, mid_form, encrypt):
    funnel = app.extensions["parkbot.funnel"]
    before_counts = funnel.counts()["total"]
    before = _user_keys(redis_client, keys, openid)
    # unsubscribe erases, and WeChat's customer-service sessions mark a takeover (tests/test_takeover.py)
    silent = [n for n in names("silent") if n not in ("unsubscribe", "kf_create_session", "kf_close_session")]
    assert len(silent) > 50
    for name in silent:
        resp = wechat.post(xml_for(name, openid), encrypt=encrypt)
        assert resp.status_code == 200, name
        assert resp.get_data(as_text=True) == "success", name
    after = _user_keys(redis_client, keys, openid)
    location_key = keys.location(openid)
    assert {k: v for k, v in after.items() if k != location_key} == before  # state, transcript, no lock
    assert location_key in after  # the one silent bookkeeping: the reported location
    assert funnel.counts()["total"] == before_counts
    # the paused form still gets its 继续吗 from the user's next message: its timers were not touched
    messages = app.extensions["parkbot.knowledge"].current().messages
    assert messages.render("form_resume_offer") in wechat.say(openid, "你好")


@pytest.mark.parametrize("encrypt", [False, True], ids=["plaintext", "safe mode"])
def test_messages_the_bot_cannot_read_get_a_polite_text(wechat, openid, app, encrypt):
    expected = app.extensions["parkbot.knowledge"].current().messages.render("unsupported")
    for name in names("reply"):
        data = wechat.reply(wechat.post(xml_for(name, openid), encrypt=encrypt), encrypted=encrypt)
        assert data["Content"] == expected, name


@pytest.mark.parametrize("encrypt", [False, True], ids=["plaintext", "safe mode"])
def test_routed_messages_are_answered_and_counted(wechat, openid, app, encrypt):
    funnel = app.extensions["parkbot.funnel"]
    for name in names("route"):
        data = wechat.reply(wechat.post(xml_for(name, openid), encrypt=encrypt), encrypted=encrypt)
        assert reply_text(data), name
    assert funnel.counts()["total"]["conversations"] >= 1
    said = [turn["text"] for turn in app.extensions["parkbot.storage"].transcript(openid, 30) if turn["who"] == "user"]
    assert "你好" in said and len(said) == len(names("route"))


def test_a_follow_in_the_middle_of_reports_is_still_a_follow(wechat, openid, app):
    welcome = app.extensions["parkbot.knowledge"].current().messages.render("menu_header")
    assert wechat.post(xml_for("subscribe_msg_popup_event", openid)).get_data(as_text=True) == "success"
    assert welcome in reply_text(wechat.reply(wechat.post(xml_for("subscribe", openid))))


def test_unsubscribe_erases_everything_kept_about_the_user(wechat, openid, app, redis_client, keys):
    wechat.say(openid, "登记")
    wechat.post(xml_for("LOCATION", openid))
    wechat.post(xml_for("subscribe via QR code", openid))
    assert _user_keys(redis_client, keys, openid)
    assert wechat.post(xml_for("unsubscribe", openid)).get_data(as_text=True) == "success"
    left = _user_keys(redis_client, keys, openid)
    # only the replies kept for WeChat's retries remain, and they expire within the retry window
    assert all(":dedup:" in key for key in left), sorted(left)
    assert all(0 < redis_client.ttl(key) <= app.config["DEDUP_TTL"] for key in left)


def test_location_report_is_kept_with_its_time(wechat, openid, app):
    profile = app.extensions["parkbot.profile"]
    assert profile.last_location(openid) is None
    before = time.time()
    wechat.post(xml_for("LOCATION", openid))
    where = profile.last_location(openid)
    assert (where["lat"], where["lng"]) == (36.30, 120.30) and before - 1 <= where["at"] <= time.time() + 1


def test_a_report_with_bad_coordinates_is_ignored(wechat, openid, app):
    from tests.support.wechat_catalogue import envelope

    body = "<Event><![CDATA[LOCATION]]></Event><Latitude>north</Latitude><Longitude>999</Longitude>"
    resp = wechat.post(envelope(openid, "event", body))
    assert resp.get_data(as_text=True) == "success"
    assert app.extensions["parkbot.profile"].last_location(openid) is None


def test_nearby_uses_the_reported_location(wechat, openid, app):
    kb = app.extensions["parkbot.knowledge"].current()
    asked = wechat.say(openid, "附近有厂房吗")
    assert kb.messages.render("nearby_ask_location", radius="50") == asked
    wechat.post(xml_for("LOCATION", openid))
    text = wechat.say(openid, "附近有厂房吗")
    assert "公里" in text and "1." in text
    factories = {x.title for x in kb.listings if x.type == "factory"}
    listed = [re.split("[(" + chr(0xFF08) + "]约", line.split(". ", 1)[1])[0]
              for line in text.splitlines() if line[:2] in ("1.", "2.", "3.")]
    assert listed and all(title in factories for title in listed)


def test_forget_me_erases_the_reported_location(wechat, openid, app):
    profile = app.extensions["parkbot.profile"]
    wechat.post(xml_for("LOCATION", openid))
    assert profile.last_location(openid) is not None
    wechat.say(openid, "删除我的信息")
    assert profile.last_location(openid) is None


def test_a_location_far_away_gets_an_honest_answer(wechat, openid, app):
    from tests.support.wechat import location_xml

    kb = app.extensions["parkbot.knowledge"].current()
    text = reply_text(wechat.reply(wechat.post(location_xml(openid, 23.13, 113.26))))  # Guangzhou, ~1500 km
    assert kb.park.address in text and all(p.name in text for p in kb.parks)
    assert "50 公里内" in text and not any(x.title in text for x in kb.listings)
    km = int(text.split("约 ")[1].split(" 公里")[0].replace(",", ""))
    assert 1300 < km < 1800


def _titles(page: str) -> list[str]:
    return [re.split("[(" + chr(0xFF08) + "]约", line.split(". ", 1)[1])[0]
            for line in page.splitlines() if line[:2] in ("1.", "2.", "3.")]


def test_more_pages_location_results(wechat, openid, app):
    from tests.support.wechat import location_xml

    kb = app.extensions["parkbot.knowledge"].current()
    located = [x for x in kb.listings if x.location is not None and x.available]
    assert len(located) > 6
    pages = [reply_text(wechat.reply(wechat.post(location_xml(openid, 36.30, 120.30))))]
    pages.append(wechat.say(openid, "更多"))
    # a digit picks from the page just shown
    assert _titles(pages[1])[0] in wechat.say(openid, "1")
    for _ in range(len(located) // 3):
        pages.append(wechat.say(openid, "更多"))
    shown = [title for page in pages for title in _titles(page)]
    assert sorted(shown) == sorted(x.title for x in located)  # each once, none left out
    assert all("公里" in page for page in pages if _titles(page))
    assert kb.messages.render("search_no_more") in pages[-1]


def test_state_json_unchanged_by_location_reports(wechat, openid, app):
    storage = app.extensions["parkbot.storage"]
    wechat.say(openid, "找厂房")
    before = json.dumps(storage.load(openid).document(), sort_keys=True)
    for _ in range(20):
        wechat.post(xml_for("LOCATION", openid))
    assert json.dumps(storage.load(openid).document(), sort_keys=True) == before
    said = [turn["text"] for turn in storage.transcript(openid, 30) if turn["who"] == "user"]
    assert said == ["找厂房"]


def test_a_location_the_user_sent_is_what_nearby_means_next(wechat, openid, app):
    from tests.support.wechat import location_xml

    wechat.post(location_xml(openid, 36.39, 120.45))
    where = app.extensions["parkbot.profile"].last_location(openid)
    assert (where["lat"], where["lng"]) == (36.39, 120.45)
    text = wechat.say(openid, "附近有厂房吗")
    assert "即墨" in _titles(text)[0]
