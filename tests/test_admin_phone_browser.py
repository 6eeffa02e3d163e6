"""``/admin`` on a phone-sized headless Chromium: sign-in returns to the page asked for, the lead
list reads as cards with no sideways scrolling, notes/assignee/status forms work and keep their
notice in view, search, unanswered questions resolved, charts drawn. Screenshots go to tmp_path."""
from __future__ import annotations

import pytest

from bot import create_app
from bot.store.accounts import Accounts
from bot.store.connection import get_keys, get_redis
from tests.support.browser import browser, live_server, page_wait  # noqa: F401  (fixture)

TOKEN = "phone-admin-token-42"
PAYLOAD = "<img src=x onerror=alert(1)>"
WINDOW_SIZE = (390, 844)  # a phone: read by the browser fixture


@pytest.fixture
def served(app_config, redis_client):
    app = create_app({**app_config, "ADMIN_TOKEN": TOKEN})
    Accounts(get_redis(app), get_keys(app)).add("李娜", "correct-horse-9")
    with live_server(app) as base:
        yield app, base


def in_view(driver, element_id) -> bool:
    return driver.execute_script(
        "const r = document.getElementById(arguments[0]).getBoundingClientRect();"
        "return r.top >= 0 && r.bottom <= window.innerHeight;", element_id)


def test_admin_on_a_phone(browser, served, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.select import Select

    app, base = served
    leads = app.extensions["parkbot.leads"]
    kb = app.extensions["parkbot.knowledge"].current()
    made = []
    for i in range(6):
        made.append(leads.submit(
            form_id=f"p{i}", openid=f"o-p{i}", listings=[kb.listings[0].id], source="qr:expo" if i % 2 else "wechat",
            fields={"need": "租2000平厂房", "type": "factory", "deal": "rent", "company": PAYLOAD if i == 5 else f"公司{i}",
                    "contact": "王经理", "phone": f"1390000000{i}"},
            transcript=[{"t": 1_795_000_000 + i, "who": "user", "text": f"第{i}位的问题"}]))
    app.extensions["parkbot.unanswered"].record("食堂几点开饭", "食堂几点开饭")
    wait = page_wait(browser)

    # asked for a lead's page while signed out: after signing in, that page
    browser.get(f"{base}/admin/leads/{made[0]}")
    wait.until(ec.presence_of_element_located((By.ID, "name"))).send_keys("李娜")
    browser.find_element(By.ID, "token").send_keys("correct-horse-9")
    browser.find_element(By.ID, "login-submit").click()
    wait.until(ec.presence_of_element_located((By.ID, "note-form")))
    assert browser.current_url == f"{base}/admin/leads/{made[0]}"
    assert "当前登录:李娜" in browser.find_element(By.ID, "signed-in-as").text
    fields = browser.find_element(By.CSS_SELECTOR, "dl.fields").text
    assert "厂房" in fields and "租赁" in fields and kb.listings[0].title in fields
    assert "factory" not in fields and kb.listings[0].id not in fields

    # a note and an assignee, each with the who and the notice in view
    browser.find_element(By.ID, "note").send_keys("已电话联系,周三看厂房")
    browser.find_element(By.ID, "note-submit").click()
    wait.until(ec.presence_of_element_located((By.ID, "done")))
    assert in_view(browser, "done") and "已为线索" in browser.find_element(By.ID, "done").text
    notes = browser.find_element(By.ID, "notes").text
    assert "李娜" in notes and "已电话联系,周三看厂房" in notes
    box = browser.find_element(By.CSS_SELECTOR, "#assign-form input[name=assignee]")
    box.clear()
    box.send_keys("王强")
    browser.find_element(By.CSS_SELECTOR, "#assign-form button").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "assignee"), "王强"))
    assert "跟进人:未分配 → 王强" in browser.find_element(By.ID, "history").text

    # the list: cards, nothing wider than the screen
    browser.get(f"{base}/admin/")
    card = wait.until(ec.presence_of_element_located((By.ID, f"lead-{made[1]}")))
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    assert browser.execute_script("return getComputedStyle(arguments[0]).display", card) == "block"
    assert not browser.find_element(By.CSS_SELECTOR, "table.leads thead").is_displayed()
    assert "公司1" in card.text
    labels = browser.execute_script(
        "return Array.from(arguments[0].querySelectorAll('td[data-label]'), td => getComputedStyle(td, '::before').content)",
        card)
    assert any("手机号" in label for label in labels) and any("公司" in label for label in labels)  # each value labelled
    hostile = browser.find_element(By.ID, f"lead-{made[5]}")
    assert PAYLOAD in hostile.text and browser.find_elements(By.TAG_NAME, "img") == []
    browser.save_screenshot(str(tmp_path / "admin-leads-phone.png"))

    # a status change from a card: the notice says so, in view
    card = browser.find_element(By.ID, f"lead-{made[2]}")
    Select(card.find_element(By.NAME, "status")).select_by_value("contacted")
    card.find_element(By.CSS_SELECTOR, ".status-form button").click()
    notice = wait.until(ec.presence_of_element_located((By.ID, "done")))
    assert made[2] in notice.text and "已联系" in notice.text and in_view(browser, "done")
    assert leads.get(made[2])["status"] == "contacted"

    # search by phone, then a source filter
    search = browser.find_element(By.ID, "q")
    search.clear()
    search.send_keys("13900000003")
    browser.find_element(By.ID, "search-submit").click()
    wait.until(lambda b: not b.find_elements(By.ID, f"lead-{made[1]}"))
    assert browser.find_elements(By.ID, f"lead-{made[3]}") and "共 1 条线索" in browser.find_element(By.ID, "found").text
    browser.get(f"{base}/admin/")
    Select(wait.until(ec.presence_of_element_located((By.ID, "f-source")))).select_by_value("qr:expo")
    browser.find_element(By.ID, "search-submit").click()
    wait.until(lambda b: not b.find_elements(By.ID, f"lead-{made[0]}"))
    shown = {e.get_attribute("id") for e in browser.find_elements(By.CSS_SELECTOR, "tr[id^=lead-]")}
    assert shown == {f"lead-{made[i]}" for i in (1, 3, 5)}

    # numbers: SVG bars drawn in the page
    assert len(browser.find_elements(By.CSS_SELECTOR, "#chart-days rect")) == 30
    assert len(browser.find_elements(By.CSS_SELECTOR, "#chart-sources rect")) == 2

    # an unanswered question resolved by an FAQ entry
    browser.get(f"{base}/admin/#unanswered")
    row = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "tr.open-question")))
    row.find_element(By.CSS_SELECTOR, ".resolve-form button").click()
    wait.until(ec.presence_of_element_located((By.ID, "done")))
    assert not browser.find_elements(By.CSS_SELECTOR, "tr.open-question")
    assert app.extensions["parkbot.unanswered"].items()[0]["state"] == "resolved"
