"""Two gunicorn workers share the takeover: whichever worker takes a message, the bot stays silent
while a person holds the conversation, and answers again once it is released."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid

import pytest

from tests.conftest import KNOWLEDGE
from tests.support.gunicorn import gunicorn
from tests.support.wechat import APP_ID, TOKEN, sign, text_xml
from tests.support.wechat_api import wechat_api  # noqa: F401  (fixture)

ADMIN = "gunicorn-admin-token-03"


def post_text(port: int, openid: str, text: str) -> str:
    """The raw body a live server answers a signed text message with ("success" = no reply)."""
    ts, nonce = str(int(time.time())), f"n{time.monotonic_ns()}"
    url = f"http://127.0.0.1:{port}/wechat?signature={sign(TOKEN, ts, nonce)}&timestamp={ts}&nonce={nonce}"
    request = urllib.request.Request(url, data=text_xml(openid, text).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=5) as resp:
        return resp.read().decode()


def admin(port: int, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def served(tmp_path, redis_url, prefix, redis_client, wechat_api):
    log = tmp_path / "access.log"
    env = {"ADMIN_TOKEN": ADMIN, "WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": "secret-for-tests",
           "WECHAT_API_BASE_URL": wechat_api.url}
    args = ("--access-logfile", str(log), "--access-logformat", "%(p)s %(m)s %(U)s")
    with gunicorn(tmp_path, KNOWLEDGE, prefix, redis_url, env=env, args=args) as (_, port):
        yield port, log


def workers_that_served(log, path: str) -> set[str]:
    time.sleep(0.3)  # gunicorn writes the access log after the response
    return {line.split()[0] for line in log.read_text().splitlines() if line.endswith(" " + path)}


def test_two_workers_share_the_takeover(served, wechat_api):
    port, log = served
    openid = f"o{uuid.uuid4().hex[:20]}"
    assert "400 0123 021" in post_text(port, openid, "人工")
    status, listing = admin(port, "GET", "/admin/api/handoffs")
    assert status == 200 and [i["state"] for i in listing["items"] if i["openid"] == openid] == ["waiting"]
    status, taken = admin(port, "POST", f"/admin/api/conversations/{openid}/takeover")
    assert status == 200 and taken["state"] == "taken"

    before = len(log.read_text().splitlines()) if log.exists() else 0
    # which worker accepts a connection is up to the kernel: send until both have served (bounded)
    answers, served_by = [], set()
    for i in range(0, 160, 8):
        answers += [post_text(port, openid, f"第{n}条") for n in range(i, i + 8)]
        time.sleep(0.35)  # gunicorn writes the access log after the response
        served_by = {line.split()[0] for line in log.read_text().splitlines()[before:] if line.endswith("/wechat")}
        if len(served_by) == 2:
            break
    assert answers == ["success"] * len(answers)
    assert len(served_by) == 2, served_by  # both workers took messages, and both stayed silent

    status, _ = admin(port, "POST", f"/admin/api/conversations/{openid}/messages", {"text": "您好,我是招商部小王。"})
    assert status == 200 and wechat_api.sent[-1] == (openid, "您好,我是招商部小王。")
    status, conversation = admin(port, "GET", f"/admin/api/conversations/{openid}")
    kept = [x["text"] for x in conversation["transcript"] if x["who"] == "user"]
    assert kept[-len(answers):] == [f"第{i}条" for i in range(len(answers))]

    assert admin(port, "POST", f"/admin/api/conversations/{openid}/release")[0] == 200
    again = [post_text(port, openid, "园区介绍") for _ in range(6)]
    assert all(a != "success" and "青岛高新区" in a for a in again)
    assert len(workers_that_served(log, "/wechat")) == 2
    assert wechat_api.token_requests() == 1  # the two workers shared one access token
