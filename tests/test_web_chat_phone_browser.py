"""``/chat`` on a phone in headless Chromium: buttons for the confirmation and a listing's 登记,
no keyboard popping up after a tap, the newest message kept in view when the window shrinks,
a failed send kept with 重试 in readable colours, tap-to-call numbers. Screenshot in tmp_path."""
from __future__ import annotations

import re

from tests.support.browser import browser  # noqa: F401  (fixture)
from tests.test_web_chat_browser import (  # noqa: F401  (fixtures)
    WINDOW_SIZE, bubbles, idle, labels, page, quick_replies, send, server, wait)

from selenium.webdriver.common.by import By  # noqa: E402  (the browser fixture reports a missing selenium)

ONE_SENTENCE = "我是海智源公司的王经理,想租2000平厂房做海洋生物,年税收300万左右,电话13912345678"


def focused_id(driver) -> str:
    return driver.execute_script("return document.activeElement ? document.activeElement.id : ''")


def tap(driver, label):
    idle(driver)
    button = next(b for b in quick_replies(driver) if b.text == label)
    button.click()


def test_confirmation_buttons_submit_without_raising_the_keyboard(server, page, tmp_path):
    app, _ = server
    idle(page)
    send(page, ONE_SENTENCE)
    wait(page, lambda d: {"确认", "修改", "取消"} <= set(labels(d)))
    assert focused_id(page) == "text"  # typed: the box keeps the focus for the next message
    page.save_screenshot(str(tmp_path / "chat-confirm-phone.png"))
    page.execute_script("document.activeElement.blur()")
    tap(page, "确认")
    wait(page, lambda d: re.search(r"L\d{8}-\d{4}", bubbles(d, "bot")[-1]))
    idle(page)
    assert bubbles(page, "user")[-1] == "确认"
    assert focused_id(page) != "text"  # a tap: no keyboard popping up
    assert len(app.extensions["parkbot.leads"].list()) >= 1


def test_modify_and_cancel_buttons_send_their_words(page):
    idle(page)
    send(page, ONE_SENTENCE)
    wait(page, lambda d: "取消" in labels(d))
    tap(page, "取消")
    wait(page, lambda d: bubbles(d, "user")[-1] == "取消" and len(bubbles(d, "bot")) == 3)
    assert "取消" not in labels(page)  # the buttons belong to the confirmation only


def test_a_listing_detail_offers_register(page):
    idle(page)
    send(page, "即墨科创园800平厂房")
    wait(page, lambda d: any("即墨科创园800㎡" in label for label in labels(d)))
    idle(page)
    quick_replies(page)[next(i for i, label in enumerate(labels(page)) if "即墨科创园800㎡" in label)].click()
    wait(page, lambda d: "登记" in labels(d))
    tap(page, "登记")
    wait(page, lambda d: bubbles(d, "user")[-1] == "登记" and len(bubbles(d, "bot")) == 3)  # the details came as a card
    idle(page)
    assert "2/6" in bubbles(page, "bot")[-1]  # the listing filled 需求: the form goes on to 用途
    assert focused_id(page) != "text"


def test_phone_numbers_are_tap_to_call(server, page):
    app, _ = server
    hotline = app.extensions["parkbot.knowledge"].current().park.contacts.hotline
    idle(page)
    send(page, "人工")
    link = wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, ".row.bot a.tel"))[0]
    assert link.text == hotline and link.get_attribute("href") == "tel:" + re.sub(r"[ -]", "", hotline)
    # a lead number or a long digit run is not a phone number
    assert not page.execute_script("return Array.from(document.querySelectorAll('a.tel')).some(a => /L\\d/.test(a.textContent))")


def _luminance(rgb):
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(int(x)) for x in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg: str, bg: str) -> float:
    a, b = (_luminance(re.findall(r"\d+", c)[:3]) for c in (fg, bg))
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


def test_a_failed_send_is_kept_with_retry_in_readable_colours(page):
    idle(page)
    page.execute_cdp_cmd("Network.enable", {})
    page.execute_cdp_cmd("Network.emulateNetworkConditions",
                         {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    try:
        send(page, "这条消息会发送失败")
        notice = wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, ".failed-notice"))[0]
    finally:
        page.execute_cdp_cmd("Network.emulateNetworkConditions",
                             {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    assert bubbles(page, "user")[-1] == "这条消息会发送失败"
    assert page.find_elements(By.CSS_SELECTOR, ".row.user .bubble.failed")
    colours = page.execute_script("const s = getComputedStyle(arguments[0]); return [s.color, s.backgroundColor];", notice)
    assert contrast(*colours) >= 4.5, colours
    retry = notice.find_element(By.CSS_SELECTOR, "button.retry")
    assert retry.text == "重试"
    retry.click()
    wait(page, lambda d: not d.find_elements(By.CSS_SELECTOR, ".failed-notice") and len(bubbles(d, "bot")) == 2)
    assert bubbles(page, "user") == ["这条消息会发送失败"]  # sent again, not drawn twice
    assert not page.find_elements(By.CSS_SELECTOR, ".bubble.failed")


def test_the_newest_message_stays_in_view_when_the_window_shrinks(page, tmp_path):
    for i in range(6):
        idle(page)
        send(page, f"第{i}个问题:园区有食堂吗")
    wait(page, lambda d: len(bubbles(d, "bot")) == 7)
    idle(page)
    at_bottom = "const l = document.getElementById('log'); return l.scrollTop + l.clientHeight >= l.scrollHeight - 4;"
    assert page.execute_script(at_bottom)
    width, height = WINDOW_SIZE
    try:
        page.set_window_size(width, height // 2)  # e.g. the keyboard opened
        wait(page, lambda d: d.execute_script(at_bottom))
        page.save_screenshot(str(tmp_path / "chat-phone-short.png"))
    finally:
        page.set_window_size(width, height)
    page.save_screenshot(str(tmp_path / "chat-phone.png"))
