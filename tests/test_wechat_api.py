"""The WeChat API client against a local HTTP server: one shared token, the menu, clear errors."""
from __future__ import annotations

import threading
import time

import pytest

from bot.knowledge.schema import WechatButton
from bot.wechat_api import WeChatAPI, WeChatAPIError, menu_payload
from tests.support.capture_server import CaptureServer
from tests.support.redis import leads_redis, leads_redis_dir  # noqa: F401  (fixtures)
from tests.support.staff import cli_app

APP_ID, SECRET = "wx0000000000000001", "app-secret-do-not-leak"

MENU = [
    WechatButton(name="园区介绍", key="INTRO"),
    WechatButton(name="找房源", sub_button=[
        WechatButton(name="厂房", key="SEARCH_FACTORY"),
        WechatButton(name="官网", url="https://example.com/park"),
    ]),
    WechatButton(name="人工服务", key="HANDOFF"),
]


class TokenIssuer:
    """The /cgi-bin/token endpoint: slow enough that concurrent callers really overlap."""

    def __init__(self, delay=0.3):
        self.delay = delay
        self.issued = 0
        self.lock = threading.Lock()

    def __call__(self, req):
        time.sleep(self.delay)
        with self.lock:
            self.issued += 1
            return {"access_token": f"TOKEN{self.issued}", "expires_in": 7200}


@pytest.fixture
def server():
    with CaptureServer(hang_seconds=1.0) as s:
        s.route("/cgi-bin/token", TokenIssuer())
        yield s


def api(leads_redis, server, timeout=1.0):
    return WeChatAPI(leads_redis.client, leads_redis.keys, APP_ID, SECRET, base_url=server.url, timeout=timeout)


def token_requests(server):
    return [r for r in server.requests if r.path == "/cgi-bin/token"]


def test_five_processes_share_one_token_request(leads_redis, server):
    clients = [api(leads_redis, server) for _ in range(5)]  # one each, like five worker processes
    barrier = threading.Barrier(5)
    tokens = []

    def go(client):
        barrier.wait()
        tokens.append(client.access_token())

    threads = [threading.Thread(target=go, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert tokens == ["TOKEN1"] * 5
    [req] = token_requests(server)
    assert req.query == {"grant_type": "client_credential", "appid": APP_ID, "secret": SECRET}
    ttl = leads_redis.client.ttl(leads_redis.keys.wechat(f"token:{APP_ID}"))
    assert 7200 - 300 - 5 <= ttl <= 7200 - 300


def test_push_menu_posts_the_menu_as_raw_utf8(leads_redis, server):
    api(leads_redis, server).push_menu(MENU)
    [req] = [r for r in server.requests if r.path == "/cgi-bin/menu/create"]
    assert req.method == "POST" and req.query == {"access_token": "TOKEN1"}
    assert req.json == {"button": [
        {"type": "click", "name": "园区介绍", "key": "INTRO"},
        {"name": "找房源", "sub_button": [
            {"type": "click", "name": "厂房", "key": "SEARCH_FACTORY"},
            {"type": "view", "name": "官网", "url": "https://example.com/park"},
        ]},
        {"type": "click", "name": "人工服务", "key": "HANDOFF"},
    ]}
    # WeChat shows \uXXXX escapes literally in menu names
    assert "园区介绍".encode() in req.body and b"\\u" not in req.body


def test_menu_accepts_plain_dicts():
    assert menu_payload([{"name": "介绍", "key": "INTRO"}]) == {"button": [{"type": "click", "name": "介绍", "key": "INTRO"}]}


@pytest.mark.parametrize("buttons, message", [
    ([], "no wechat_menu"),
    ([{"name": "a", "key": "A"}] * 4, "allows 3"),
    ([{"name": "a", "key": "A", "url": "https://x"}], "both key and url"),
    ([{"name": "a"}], "needs a key, a url or sub_buttons"),
    ([{"name": "很长很长的菜单名字啊", "key": "A"}], "longer than WeChat's 16 bytes"),
    ([{"name": "a", "sub_button": [{"name": "b", "key": "B"}] * 6}], "allows 5"),
    ([{"name": "a", "sub_button": [{"name": "b", "sub_button": [{"name": "c", "key": "C"}]}]}], "one level"),
])
def test_bad_menus_are_refused_before_any_request(buttons, message):
    with pytest.raises(ValueError, match=message):
        menu_payload(buttons)


@pytest.mark.parametrize("mode, message", [
    ("errcode", "errcode 45009: api freq out of limit"),
    ("500", "HTTP 500"),
    ("hang", "no answer within 0.3 s"),
    ("non_json", "not JSON"),
    ("close", "request failed"),
])
def test_failed_calls_raise_clear_errors_without_secrets(leads_redis, server, mode, message):
    server.route("/cgi-bin/token", TokenIssuer(delay=0))
    client = api(leads_redis, server, timeout=0.3)
    client.access_token()
    server.fail_next(1, mode)
    with pytest.raises(WeChatAPIError, match=message) as info:
        client.push_menu(MENU)
    assert SECRET not in str(info.value) and "TOKEN1" not in str(info.value)
    if mode == "errcode":
        assert (info.value.errcode, info.value.errmsg) == (45009, "api freq out of limit")


def test_token_request_errors_are_clear_and_keep_the_secret(leads_redis, server):
    server.route("/cgi-bin/token", {"errcode": 40125, "errmsg": "invalid appsecret"})
    with pytest.raises(WeChatAPIError, match="errcode 40125: invalid appsecret") as info:
        api(leads_redis, server).access_token()
    assert SECRET not in str(info.value)
    server.route("/cgi-bin/token", {"expires_in": 7200})
    with pytest.raises(WeChatAPIError, match="no access_token"):
        api(leads_redis, server).access_token()


def test_a_rejected_token_is_replaced_once(leads_redis, server):
    server.route("/cgi-bin/menu/create",
                 lambda req: {"errcode": 40001, "errmsg": "invalid credential"} if req.query["access_token"] == "TOKEN1"
                 else {"errcode": 0, "errmsg": "ok"})
    api(leads_redis, server).push_menu(MENU)
    assert [r.query.get("access_token") for r in server.requests if r.path == "/cgi-bin/menu/create"] == ["TOKEN1", "TOKEN2"]
    assert len(token_requests(server)) == 2

    server.route("/cgi-bin/menu/create", {"errcode": 40001, "errmsg": "invalid credential"})
    with pytest.raises(WeChatAPIError, match="40001"):
        api(leads_redis, server).push_menu(MENU)  # a second refusal is an error, not a loop


def test_missing_credentials_are_refused(leads_redis):
    with pytest.raises(WeChatAPIError, match="WECHAT_APP_SECRET"):
        WeChatAPI(leads_redis.client, leads_redis.keys, APP_ID, None)


def test_menu_push_command(leads_redis, server):
    app = cli_app(leads_redis.client, leads_redis.keys, wechat_menu=MENU, WECHAT_APP_ID=APP_ID,
                  WECHAT_APP_SECRET=SECRET, WECHAT_API_BASE_URL=server.url)
    result = app.test_cli_runner().invoke(args=["menu", "push"])
    assert result.exit_code == 0, result.output
    assert "3 top-level buttons" in result.output
    server.fail_next(1, "errcode", errcode=40018, errmsg="invalid button name size")
    result = app.test_cli_runner().invoke(args=["menu", "push"])
    assert result.exit_code == 1 and "errcode 40018: invalid button name size" in result.output

    bare = cli_app(leads_redis.client, leads_redis.keys, wechat_menu=MENU)
    result = bare.test_cli_runner().invoke(args=["menu", "push"])
    assert result.exit_code == 1 and "WECHAT_APP_ID" in result.output
