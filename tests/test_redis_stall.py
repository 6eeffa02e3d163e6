"""A Redis that freezes (SIGSTOP) and resumes (SIGCONT) leaves no lock and no claim behind.

Commands sent during the stall run when Redis resumes, long after the request that sent them
answered WeChat with the hotline and gave up. Its lock and its claim expire at an absolute time
counted from the message's own start, so they cannot turn the user's next message away
(「系统正忙」) or swallow WeChat's retry of that message.
"""
from __future__ import annotations

import os
import signal
import threading
import time

import pytest
import redis

from bot import create_app
from tests.conftest import make_config
from tests.support.net import free_port
from tests.support.redis import start_redis_server
from tests.support.wechat import Platform, reply_text, text_xml


@pytest.fixture
def stallable(tmp_path, data_dir, prefix):
    port = free_port()
    server = start_redis_server(port, tmp_path)
    app = create_app(make_config(f"redis://127.0.0.1:{port}/0", data_dir, prefix))
    yield server, app, redis.Redis(port=port, decode_responses=True, socket_timeout=10)
    os.kill(server.pid, signal.SIGCONT)
    server.kill()
    server.wait(10)


def _in_flight(app, openid, msg_id, results):
    """One delivery of a message, on its own thread (it blocks on the frozen Redis)."""
    def deliver():
        platform = Platform(app.test_client())
        results.append(reply_text(platform.reply(platform.post(text_xml(openid, "园区有哪些产业", msg_id=msg_id)))))

    thread = threading.Thread(target=deliver)
    thread.start()
    return thread


@pytest.mark.parametrize("stall", [6.5, 2.0], ids=["past the message's deadline", "within it"])
def test_a_stalled_message_leaves_no_ghost_lock(stallable, openid, stall):
    server, app, direct = stallable
    kb = app.extensions["parkbot.knowledge"].current()
    keys = app.extensions["parkbot.keys"]
    busy = kb.messages.render("store_down", hotline=kb.park.contacts.hotline)
    platform = Platform(app.test_client())
    assert "1." in platform.say(openid, "你好")

    results: list[str] = []
    os.kill(server.pid, signal.SIGSTOP)
    stopped = time.monotonic()
    try:
        thread = _in_flight(app, openid, 5150, results)
        thread.join(10)
        assert results == [busy]  # the user got the hotline while Redis was frozen
        time.sleep(max(0.0, stall - (time.monotonic() - stopped)))
    finally:
        os.kill(server.pid, signal.SIGCONT)
    assert direct.ping()  # Redis has run what was queued during the stall
    if stall > app.config["LOCK_TIMEOUT"]:
        # executed after the message's own deadline: nothing was written at all
        assert not direct.exists(keys.lock(openid))
        assert not direct.exists(keys.dedup(openid, "m5150"))

    # the same user's next message is answered, not turned away as busy
    text = platform.say(openid, "你好")
    assert text != busy and "1." in text
    # and WeChat's retry of the stalled message is processed, not swallowed
    retried = reply_text(platform.reply(platform.post(text_xml(openid, "园区有哪些产业", msg_id=5150))))
    assert retried and retried != busy
    said = [turn["text"] for turn in app.extensions["parkbot.storage"].transcript(openid, 10) if turn["who"] == "user"]
    assert said == ["你好", "你好", "园区有哪些产业"]


def test_a_message_past_its_deadline_writes_nothing(redis_client, keys, openid):
    from bot.store.dedup import Claim
    from bot.store.session import RedisStateStorage, UserBusy

    storage = RedisStateStorage(redis_client, keys, state_ttl=60, transcript_ttl=60, lock_timeout=1.0)
    claim = Claim(keys.dedup(openid, "m1"), 60)
    with pytest.raises(UserBusy):
        with storage.turn(openid, claim, started=time.time() - 1.5):
            pass
    assert not redis_client.exists(keys.lock(openid)) and not redis_client.exists(claim.key)
    with storage.turn(openid, claim, started=time.time()) as session:  # in time: locked, claimed
        assert redis_client.pttl(keys.lock(openid)) <= 1000 and redis_client.exists(claim.key)
        session.finish({"turn": 1}, [("user", "你好")], {"text": "ok"})
    assert not redis_client.exists(keys.lock(openid)) and redis_client.ttl(claim.key) > 50
