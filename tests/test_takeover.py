"""Staff takeover on real Redis, with WeChat played by signed requests and its API by a local stand-in.

A user asks for 人工; staff take the conversation over on the admin API; the bot goes silent
(``success``) while the user's messages are kept; staff replies reach the user through
``message/custom/send``; release or the idle limit hands back with one line; WeChat's own
customer-service events mark the same; the web chat follows; erasing a user erases it all.
"""
from __future__ import annotations

import json
import time

import pytest

from bot import create_app
from bot.leads.render import Notice, wecom_markdown
from bot.leads.worker import Worker
from bot.leads.channels.wecom import WeComChannel
from tests.support.capture_server import CaptureServer
from tests.support.staff import messages as shipped_messages
from tests.support.wechat import Platform
from tests.support.wechat_api import WeChatStandIn, wechat_api  # noqa: F401  (fixture)

TOKEN = "takeover-admin-token-01"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def desk_app(app_config, redis_client, wechat_api):
    return create_app({**app_config, "ADMIN_TOKEN": TOKEN, "WECHAT_APP_SECRET": "secret-for-tests",
                       "WECHAT_API_BASE_URL": wechat_api.url, "ADMIN_BASE_URL": "https://bot.example.com/admin"})


@pytest.fixture
def web(desk_app):
    return desk_app.test_client()


@pytest.fixture
def wx(web):
    return Platform(web)


@pytest.fixture
def msg(desk_app):
    return desk_app.extensions["parkbot.knowledge"].current().messages.render


def body_of(web, wx, openid, text):
    """The raw HTTP body WeChat gets for a text message ("success" = no passive reply)."""
    from tests.support.wechat import text_xml

    response = wx.post(text_xml(openid, text))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def state(web, openid):
    return web.get(f"/admin/api/conversations/{openid}", headers=BEARER).get_json()


def take(web, openid):
    return web.post(f"/admin/api/conversations/{openid}/takeover", headers=BEARER)


def age_transcript(desk_app, openid, seconds):
    """Move every line of the user's transcript ``seconds`` into the past."""
    storage = desk_app.extensions["parkbot.storage"]
    key = storage.keys.transcript(openid)
    lines = [json.loads(x) for x in storage.r.lrange(key, 0, -1)]
    storage.r.delete(key)
    storage.r.rpush(key, *[json.dumps({**x, "t": x["t"] - seconds}, ensure_ascii=False) for x in lines])


# --- the whole path --------------------------------------------------------------------------------
def test_takeover_silences_the_bot_and_staff_replies_reach_the_user(web, wx, openid, wechat_api, msg, desk_app):
    wx.say(openid, "你好")
    asked = wx.say(openid, "转人工")
    assert "400 0123 021" in asked
    items = web.get("/admin/api/handoffs", headers=BEARER).get_json()["items"]
    mine = [i for i in items if i["openid"] == openid]
    assert mine and mine[0]["state"] == "waiting" and mine[0]["since"] and mine[0]["last"]["who"] == "bot"

    response = take(web, openid)
    assert response.status_code == 200 and response.get_json()["state"] == "taken"
    assert wechat_api.sent == [(openid, msg("takeover_notice"))]
    assert take(web, openid).status_code == 200 and len(wechat_api.sent) == 1  # taking twice tells once

    for text in ("我想租厂房", "在吗?"):
        assert body_of(web, wx, openid, text) == "success"
    conversation = state(web, openid)
    assert conversation["state"] == "taken"
    assert [(x["who"], x["text"]) for x in conversation["transcript"][-3:]] == [
        ("bot", msg("takeover_notice")), ("user", "我想租厂房"), ("user", "在吗?")]
    assert conversation["transcript"][0]["text"] == "你好"  # the whole transcript, from the first line

    sent = web.post(f"/admin/api/conversations/{openid}/messages", headers=BEARER, json={"text": "您好,我是招商部小王。"})
    assert sent.status_code == 200, sent.get_json()
    assert wechat_api.sent[-1] == (openid, "您好,我是招商部小王。")
    assert state(web, openid)["transcript"][-1]["who"] == "staff"
    assert wechat_api.token_requests() == 1  # one token, shared

    released = web.post(f"/admin/api/conversations/{openid}/release", headers=BEARER)
    assert released.status_code == 200 and released.get_json()["notified"] is True
    assert wechat_api.sent[-1] == (openid, msg("takeover_released"))
    assert body_of(web, wx, openid, "园区有哪些产业") != "success"  # the bot answers again
    assert state(web, openid)["state"] == "released"


def test_full_transcript_beyond_twenty_lines(web, wx, openid):
    for i in range(15):
        wx.say(openid, f"第{i}个问题")
    lines = state(web, openid)["transcript"]
    assert len(lines) == 30 and lines[0]["text"] == "第0个问题"


def test_a_retried_message_while_taken_is_kept_once(web, wx, openid):
    from tests.support.wechat import text_xml

    wx.say(openid, "人工")
    assert take(web, openid).status_code == 200
    xml = text_xml(openid, "重复的消息", msg_id=987654321)
    assert [wx.post(xml).get_data(as_text=True) for _ in range(3)] == ["success"] * 3
    assert [x["text"] for x in state(web, openid)["transcript"]].count("重复的消息") == 1


# --- the 48-hour window and WeChat's refusals ------------------------------------------------------
def test_window_passed_refuses_takeover_and_says_so(web, wx, openid, wechat_api, desk_app):
    wx.say(openid, "人工")
    age_transcript(desk_app, openid, 49 * 3600)
    conversation = state(web, openid)
    assert conversation["window"]["open"] is False
    response = take(web, openid)
    assert response.status_code == 409 and "48 小时" in response.get_json()["error"]
    assert wechat_api.sent == [] and state(web, openid)["state"] == "waiting"
    page = web.get(f"/admin/conversations/{openid}", headers=BEARER).get_data(as_text=True)
    assert "超过 48 小时" in page


def test_window_open_for_recent_user(web, wx, openid):
    wx.say(openid, "人工")
    window = state(web, openid)["window"]
    assert window["open"] is True and 47 * 3600 < window["until"] - time.time() <= 48 * 3600 + 1  # lines keep whole seconds


@pytest.mark.parametrize("errcode, words, status", [
    (48001, "没有客服消息接口权限", 502), (45047, "请等用户回复", 502), (45015, "48 小时", 409),
    (43004, "取消关注", 502), (99999, "99999", 502)])
def test_refused_takeover_changes_nothing(web, wx, openid, wechat_api, errcode, words, status):
    wx.say(openid, "人工")
    before = state(web, openid)
    wechat_api.refuse_next(errcode)
    response = take(web, openid)
    assert response.status_code == status and words in response.get_json()["error"]
    after = state(web, openid)
    assert after["state"] == "waiting" and after["transcript"] == before["transcript"] and wechat_api.sent == []
    assert body_of(web, wx, openid, "园区介绍") != "success"  # the bot still answers


@pytest.mark.parametrize("errcode, words", [(45047, "太多条"), (48001, "接口权限"), (45015, "48 小时")])
def test_refused_staff_message_is_explained_and_not_kept(web, wx, openid, wechat_api, errcode, words):
    wx.say(openid, "人工")
    assert take(web, openid).status_code == 200
    wechat_api.refuse_next(errcode)
    response = web.post(f"/admin/api/conversations/{openid}/messages", headers=BEARER, json={"text": "您好"})
    assert 400 <= response.status_code < 600 and response.status_code != 500
    assert words in response.get_json()["error"]
    assert state(web, openid)["transcript"][-1]["text"] != "您好"


def test_wechat_unreachable_is_said_plainly(web, wx, openid, wechat_api):
    wx.say(openid, "人工")
    wechat_api.server.fail_next(5, "500")
    response = take(web, openid)
    assert response.status_code == 502 and "连不上微信接口" in response.get_json()["error"]
    assert state(web, openid)["state"] == "waiting"


def test_invalid_token_is_replaced_once(web, wx, openid, wechat_api, desk_app):
    wx.say(openid, "人工")
    api = desk_app.extensions["parkbot.desk"].api_factory()
    api.r.set(api._token_key, "STALE_TOKEN")  # e.g. another program fetched a new one
    assert take(web, openid).status_code == 200 and len(wechat_api.sent) == 1


def test_refused_takeover_of_a_user_who_never_asked_leaves_no_record(web, wx, openid, wechat_api, desk_app):
    wx.say(openid, "园区介绍")
    wechat_api.refuse_next(48001)
    assert take(web, openid).status_code == 502
    takeovers = desk_app.extensions["parkbot.desk"].takeovers
    assert takeovers.get(openid)["state"] == "" and state(web, openid)["state"] == "bot"
    assert openid not in [i["openid"] for i in web.get("/admin/api/handoffs", headers=BEARER).get_json()["items"]]
    assert openid in [r["openid"] for r in takeovers.recent()]  # still among the recent conversations


def test_no_app_secret_means_no_takeover_of_wechat_users(app_config, redis_client, openid, msg):
    app = create_app({**app_config, "ADMIN_TOKEN": TOKEN})
    web, wx = app.test_client(), Platform(app.test_client())
    wx.say(openid, "人工")
    response = web.post(f"/admin/api/conversations/{openid}/takeover", headers=BEARER)
    assert response.status_code == 503 and "WECHAT_APP_SECRET" in response.get_json()["error"]
    assert web.get(f"/admin/api/conversations/{openid}", headers=BEARER).get_json()["state"] == "waiting"


# --- handing back: release, the idle limit ----------------------------------------------------------
def test_releasing_a_waiting_request_sends_nothing(web, wx, openid, wechat_api):
    wx.say(openid, "人工")
    response = web.post(f"/admin/api/conversations/{openid}/release", headers=BEARER)
    assert response.status_code == 200 and response.get_json()["notified"] is False and wechat_api.sent == []
    again = web.post(f"/admin/api/conversations/{openid}/release", headers=BEARER)
    assert again.status_code == 409


def _staff_silent_for(desk_app, openid, seconds):
    takeovers = desk_app.extensions["parkbot.desk"].takeovers
    takeovers.r.hset(takeovers.keys.takeover(openid), "staff_at", repr(time.time() - seconds))


def test_idle_limit_hands_back_on_the_users_next_message(web, wx, openid, desk_app, msg):
    wx.say(openid, "人工")
    assert take(web, openid).status_code == 200
    _staff_silent_for(desk_app, openid, 29 * 60)
    assert body_of(web, wx, openid, "还在吗") == "success"  # 29 minutes: still the person's
    _staff_silent_for(desk_app, openid, 31 * 60)
    reply = wx.say(openid, "园区介绍")
    assert reply.startswith(msg("takeover_idle_released")) and "青岛高新区" in reply
    assert state(web, openid)["state"] == "released"


def test_idle_limit_comes_from_knowledge(tmp_path, app_config, redis_client, wechat_api, openid):
    import shutil

    kdir = tmp_path / "knowledge"
    shutil.copytree(app_config["KNOWLEDGE_DIR"], kdir)
    park = kdir / "park.yaml"
    park.write_text(park.read_text(encoding="utf-8").replace("idle_minutes: 30", "idle_minutes: 5"), encoding="utf-8")
    app = create_app({**app_config, "KNOWLEDGE_DIR": str(kdir), "ADMIN_TOKEN": TOKEN,
                      "WECHAT_APP_SECRET": "s", "WECHAT_API_BASE_URL": wechat_api.url})
    web, wx = app.test_client(), Platform(app.test_client())
    wx.say(openid, "人工")
    assert web.post(f"/admin/api/conversations/{openid}/takeover", headers=BEARER).status_code == 200
    _staff_silent_for(app, openid, 6 * 60)
    items = web.get("/admin/api/handoffs", headers=BEARER).get_json()["items"]  # the listing sweeps
    assert [i["state"] for i in items if i["openid"] == openid] == ["released"]
    assert wechat_api.sent[-1][1] == app.extensions["parkbot.knowledge"].current().messages.render(
        "takeover_idle_released")


def test_the_sweeper_hands_back_with_no_page_open(web, wx, openid, desk_app, wechat_api, msg):
    import threading

    from bot.takeover import start_sweeper

    wx.say(openid, "人工")
    assert take(web, openid).status_code == 200
    stop = threading.Event()
    thread = start_sweeper(desk_app.extensions["parkbot.desk"], stop, every=0.05)
    try:
        time.sleep(0.3)
        assert desk_app.extensions["parkbot.desk"].takeovers.get(openid)["state"] == "taken"  # not idle yet
        _staff_silent_for(desk_app, openid, 31 * 60)
        deadline = time.monotonic() + 5
        while desk_app.extensions["parkbot.desk"].takeovers.get(openid)["state"] != "released":
            assert time.monotonic() < deadline, "the sweeper did not hand the conversation back"
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(2)
    assert wechat_api.sent[-1] == (openid, msg("takeover_idle_released"))
    assert [text for _, text in wechat_api.sent].count(msg("takeover_idle_released")) == 1


def test_a_staff_reply_restarts_the_idle_clock(web, wx, openid, desk_app):
    wx.say(openid, "人工")
    assert take(web, openid).status_code == 200
    _staff_silent_for(desk_app, openid, 40 * 60)
    assert web.post(f"/admin/api/conversations/{openid}/messages", headers=BEARER, json={"text": "稍等"}).status_code == 200
    assert body_of(web, wx, openid, "好的") == "success"


# --- WeChat's own customer-service events ---------------------------------------------------------------
def test_kf_session_events_mark_taken_and_released(web, wx, openid, wechat_api):
    from tests.support.wechat import event_xml

    wx.say(openid, "你好")
    assert wx.post(event_xml(openid, "kf_create_session")).get_data(as_text=True) == "success"
    assert state(web, openid)["state"] == "taken"
    assert body_of(web, wx, openid, "请问租金多少") == "success"
    assert wx.post(event_xml(openid, "kf_close_session")).get_data(as_text=True) == "success"
    assert state(web, openid)["state"] == "released"
    assert body_of(web, wx, openid, "园区介绍") != "success"
    assert wechat_api.sent == []  # WeChat's tools speak for themselves
    assert "[event" not in json.dumps(state(web, openid)["transcript"], ensure_ascii=False)


# --- truthful handoff ---------------------------------------------------------------------------------
def test_no_staff_channel_means_call_the_hotline(web, wx, openid, msg):
    text = wx.say(openid, "人工")
    assert "已通知" not in text and "400 0123 021" in text
    health = web.get("/healthz").get_json()
    assert health["staff_channel"]["state"] == "none"
    page = web.get("/admin/", headers=BEARER).get_data(as_text=True)
    assert 'id="staff-alarm"' in page and "未配置工作人员通知渠道" in page


def test_a_failing_channel_is_reported_and_the_user_told_the_truth(app_config, redis_client, openid, keys):
    with CaptureServer(hang_seconds=0.5) as robot:
        config = {**app_config, "ADMIN_TOKEN": TOKEN,
                  "NOTIFY_WECOM_WEBHOOK": robot.url + "/cgi-bin/webhook/send?key=k"}
        app = create_app(config)
        web, wx = app.test_client(), Platform(app.test_client())
        messages = app.extensions["parkbot.knowledge"].current().messages
        channel = WeComChannel(config["NOTIFY_WECOM_WEBHOOK"], lambda: messages, timeout=1.0)
        now = [time.time() - 900]
        worker = Worker(redis_client, keys, [channel], now=lambda: now[0], backoff_base=1, backoff_cap=1)

        assert "已通知" in wx.say(openid, "人工")  # configured, never failed
        assert worker.run_once()["sent"] == 1
        page = web.get("/admin/", headers=BEARER).get_data(as_text=True)
        assert 'id="staff-alarm"' not in page

        robot.fail_next(100, "500")
        other = openid + "x"
        wx.say(other, "人工")
        now[0] = time.time() - 600  # the first failure ten minutes ago
        assert worker.run_once()["failed"] == 1
        now[0] = time.time()
        worker.run_once()
        health = web.get("/healthz").get_json()
        assert health["staff_channel"]["state"] == "failing" and health["status"] == "degraded"
        assert "HTTP 500" in health["staff_channel"]["channels"]["wecom"]["error"]
        text = wx.say(openid + "y", "人工")
        assert "已通知" not in text and "400 0123 021" in text
        page = web.get("/admin/", headers=BEARER).get_data(as_text=True)
        assert 'id="staff-alarm"' in page and "发送一直失败" in page

        robot.recover()
        now[0] = time.time() + 5
        worker.run_once()
        assert web.get("/healthz").get_json()["staff_channel"]["state"] == "ok"
        assert "已通知" in wx.say(openid + "z", "人工")


def test_handoff_alert_links_to_the_conversation(web, wx, openid, desk_app):
    wx.say(openid, "人工")
    leads = desk_app.extensions["parkbot.leads"]
    entries = leads.r.xrange(leads.keys.outbox())
    link = entries[-1][1]["link"]
    assert link == f"https://bot.example.com/admin/conversations/{openid}"
    notice = Notice(kind="handoff", job="j", openid=openid, link=link)
    markdown = wecom_markdown(notice, shipped_messages())
    assert f"]({link})" in markdown
    hostile = Notice(kind="handoff", job="j", openid=openid, link="https://x/a)[evil](https://evil")
    assert "evil" not in wecom_markdown(hostile, shipped_messages())


# --- the web chat ---------------------------------------------------------------------------------------
CHAT = {"X-Requested-With": "XMLHttpRequest"}


def test_web_chat_follows_the_takeover(app_config, redis_client, wechat_api, msg):
    app = create_app({**app_config, "ADMIN_TOKEN": TOKEN, "BOT_WEB_CHAT": True, "WECHAT_APP_SECRET": "s",
                      "WECHAT_API_BASE_URL": wechat_api.url})
    user, web = app.test_client(), app.test_client()
    assert user.post("/chat/api/message", json={"text": "人工"}, headers=CHAT).status_code == 200
    items = web.get("/admin/api/handoffs", headers=BEARER).get_json()["items"]
    openid = items[0]["openid"]
    assert openid.startswith("web-") and items[0]["channel"] == "web"
    assert web.post(f"/admin/api/conversations/{openid}/takeover", headers=BEARER).status_code == 200
    assert wechat_api.sent == []  # the web page fetches its lines itself
    pushed = user.get("/chat/api/updates?after=0").get_json()["items"]
    assert [p["text"] for p in pushed] == [msg("takeover_notice")]

    silent = user.post("/chat/api/message", json={"text": "我想问下租金"}, headers=CHAT).get_json()
    assert silent["text"] == "" and silent["article"] is None
    assert web.post(f"/admin/api/conversations/{openid}/messages", headers=BEARER,
                    json={"text": "租金每平每天1.8元起。"}).status_code == 200
    later = user.get(f"/chat/api/updates?after={pushed[-1]['t']}").get_json()["items"]
    assert [p["text"] for p in later] == ["租金每平每天1.8元起。"]
    transcript = web.get(f"/admin/api/conversations/{openid}", headers=BEARER).get_json()["transcript"]
    assert ("user", "我想问下租金") in [(x["who"], x["text"]) for x in transcript]

    assert web.post(f"/admin/api/conversations/{openid}/release", headers=BEARER).status_code == 200
    assert user.post("/chat/api/message", json={"text": "园区介绍"}, headers=CHAT).get_json()["text"]
    assert user.get("/chat/api/updates?after=abc").status_code == 400
    assert user.get("/chat/api/updates?after=nan").status_code == 400


# --- erasing a user -------------------------------------------------------------------------------------
def test_erase_takes_the_takeover_and_the_listing_with_it(web, wx, openid, desk_app):
    from tests.support.wechat import event_xml

    wx.say(openid, "人工")
    desk = desk_app.extensions["parkbot.desk"]
    assert desk.takeovers.get(openid)["state"] == "waiting"
    wx.say(openid, "删除我的信息")
    assert desk.takeovers.get(openid)["state"] == ""
    assert openid not in [i["openid"] for i in web.get("/admin/api/handoffs", headers=BEARER).get_json()["items"]]
    assert openid not in [r["openid"] for r in desk.takeovers.recent()]

    wx.say(openid, "人工")
    assert take(web, openid).status_code == 200
    assert "已删除" in wx.say(openid, "删除我的信息")  # honoured at once, even while a person holds it
    assert desk.takeovers.get(openid)["state"] == "" and desk.storage.transcript(openid) == []

    wx.say(openid, "人工")
    assert take(web, openid).status_code == 200
    wx.post(event_xml(openid, "unsubscribe"))
    assert desk.takeovers.get(openid)["state"] == ""
    left = list(desk.takeovers.r.scan_iter(match=desk.takeovers.keys.user(openid, "*")))
    # only the replies kept for WeChat's retries remain, and they expire within the retry window
    assert all(":dedup:" in key and 0 < desk.takeovers.r.ttl(key) <= desk_app.config["DEDUP_TTL"] for key in left), left
    assert web.get(f"/admin/api/conversations/{openid}", headers=BEARER).status_code == 404
