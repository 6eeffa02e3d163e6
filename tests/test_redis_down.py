"""Redis unreachable: the webhook still answers in time with the hotline, and recovers."""
from __future__ import annotations

import time

from bot import create_app
from tests.conftest import make_config
from tests.support.net import free_port
from tests.support.redis import start_redis_server
from tests.support.wechat import Platform, text_xml


def test_webhook_answers_without_redis_and_recovers(tmp_path, data_dir, prefix, openid):
    port = free_port()
    server = start_redis_server(port, tmp_path)
    try:
        app = create_app(make_config(f"redis://127.0.0.1:{port}/0", data_dir, prefix))
        hotline = app.extensions["parkbot.knowledge"].current().park.contacts.hotline
        platform = Platform(app.test_client())
        assert "1." in platform.say(openid, "你好")

        server.terminate()
        server.wait(10)
        started = time.monotonic()
        resp = platform.post(text_xml(openid, "你好"))
        elapsed = time.monotonic() - started
        assert resp.status_code == 200
        assert hotline in platform.reply(resp)["Content"]
        assert elapsed < 5.0

        health = app.test_client().get("/healthz")
        assert health.status_code == 503 and health.get_json()["redis"] is False

        server = start_redis_server(port, tmp_path)
        text = platform.say(openid, "你好")
        assert "1." in text and hotline not in text.split("\n")[0]
        assert app.test_client().get("/healthz").get_json()["redis"] is True
    finally:
        server.kill()
        server.wait(10)


def test_unroutable_redis_answers_within_five_seconds(data_dir, prefix, openid):
    # a port nobody listens on: connection refused at once; the timeouts bound the slow cases
    app = create_app(make_config(f"redis://127.0.0.1:{free_port()}/0", data_dir, prefix))
    platform = Platform(app.test_client())
    started = time.monotonic()
    resp = platform.post(text_xml(openid, "工研院是干嘛的"))
    assert resp.status_code == 200 and time.monotonic() - started < 5.0
    assert "400" in platform.reply(resp)["Content"]
