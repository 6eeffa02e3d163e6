"""Redis Sentinel: REDIS_SENTINELS + REDIS_SENTINEL_MASTER, and a failover under a running bot."""
from __future__ import annotations

import re
import time

import pytest

from bot import ConfigError, create_app
from bot.config import load
from bot.leads.runner import start_worker_thread
from bot.store.connection import get_redis
from tests.conftest import KNOWLEDGE, make_config
from tests.support.capture_server import server  # noqa: F401  (fixture)
from tests.support.wechat import AES_KEY, Platform, text_xml

LEAD_NUMBER = re.compile(r"L\d{8}-\d{4}")


@pytest.mark.parametrize("env, message", [
    ({"REDIS_SENTINELS": "127.0.0.1:26379"}, r"^REDIS_SENTINEL_MASTER is required when REDIS_SENTINELS is set"),
    ({"REDIS_SENTINEL_MASTER": "mymaster"}, r"^REDIS_SENTINELS is required when REDIS_SENTINEL_MASTER is set"),
    ({"REDIS_SENTINELS": "127.0.0.1", "REDIS_SENTINEL_MASTER": "m"}, r"^REDIS_SENTINELS must be host:port pairs"),
    ({"REDIS_SENTINELS": "a:1,b:x", "REDIS_SENTINEL_MASTER": "m"}, r"^REDIS_SENTINELS must be host:port pairs"),
    ({"REDIS_SENTINELS": "a:70000", "REDIS_SENTINEL_MASTER": "m"}, r"^REDIS_SENTINELS must be host:port pairs"),
    ({"REDIS_SENTINELS": "a:1", "REDIS_SENTINEL_MASTER": "my master"}, r"^REDIS_SENTINEL_MASTER must be"),
])
def test_bad_sentinel_settings_stop_start_up_with_one_line(env, message):
    with pytest.raises(ConfigError, match=message) as caught:
        load({"WECHAT_TOKEN": "tok123", "KNOWLEDGE_DIR": str(KNOWLEDGE)}, environ=env)
    assert "\n" not in str(caught.value)


def test_sentinel_settings_are_accepted(redis_sentinel, data_dir, prefix):
    app = create_app(make_config(None, data_dir, prefix, REDIS_SENTINELS=redis_sentinel.sentinels,
                                 REDIS_SENTINEL_MASTER=redis_sentinel.name))
    client = get_redis(app)
    client.set(f"{prefix}:probe", "1")
    # the write went to the master the sentinels name
    assert redis_sentinel.node(redis_sentinel.current_master()).get(f"{prefix}:probe") == "1"
    client.delete(f"{prefix}:probe")


def _say_until_answered(wechat: Platform, openid: str, text: str, store_down: str, timeout: float = 30) -> str:
    msg_id = int(time.time() * 1000)  # WeChat's retries carry the same MsgId
    deadline = time.monotonic() + timeout
    while True:
        reply = wechat.reply(wechat.post(text_xml(openid, text, msg_id)))
        body = reply.get("Content", "") if reply else ""
        if body and body != store_down:
            return body
        assert time.monotonic() < deadline, "the conversation did not come back after the failover"
        time.sleep(0.5)


def test_sentinel_failover_mid_conversation_loses_and_doubles_nothing(redis_sentinel, data_dir, prefix, openid,
                                                                      server):
    app = create_app(make_config(None, data_dir, prefix, REDIS_SENTINELS=redis_sentinel.sentinels,
                                 REDIS_SENTINEL_MASTER=redis_sentinel.name,
                                 NOTIFY_WECOM_WEBHOOK=f"{server.url}/cgi-bin/webhook/send?key=k"))
    msg = app.extensions["parkbot.knowledge"].current().messages.render
    wechat = Platform(app.test_client(), aes_key=AES_KEY)
    stop_worker = start_worker_thread(app, poll_interval=0.1)
    try:
        assert msg("ask_need") in wechat.say(openid, "登记")
        assert msg("ask_industry") in wechat.say(openid, "想租2000平厂房")
        killed = redis_sentinel.kill_master()  # the master crashes between two messages
        assert msg("ask_tax") in _say_until_answered(wechat, openid, "海洋生物", msg("store_down"))
        assert msg("ask_company") in wechat.say(openid, "三百万")
        assert msg("ask_contact") in wechat.say(openid, "青岛海智源生命科技有限公司")
        assert msg("ask_phone") in wechat.say(openid, "王经理")
        assert msg("confirm_footer") in wechat.say(openid, "13912345678")
        number = LEAD_NUMBER.search(wechat.say(openid, "确认")).group(0)
        leads = app.extensions["parkbot.leads"]
        assert [lead["number"] for lead in leads.list()] == [number]
        new = redis_sentinel.current_master()
        assert new != killed and redis_sentinel.node(new).exists(app.extensions["parkbot.keys"].lead(number))
        assert server.wait_for(1, timeout=20)
        time.sleep(1.0)
        assert len([r for r in server.ok_requests() if number in r.body.decode("utf-8")]) == 1
    finally:
        stop_worker()
        client = get_redis(app)
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)


def test_no_sentinel_answering_gets_the_hotline_within_five_seconds(data_dir, prefix, openid):
    from tests.support.cluster import free_ports

    ports = free_ports(2)
    app = create_app(make_config(None, data_dir, prefix, REDIS_SENTINELS=",".join(f"127.0.0.1:{p}" for p in ports),
                                 REDIS_SENTINEL_MASTER="parkbot-master"))
    wechat = Platform(app.test_client(), aes_key=AES_KEY)
    started = time.monotonic()
    assert wechat.say(openid, "你好") == app.extensions["parkbot.knowledge"].current().messages.render("store_down")
    assert time.monotonic() - started < 5
    assert app.test_client().get("/healthz").status_code == 503
