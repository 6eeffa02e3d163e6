"""The takeover's admin API and forms refuse bad input with a clear 4xx, and change nothing."""
from __future__ import annotations

import re

import pytest

from bot import create_app
from tests.support.wechat import Platform
from tests.support.wechat_api import wechat_api  # noqa: F401  (fixture)

TOKEN = "takeover-admin-token-02"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
POSTS = ("takeover", "messages", "release")


@pytest.fixture
def app(app_config, redis_client, wechat_api):
    return create_app({**app_config, "ADMIN_TOKEN": TOKEN, "WECHAT_APP_SECRET": "secret-for-tests",
                       "WECHAT_API_BASE_URL": wechat_api.url})


@pytest.fixture
def web(app):
    return app.test_client()


@pytest.fixture
def asked(app, openid):
    """A user who asked for a person."""
    Platform(app.test_client()).say(openid, "人工")
    return openid


def snapshot(app, openid, wechat_api):
    desk = app.extensions["parkbot.desk"]
    return desk.takeovers.get(openid), desk.storage.transcript(openid, 1000), list(wechat_api.sent)


def login(web) -> str:
    assert web.post("/admin/login", data={"token": TOKEN}).status_code == 303
    page = web.get("/admin/conversations").get_data(as_text=True)
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1) if 'name="csrf"' in page else \
        re.search(r'name="csrf" value="([^"]+)"', web.get("/admin/").get_data(as_text=True)).group(1)


def test_off_without_admin_token(app_config, redis_client, openid):
    client = create_app(app_config).test_client()
    assert client.get("/admin/api/handoffs").status_code == 404
    assert client.post(f"/admin/api/conversations/{openid}/takeover").status_code == 404
    assert client.get("/admin/conversations").status_code == 404


@pytest.mark.parametrize("method, path", [
    ("get", "/admin/api/handoffs"), ("get", "/admin/api/conversations/{o}"), ("get", "/admin/conversations"),
    ("get", "/admin/conversations/{o}"), *[("post", f"/admin/api/conversations/{{o}}/{p}") for p in POSTS],
    *[("post", f"/admin/conversations/{{o}}/{p}") for p in POSTS]])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token-123"}, {"Authorization": TOKEN}])
def test_no_or_wrong_token_is_401_and_changes_nothing(web, app, asked, wechat_api, method, path, headers):
    before = snapshot(app, asked, wechat_api)
    response = getattr(web, method)(path.format(o=asked), headers=headers, json={"text": "hi"})
    assert response.status_code == 401
    if "/api/" in path:
        assert response.get_json()["error"]
    assert snapshot(app, asked, wechat_api) == before


@pytest.mark.parametrize("openid", ["o-nobody-ever-wrote", "has space", "<script>", "x" * 65, "ab"])
def test_unknown_openid_is_404(web, app, wechat_api, openid):
    assert web.get(f"/admin/api/conversations/{openid}", headers=BEARER).status_code == 404
    for post in POSTS:
        response = web.post(f"/admin/api/conversations/{openid}/{post}", headers=BEARER, json={"text": "您好"})
        assert response.status_code == 404 and response.get_json()["error"]
    page = web.get(f"/admin/conversations/{openid}", headers=BEARER)
    assert page.status_code == 404 and "没有用户" in page.get_data(as_text=True)
    assert wechat_api.sent == []
    assert "<script>" not in page.get_data(as_text=True)


@pytest.mark.parametrize("body, status, words", [
    ({"text": ""}, 400, "不能为空"), ({"text": "   \n "}, 400, "不能为空"), ({"text": "长" * 1400}, 413, "太长"),
    ({"text": 42}, 400, "text"), ({"words": "您好"}, 400, "text"), (["您好"], 400, "text"), (None, 400, "text")])
def test_bad_staff_message_is_refused(web, app, asked, wechat_api, body, status, words):
    assert web.post(f"/admin/api/conversations/{asked}/takeover", headers=BEARER).status_code == 200
    before = snapshot(app, asked, wechat_api)
    if body is None:
        response = web.post(f"/admin/api/conversations/{asked}/messages", headers=BEARER, data="text=hi")
    else:
        response = web.post(f"/admin/api/conversations/{asked}/messages", headers=BEARER, json=body)
    assert response.status_code == status and words in response.get_json()["error"]
    assert snapshot(app, asked, wechat_api) == before


def test_four_kilobytes_is_refused(web, app, asked, wechat_api):
    assert web.post(f"/admin/api/conversations/{asked}/takeover", headers=BEARER).status_code == 200
    before = snapshot(app, asked, wechat_api)
    response = web.post(f"/admin/api/conversations/{asked}/messages", headers=BEARER, json={"text": "a" * 4100})
    assert response.status_code == 413 and "太长" in response.get_json()["error"]
    assert snapshot(app, asked, wechat_api) == before


def test_message_before_takeover_is_refused(web, app, asked, wechat_api):
    before = snapshot(app, asked, wechat_api)
    response = web.post(f"/admin/api/conversations/{asked}/messages", headers=BEARER, json={"text": "您好"})
    assert response.status_code == 409 and "接管" in response.get_json()["error"]
    assert snapshot(app, asked, wechat_api) == before


def test_signed_in_session_uses_the_forms_with_csrf(web, app, asked, wechat_api):
    csrf = login(web)
    assert web.get("/admin/api/handoffs").status_code == 200  # the page's poll rides the session
    assert web.get(f"/admin/api/conversations/{asked}").get_json()["state"] == "waiting"
    before = snapshot(app, asked, wechat_api)
    for bad in ({}, {"csrf": "forged"}, {"csrf": csrf + "x"}):
        for post in POSTS:
            response = web.post(f"/admin/conversations/{asked}/{post}", data={**bad, "text": "您好"})
            assert response.status_code == 400 and "表单已过期" in response.get_data(as_text=True)
            api = web.post(f"/admin/api/conversations/{asked}/{post}", json={"text": "您好"},
                           headers={"X-CSRF-Token": bad.get("csrf", "")})
            assert api.status_code == 400 and api.get_json()["error"]
    assert snapshot(app, asked, wechat_api) == before

    taken = web.post(f"/admin/conversations/{asked}/takeover", data={"csrf": csrf})
    assert taken.status_code == 303 and "done=take" in taken.headers["Location"]
    sent = web.post(f"/admin/conversations/{asked}/messages", data={"csrf": csrf, "text": "您好,我是小王"})
    assert sent.status_code == 303 and wechat_api.sent[-1] == (asked, "您好,我是小王")
    empty = web.post(f"/admin/conversations/{asked}/messages", data={"csrf": csrf, "text": " "})
    assert empty.status_code == 400 and "不能为空" in empty.get_data(as_text=True)
    api = web.post(f"/admin/api/conversations/{asked}/messages", json={"text": "第二条"}, headers={"X-CSRF-Token": csrf})
    assert api.status_code == 200 and wechat_api.sent[-1] == (asked, "第二条")
    released = web.post(f"/admin/conversations/{asked}/release", data={"csrf": csrf})
    assert released.status_code == 303
    assert app.extensions["parkbot.desk"].takeovers.get(asked)["state"] == "released"


def test_open_by_openid(web, asked):
    found = web.get(f"/admin/conversations?openid={asked}", headers=BEARER)
    assert found.status_code == 303 and found.headers["Location"].endswith(f"/admin/conversations/{asked}")
    missing = web.get("/admin/conversations?openid=o-nobody-at-all", headers=BEARER)
    assert missing.status_code == 404


def test_user_text_is_escaped_on_the_pages(web, app, openid):
    Platform(app.test_client()).say(openid, "人工")
    assert web.post(f"/admin/api/conversations/{openid}/takeover", headers=BEARER).status_code == 200
    Platform(app.test_client()).say(openid, "<img src=x onerror=alert(1)>")  # kept silently: the last line
    for path in ("/admin/conversations", f"/admin/conversations/{openid}"):
        page = web.get(path, headers=BEARER).get_data(as_text=True)
        assert "<img src=x" not in page and "&lt;img src=x" in page


@pytest.mark.parametrize("name, value", [("WECHAT_API_BASE_URL", "ftp://proxy.example.com"),
                                         ("WECHAT_API_BASE_URL", "api.weixin.qq.com"),
                                         ("ADMIN_BASE_URL", "javascript:alert(1)"), ("ADMIN_BASE_URL", "bot.example.com")])
def test_bad_addresses_stop_start_up_naming_the_variable(name, value):
    from bot import ConfigError
    from bot.config import load
    from tests.conftest import KNOWLEDGE

    with pytest.raises(ConfigError, match=name):
        load({"WECHAT_TOKEN": "tok123", "KNOWLEDGE_DIR": str(KNOWLEDGE), name: value}, environ={})


def test_addresses_default_and_lose_a_trailing_slash():
    from bot.config import load
    from tests.conftest import KNOWLEDGE

    cfg = load({"WECHAT_TOKEN": "tok123", "KNOWLEDGE_DIR": str(KNOWLEDGE)}, environ={})
    assert cfg["WECHAT_API_BASE_URL"] == "https://api.weixin.qq.com" and cfg["ADMIN_BASE_URL"] is None
    cfg = load({"WECHAT_TOKEN": "tok123", "KNOWLEDGE_DIR": str(KNOWLEDGE)},
               environ={"WECHAT_API_BASE_URL": "http://127.0.0.1:9000/", "ADMIN_BASE_URL": "https://b.example.com/admin/"})
    assert cfg["WECHAT_API_BASE_URL"] == "http://127.0.0.1:9000" and cfg["ADMIN_BASE_URL"] == "https://b.example.com/admin"
