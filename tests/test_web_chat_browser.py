"""``/chat`` in a real headless Chromium against a real server, engine and Redis.

Needs the Debian packages ``chromium`` and ``chromium-driver`` and ``selenium`` from PyPI.
Without them these tests FAIL (they do not skip): a silently skipped browser test would let a
broken page ship. ``CHAT_SCREENSHOT=/tmp/chat.png`` saves a picture of the conversation.
"""
from __future__ import annotations

import os
import shutil
import uuid

import pytest
import yaml

from bot import create_app
from bot.store.connection import connect
from tests.conftest import KNOWLEDGE, make_config
from tests.support.browser import browser, live_server, page_wait  # noqa: F401  (fixture)

WINDOW_SIZE = (420, 860)  # a phone: read by the browser fixture
CARD_URL = "https://example.com/listings/jimo-factory-1f-800"
HOSTILE = "<img src=x onerror=alert(1)>"

try:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
except ImportError:  # reported by the `browser` fixture as a failure, with the fix
    pass


@pytest.fixture(scope="module")
def server(tmp_path_factory, redis_url, data_dir):
    """The app on a real port, with knowledge where one listing has a link (so it gets a news card)."""
    knowledge = tmp_path_factory.mktemp("knowledge") / "kb"
    shutil.copytree(KNOWLEDGE, knowledge)
    listings = knowledge / "listings.yaml"
    data = yaml.safe_load(listings.read_text(encoding="utf-8"))
    next(x for x in data["listings"] if x["id"] == "jimo-factory-1f-800")["url"] = CARD_URL
    listings.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    prefix = f"parkbot-test-{uuid.uuid4().hex[:10]}"
    # DEV and nothing else: the newcomer's `parkbot serve`, page on for localhost only
    app = create_app({**make_config(redis_url, data_dir, prefix), "KNOWLEDGE_DIR": str(knowledge), "DEV": True})
    with live_server(app) as base:
        yield app, base
    client = connect(redis_url, data_dir)
    stale = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if stale:
        client.delete(*stale)


@pytest.fixture
def page(server, browser):
    """A fresh conversation: new user cookie, empty tab history, /chat opened."""
    _, base = server
    browser.get(base + "/chat/static/chat.css")  # on the origin, to clear its cookies and storage
    browser.delete_all_cookies()
    browser.execute_script("window.sessionStorage.clear()")
    browser.get(base + "/chat")
    return browser


def wait(driver, condition, timeout=10):
    return page_wait(driver, timeout).until(lambda d: condition(d))


def texts(driver, selector):
    # read in one script: the page redraws while we look, so element handles can go stale
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0]), e => e.textContent)", selector)


def bubbles(driver, who):
    return texts(driver, f".row.{who}:not(.typing) .bubble")


def quick_replies(driver):
    return driver.find_elements(By.CSS_SELECTOR, ".quick-reply")


def labels(driver):
    return texts(driver, ".quick-reply")


def idle(driver):
    """No request in flight: the send button is enabled again."""
    return wait(driver, lambda d: d.find_element(By.ID, "send").is_enabled() and not d.find_elements(By.CSS_SELECTOR, ".typing"))


def send(driver, text):
    box = driver.find_element(By.ID, "text")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def menu_titles(app):
    return [i.title for i in sorted(app.extensions["parkbot.knowledge"].current().menu.items, key=lambda i: i.digit)]


def test_welcome_menu_buttons_and_a_pick(server, page):
    app, _ = server
    kb = app.extensions["parkbot.knowledge"].current()
    assert kb.park.name in page.find_element(By.CSS_SELECTOR, "header").text
    wait(page, lambda d: labels(d) == menu_titles(app))
    assert kb.park.name in bubbles(page, "bot")[0]  # the welcome, sent by the subscribe on first load

    quick_replies(page)[0].click()  # 园区介绍
    wait(page, lambda d: len(bubbles(d, "bot")) == 2)
    assert bubbles(page, "user") == ["1"]
    assert kb.park.industries[0] in bubbles(page, "bot")[1]
    assert not quick_replies(page)  # the intro lists nothing: the old menu's digits are gone

    send(page, "工研院是干嘛的")
    wait(page, lambda d: len(bubbles(d, "bot")) == 3)
    assert "工业技术研究院" in bubbles(page, "bot")[2]
    assert bubbles(page, "user")[-1] == "工研院是干嘛的"
    if os.environ.get("CHAT_SCREENSHOT"):
        page.save_screenshot(os.environ["CHAT_SCREENSHOT"])


def test_the_menu_button_sends_the_menu_word(server, page):
    app, _ = server
    wait(page, lambda d: labels(d) == menu_titles(app))
    idle(page)
    page.find_element(By.ID, "menu").click()
    wait(page, lambda d: len(bubbles(d, "bot")) == 2)
    assert bubbles(page, "user") == ["菜单"]
    assert labels(page) == menu_titles(app)


def test_markup_typed_by_the_user_is_shown_as_text(page):
    idle(page)
    send(page, HOSTILE)
    wait(page, lambda d: len(bubbles(d, "bot")) == 2)
    assert bubbles(page, "user") == [HOSTILE]
    assert page.find_elements(By.TAG_NAME, "img") == []
    with pytest.raises(NoAlertPresentException):
        page.switch_to.alert.text


def test_a_listing_with_a_link_shows_as_a_news_card(page):
    idle(page)
    send(page, "即墨科创园800平厂房")
    wait(page, lambda d: any("即墨科创园800㎡" in label for label in labels(d)))
    idle(page)
    quick_replies(page)[next(i for i, label in enumerate(labels(page)) if "即墨科创园800㎡" in label)].click()
    card = wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, ".card"))[0]
    assert card.find_element(By.CSS_SELECTOR, ".card-title").text == "即墨科创园800㎡单层厂房出租"
    assert "0.7元/㎡/天" in card.find_element(By.CSS_SELECTOR, ".card-desc").text
    link = card.find_element(By.CSS_SELECTOR, "a.card-link")
    assert link.get_attribute("href") == CARD_URL and "noopener" in link.get_attribute("rel")


def test_a_double_click_sends_once(page):
    idle(page)
    page.find_element(By.ID, "text").send_keys("你好")
    page.execute_script("var b = document.getElementById('send'); b.click(); b.click();"
                        "document.getElementById('composer').requestSubmit();")
    wait(page, lambda d: len(bubbles(d, "bot")) == 2)
    idle(page)
    assert bubbles(page, "user") == ["你好"]


def test_a_reload_keeps_the_conversation_on_screen(page):
    idle(page)
    send(page, "你好")
    wait(page, lambda d: len(bubbles(d, "bot")) == 2)
    page.refresh()
    wait(page, lambda d: len(bubbles(d, "bot")) == 2)
    idle(page)
    assert bubbles(page, "user") == ["你好"] and len(bubbles(page, "bot")) == 2  # no second welcome
    assert quick_replies(page)  # the last menu's buttons still work after the reload
