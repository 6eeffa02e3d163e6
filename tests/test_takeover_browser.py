"""Staff takeover in a real headless Chromium: the admin page and the web chat page.

A person signs in, sees the red banner (no staff channel configured) and the waiting request,
opens the conversation, takes it over, replies, sees the user's next message arrive without
reloading, and releases it. A web-chat user sees a person's reply appear in the chat page.
"""
from __future__ import annotations

import pytest

from bot import create_app
from tests.support.browser import browser, live_server, page_wait  # noqa: F401  (fixture)
from tests.support.wechat import Platform
from tests.support.wechat_api import wechat_api  # noqa: F401  (fixture)

TOKEN = "browser-takeover-token-7"
WINDOW_SIZE = (1280, 1000)
SCREENSHOT = "/tmp/takeover.png"

try:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
except ImportError:  # the browser fixture fails with what to install
    pass


@pytest.fixture
def served(app_config, redis_client, wechat_api):
    app = create_app({**app_config, "ADMIN_TOKEN": TOKEN, "BOT_WEB_CHAT": True, "WECHAT_APP_SECRET": "s",
                      "WECHAT_API_BASE_URL": wechat_api.url})
    with live_server(app) as base:
        yield app, base


def test_staff_take_over_reply_and_release_in_the_admin_page(browser, served, wechat_api, openid):
    app, base = served
    messages = app.extensions["parkbot.knowledge"].current().messages
    user = Platform(app.test_client())
    user.say(openid, "我想租2000平厂房")
    user.say(openid, "转人工")
    wait = page_wait(browser)

    browser.get(base + "/admin/login")
    wait.until(ec.presence_of_element_located((By.ID, "token"))).send_keys(TOKEN)
    browser.find_element(By.ID, "login-submit").click()
    alarm = wait.until(ec.presence_of_element_located((By.ID, "staff-alarm")))
    assert "未配置工作人员通知渠道" in alarm.text
    nav = browser.find_element(By.ID, "nav-handoffs")
    assert "待接管 1" in nav.text
    nav.click()

    row = wait.until(ec.presence_of_element_located((By.ID, f"handoff-{openid}")))
    assert "等待接管" in row.text
    newcomer = openid + "n"
    user.say(newcomer, "人工")  # a new request appears on the open list by itself
    page_wait(browser, 15).until(lambda b: b.find_elements(By.ID, f"handoff-{newcomer}"))
    row = browser.find_element(By.ID, f"handoff-{openid}")
    row.find_element(By.TAG_NAME, "a").click()
    transcript = wait.until(ec.presence_of_element_located((By.ID, "transcript")))
    assert "我想租2000平厂房" in transcript.text and "转人工" in transcript.text

    browser.find_element(By.ID, "take").click()
    assert "已接管" in wait.until(ec.presence_of_element_located((By.ID, "done"))).text
    assert wechat_api.sent == [(openid, messages.render("takeover_notice"))]
    assert "人工接管中" in browser.find_element(By.ID, "state").text

    browser.find_element(By.ID, "reply-text").send_keys("您好,我是招商部小王,厂房的事我来跟进。")
    browser.find_element(By.ID, "send").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "done"), "已发送"))
    assert wechat_api.sent[-1] == (openid, "您好,我是招商部小王,厂房的事我来跟进。")
    assert "厂房的事我来跟进" in browser.find_element(By.ID, "transcript").text

    # the user writes while the page is open: it appears by itself, and the bot said nothing
    assert user.say(openid, "好的,我明天下午有空") == ""
    wait.until(ec.text_to_be_present_in_element((By.ID, "transcript"), "我明天下午有空"))
    browser.save_screenshot(SCREENSHOT)

    browser.find_element(By.ID, "release").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "done"), "已释放"))
    assert wechat_api.sent[-1] == (openid, messages.render("takeover_released"))
    assert browser.find_elements(By.ID, "take")  # the page offers 接管 again
    assert user.say(openid, "园区介绍") != ""


def test_a_persons_reply_appears_in_the_web_chat(browser, served, wechat_api):
    app, base = served
    wait = page_wait(browser)
    browser.get(base + "/chat")
    box = wait.until(ec.presence_of_element_located((By.ID, "text")))
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, ".row.bot .bubble"))
    wait.until(lambda b: b.find_element(By.ID, "send").is_enabled())  # the welcome is fully drawn
    box.send_keys("人工")
    browser.find_element(By.ID, "send").click()
    wait.until(lambda b: "400 0123 021" in b.find_element(By.ID, "log").text)

    web = app.test_client()
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    openid = next(i["openid"] for i in web.get("/admin/api/handoffs", headers=bearer).get_json()["items"])
    assert web.post(f"/admin/api/conversations/{openid}/takeover", headers=bearer).status_code == 200
    notice = app.extensions["parkbot.knowledge"].current().messages.render("takeover_notice")
    wait.until(ec.text_to_be_present_in_element((By.ID, "log"), notice))

    bubbles = len(browser.find_elements(By.CSS_SELECTOR, ".row.bot"))
    box.send_keys("租金多少")
    browser.find_element(By.ID, "send").click()
    wait.until(lambda b: "租金多少" in b.find_element(By.ID, "log").text)
    wait.until(lambda b: b.find_element(By.ID, "send").is_enabled())
    assert len(browser.find_elements(By.CSS_SELECTOR, ".row.bot")) == bubbles  # no empty bot bubble
    assert web.post(f"/admin/api/conversations/{openid}/messages", headers=bearer,
                    json={"text": "每平每天1.8元起,我发您详细资料。"}).status_code == 200
    wait.until(ec.text_to_be_present_in_element((By.ID, "log"), "每平每天1.8元起"))
    assert wechat_api.sent == []
