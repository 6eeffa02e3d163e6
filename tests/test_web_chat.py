"""``/chat``: who can reach it, the JSON API against the real engine and Redis, and its refusals."""
from __future__ import annotations

from pathlib import Path

import pytest
import redis

from bot import create_app
from bot.tools.kb_check import check
from bot.store.session import UserBusy
from bot.web import chat
from tests.conftest import KNOWLEDGE, make_config

AJAX = {"X-Requested-With": "XMLHttpRequest"}
ADMIN = "admin-secret-123"
WEB = Path(chat.__file__).parent
REMOTE = {"REMOTE_ADDR": "10.0.0.5"}


@pytest.fixture
def make_app(redis_url, data_dir, prefix, redis_client):
    def make(**extra):
        return create_app(make_config(redis_url, data_dir, prefix, **extra))

    return make


@pytest.fixture
def on(make_app):
    """A client of an app with the page switched on for everyone."""
    return make_app(BOT_WEB_CHAT=True).test_client()


def say(client, text, headers=(), **kw):
    return client.post("/chat/api/message", json={"text": text}, headers={**AJAX, **dict(headers)}, **kw)


def menu_titles(app) -> list[str]:
    kb = app.extensions["parkbot.knowledge"].current()
    return [item.title for item in sorted(kb.menu.items, key=lambda i: i.digit)]


# --- who can reach it ---------------------------------------------------------------------------

def test_off_by_default_and_indistinguishable_from_an_unknown_url(client, app):
    unknown = client.get("/no-such-page")
    for resp in (client.get("/chat"), client.get("/chat/static/chat.js"), say(client, "你好"),
                 client.post("/chat/api/event", json={"event": "subscribe"}, headers=AJAX)):
        assert resp.status_code == 404
        assert resp.data == unknown.data and "Content-Security-Policy" not in resp.headers
        assert not resp.headers.getlist("Set-Cookie")
    assert "parkbot.webchat" not in app.extensions


def test_on_with_bot_web_chat(make_app):
    app = make_app(BOT_WEB_CHAT=True)
    client = app.test_client()
    page = client.get("/chat", environ_base=REMOTE)
    park = app.extensions["parkbot.knowledge"].current().park.name
    assert page.status_code == 200 and park in page.get_data(as_text=True)
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert client.get("/chat/static/chat.js").status_code == 200
    assert app.extensions["parkbot.webchat"] is True


def test_dev_mode_serves_localhost_only(make_app):
    app = make_app(DEV=True)
    client = app.test_client()
    assert client.get("/chat").status_code == 200  # the test client comes from 127.0.0.1
    assert client.get("/chat", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    assert client.get("/chat", environ_base=REMOTE).status_code == 404
    assert say(client, "你好", environ_base=REMOTE).status_code == 404
    # a forged forwarding header does not make a remote caller local
    assert client.get("/chat", environ_base=REMOTE, headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 404
    assert app.extensions["parkbot.webchat"] is True


def test_admin_token_in_the_authorization_header(make_app):
    client = make_app(ADMIN_TOKEN=ADMIN).test_client()
    assert client.get("/chat", environ_base=REMOTE).status_code == 404
    assert client.get("/chat", environ_base=REMOTE, headers={"Authorization": "Bearer wrong-token"}).status_code == 404
    bearer = {"Authorization": f"Bearer {ADMIN}"}
    assert client.get("/chat", environ_base=REMOTE, headers=bearer).status_code == 200
    resp = say(client, "你好", environ_base=REMOTE, headers=bearer)
    assert resp.status_code == 200 and resp.get_json()["options"]


def test_admin_token_in_the_query_is_kept_in_a_strict_httponly_cookie(make_app):
    client = make_app(ADMIN_TOKEN=ADMIN).test_client()
    assert client.get("/chat?token=wrong-token", environ_base=REMOTE).status_code == 404
    page = client.get(f"/chat?token={ADMIN}", environ_base=REMOTE)
    assert page.status_code == 200
    cookie = next(c for c in page.headers.getlist("Set-Cookie") if c.startswith(chat.TOKEN_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/chat" in cookie
    assert ADMIN not in cookie  # a keyed digest, not the token itself
    assert page.headers["Referrer-Policy"] == "no-referrer"
    # later requests, page and API, carry only the cookie
    assert client.get("/chat", environ_base=REMOTE).status_code == 200
    assert say(client, "你好", environ_base=REMOTE).status_code == 200
    # a forged cookie opens nothing
    other = make_app(ADMIN_TOKEN=ADMIN).test_client()
    other.set_cookie(chat.TOKEN_COOKIE, ADMIN, path="/chat")
    assert other.get("/chat", environ_base=REMOTE).status_code == 404


# --- the conversation ---------------------------------------------------------------------------

def test_first_load_subscribe_shows_the_welcome_and_menu(make_app):
    app = make_app(BOT_WEB_CHAT=True)
    client = app.test_client()
    client.get("/chat")
    resp = client.post("/chat/api/event", json={"event": "subscribe"}, headers=AJAX)
    body = resp.get_json()
    assert resp.status_code == 200 and set(body) == {"text", "article", "options", "actions"}
    assert body["options"] == menu_titles(app)
    assert app.extensions["parkbot.knowledge"].current().park.name in body["text"]


def test_message_round_trip_reaches_the_engine_and_keeps_the_user(make_app):
    app = make_app(BOT_WEB_CHAT=True)
    client = app.test_client()
    hello = say(client, "你好").get_json()
    assert hello["options"] == menu_titles(app) and "1." in hello["text"]
    user_cookie = client.get_cookie(chat.USER_COOKIE, path="/chat")
    assert user_cookie is not None and user_cookie.http_only
    # the digit picks from the menu this same user was just shown: the id persisted
    intro = say(client, "1").get_json()
    park = app.extensions["parkbot.knowledge"].current().park
    assert park.industries[0] in intro["text"]
    assert client.get_cookie(chat.USER_COOKIE, path="/chat").value == user_cookie.value

    with app.test_request_context():
        user = chat._signer().loads(user_cookie.value)
    assert user.startswith("web-") and len(user) == 24
    # both messages landed on the one stored conversation of that user
    assert app.extensions["parkbot.storage"].load(user).turn == 2


def test_each_browser_is_its_own_user_and_a_forged_id_is_replaced(make_app):
    app = make_app(BOT_WEB_CHAT=True)
    a, b = app.test_client(), app.test_client()
    say(a, "你好")
    say(b, "你好")
    assert a.get_cookie(chat.USER_COOKIE, path="/chat").value != b.get_cookie(chat.USER_COOKIE, path="/chat").value
    forger = app.test_client()
    forger.set_cookie(chat.USER_COOKIE, "web-00000000000000000000", path="/chat")
    say(forger, "你好")
    with app.test_request_context():
        replaced = chat._signer().loads(forger.get_cookie(chat.USER_COOKIE, path="/chat").value)
    assert replaced != "web-00000000000000000000"


def test_a_search_lists_options_and_a_pick_shows_the_details(on):
    listing = say(on, "求租800平左右单层厂房").get_json()
    assert listing["options"]
    details = say(on, "1").get_json()
    assert listing["options"][0] in (details["text"] or details["article"]["title"])


def test_user_markup_comes_back_as_json_data_only(on):
    hostile = "<script>alert(1)</script><img src=x onerror=alert(1)>"
    resp = say(on, hostile)
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert isinstance(resp.get_json()["text"], str)
    page = on.get("/chat").get_data(as_text=True)
    assert "alert(1)" not in page and page.count("<script") == 2  # the page never echoes what users said


def test_the_page_never_writes_html_from_text():
    for name in ("templates/chat.html", "static/chat/chat.js"):
        source = (WEB / name).read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "| safe", "|safe"):
            assert sink not in source, f"{name} uses {sink}"
    assert "textContent" in (WEB / "static/chat/chat.js").read_text(encoding="utf-8")
    # no inline script to run: only JSON data and the served file
    html = (WEB / "templates/chat.html").read_text(encoding="utf-8")
    assert html.count("<script") == 2 and 'type="application/json"' in html


# --- refusals -------------------------------------------------------------------------------------

def _error(resp, status):
    assert resp.status_code == status, resp.data
    body = resp.get_json()
    assert body and body["error"] and body["message"]
    return body


def test_empty_text_is_refused(on):
    _error(say(on, ""), 400)
    assert _error(say(on, "   \n "), 400)["error"] == "empty"


def test_too_long_text_is_refused_with_the_limit(on):
    assert say(on, "厂" * chat.MAX_TEXT).status_code == 200
    body = _error(say(on, "厂" * (chat.MAX_TEXT + 1)), 413)
    assert str(chat.MAX_TEXT) in body["message"]
    # a body past MAX_BODY is refused the same way, as JSON
    _error(on.post("/chat/api/message", data='{"text": "' + "x" * 70_000 + '"}',
                   content_type="application/json", headers=AJAX), 413)


def test_malformed_requests_are_refused_as_json(on):
    _error(on.post("/chat/api/message", data="{not json", content_type="application/json", headers=AJAX), 400)
    _error(on.post("/chat/api/message", data="text=hi", content_type="application/x-www-form-urlencoded",
                   headers=AJAX), 415)
    _error(on.post("/chat/api/message", data='{"text": "hi"}', content_type="text/plain", headers=AJAX), 415)
    _error(on.post("/chat/api/message", json=["你好"], headers=AJAX), 400)
    _error(on.post("/chat/api/message", json={"text": 42}, headers=AJAX), 400)
    _error(on.post("/chat/api/message", json={}, headers=AJAX), 400)
    assert on.get("/chat/api/message").status_code == 405


def test_cross_site_requests_are_refused(on):
    # a plain cross-site fetch or form cannot add X-Requested-With without a preflight we never approve
    _error(on.post("/chat/api/message", json={"text": "你好"}), 403)
    _error(on.post("/chat/api/message", json={"text": "你好"}, headers={**AJAX, "Sec-Fetch-Site": "cross-site"}), 403)
    assert on.post("/chat/api/message", json={"text": "你好"},
                   headers={**AJAX, "Sec-Fetch-Site": "same-origin"}).status_code == 200


def test_only_harmless_events_are_accepted(on):
    for payload in ({"event": "unsubscribe"}, {"event": "click"}, {"event": "LOCATION"}, {"event": 1},
                    {"event": "click", "event_key": "K" * 65}):
        _error(on.post("/chat/api/event", json=payload, headers=AJAX), 400)
    resp = on.post("/chat/api/event", json={"event": "click", "event_key": "MENU_INTRO"}, headers=AJAX)
    assert resp.status_code == 200 and resp.get_json()["text"]


@pytest.mark.parametrize("failure", [redis.ConnectionError("down"), UserBusy("busy"), RuntimeError("bug")])
def test_a_failing_store_gives_the_fallback_sentence_not_a_500(make_app, monkeypatch, failure):
    app = make_app(BOT_WEB_CHAT=True)
    engine = app.extensions["parkbot.engine"]

    def broken(*args, **kwargs):
        raise failure

    monkeypatch.setattr(engine, "handle", broken)
    resp = say(app.test_client(), "你好")
    expected = app.extensions["parkbot.knowledge"].current().messages.render("store_down")
    assert resp.status_code == 200 and resp.get_json() == {"text": expected, "article": None, "options": [], "actions": []}


def test_its_sentences_are_in_messages_yaml():
    assert not [p for p in check(KNOWLEDGE) if "web chat" in str(p)]


def test_the_cookie_key_comes_from_secret_key_when_configured(make_app):
    plain = make_app(BOT_WEB_CHAT=True)
    keyed = make_app(BOT_WEB_CHAT=True, SECRET_KEY="configured-secret")
    with plain.test_request_context():
        derived = chat._secret()
    with keyed.test_request_context():
        assert chat._secret() == b"configured-secret" != derived
