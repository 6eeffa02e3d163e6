"""``/admin`` in a real browser: headless Chromium (Debian ``chromium`` + ``chromium-driver``) via selenium.

The app is served on 127.0.0.1 by werkzeug in a thread. A person logs in through the form,
sees the leads, changes one's status with the form and sees the change; a company name that
is an HTML payload shows as text. Missing browser pieces FAIL the test (they are part of the
test environment), with a message saying what to install.
"""
from __future__ import annotations

import pytest

from bot import create_app
from tests.support.browser import browser, live_server, page_wait  # noqa: F401  (fixture)

TOKEN = "browser-admin-token-42"
PAYLOAD = "<img src=x onerror=alert(1)>"
SCREENSHOT = "/tmp/admin.png"
WINDOW_SIZE = (1400, 1100)  # read by the browser fixture


@pytest.fixture
def served(app_config, redis_client):
    app = create_app({**app_config, "ADMIN_TOKEN": TOKEN})
    with live_server(app) as base:
        yield app, base


def test_admin_in_a_browser(browser, served):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.select import Select

    app, base = served
    leads = app.extensions["parkbot.leads"]
    transcript = [{"t": 1_795_000_000, "who": "user", "text": "我想租2000平厂房"}]
    plain = leads.submit(form_id="b1", openid="o-b1", fields={"need": "租2000平厂房", "company": "海智源公司",
                                                              "contact": "王经理", "phone": "13912345678"},
                         listings=[], transcript=transcript, source="wechat")
    hostile = leads.submit(form_id="b2", openid="o-b2", fields={"need": "买20亩地", "company": PAYLOAD,
                                                                "contact": '" onmouseover="alert(2)', "phone": "13800000000"},
                           listings=[], transcript=[{"t": 1_795_000_100, "who": "user", "text": PAYLOAD}], source="web")
    app.extensions["parkbot.unanswered"].record("食堂好吃吗", "食堂好吃吗")
    wait = page_wait(browser)

    # not logged in: the login form, and a wrong token says so
    browser.get(base + "/admin/")
    token = wait.until(ec.presence_of_element_located((By.ID, "token")))
    token.send_keys("wrong-token-000")
    browser.find_element(By.ID, "login-submit").click()
    # the login page already has this element: wait for the new page's text, not its presence
    assert wait.until(ec.text_to_be_present_in_element((By.ID, "login-message"), "令牌不正确"))

    browser.find_element(By.ID, "token").send_keys(TOKEN)
    browser.find_element(By.ID, "login-submit").click()
    row = wait.until(ec.presence_of_element_located((By.ID, f"lead-{plain}")))
    assert "海智源公司" in row.text and "新线索" in row.find_element(By.CLASS_NAME, "status").text

    # the payload is text, not markup: no image, no alert, the attribute stays inside its value
    bad_row = browser.find_element(By.ID, f"lead-{hostile}")
    assert bad_row.find_element(By.CLASS_NAME, "company").text == PAYLOAD
    assert browser.find_elements(By.TAG_NAME, "img") == []
    assert browser.find_elements(By.CSS_SELECTOR, "[onmouseover], [onerror]") == []
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018  (raises when no alert is open)
    assert "食堂好吃吗" in browser.find_element(By.ID, "unanswered").text

    # change the status with the row's own form
    Select(row.find_element(By.NAME, "status")).select_by_value("contacted")
    row.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    notice = wait.until(ec.presence_of_element_located((By.ID, "done")))
    assert plain in notice.text and "已联系" in notice.text
    row = browser.find_element(By.ID, f"lead-{plain}")
    assert "已联系" in row.find_element(By.CLASS_NAME, "status").text
    assert leads.get(plain)["status"] == "contacted"
    assert browser.find_element(By.ID, "stat-contacted").text == "1"
    height = browser.execute_script("window.scrollTo(0, 0); return document.documentElement.scrollHeight;")
    browser.set_window_size(1400, min(int(height) + 140, 4000))  # the whole page in one picture
    browser.save_screenshot(SCREENSHOT)

    # the filter shows only that lead; the detail page shows the hostile transcript as text
    Select(browser.find_element(By.ID, "f-status")).select_by_value("contacted")
    browser.find_element(By.ID, "search-submit").click()
    # the unfiltered page has the same row: wait for the other one to go, not for this one
    assert wait.until(lambda b: not b.find_elements(By.ID, f"lead-{hostile}"))
    assert browser.find_elements(By.ID, f"lead-{plain}")
    browser.get(f"{base}/admin/leads/{hostile}")
    transcript_box = wait.until(ec.presence_of_element_located((By.ID, "transcript")))
    assert PAYLOAD in transcript_box.text and browser.find_elements(By.TAG_NAME, "img") == []

    # logging out ends the session
    browser.find_element(By.ID, "logout").click()
    wait.until(ec.presence_of_element_located((By.ID, "token")))
    browser.get(base + "/admin/")
    assert browser.find_elements(By.ID, "token") and not browser.find_elements(By.ID, f"lead-{plain}")
