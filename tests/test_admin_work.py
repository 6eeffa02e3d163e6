"""The admin page as an office works on it, at the HTTP level on real Redis: search, filters,
paging, sorting, a lead's page in Chinese, notes, assignee, history, named accounts, sign-in,
unanswered questions, numbers and the JSON API — with bad input, CSRF and escaping for each."""
from __future__ import annotations

import re
import time

import pytest

from bot import create_app
from bot.store.accounts import Accounts
from tests.test_admin import BEARER, TOKEN, XSS, csrf_of, login

HOSTILE = '<img src=x onerror=alert(1)>"\''


@pytest.fixture
def admin_app(app_config, redis_client):
    return create_app({**app_config, "ADMIN_TOKEN": TOKEN})


@pytest.fixture
def web(admin_app):
    return admin_app.test_client()


@pytest.fixture
def leads(admin_app):
    return admin_app.extensions["parkbot.leads"]


@pytest.fixture
def accounts(admin_app, redis_client, keys):
    return Accounts(redis_client, keys)


def add(leads, form_id, *, source="wechat", listings=(), **fields):
    base = {"need": "租2000平厂房", "type": "factory", "deal": "rent", "area_sqm": 2000, "industry": "海洋生物",
            "tax": "300万", "company": f"{form_id}科技", "contact": "王经理", "phone": f"139{abs(hash(form_id)) % 10**8:08d}"}
    return leads.submit(form_id=form_id, openid=f"o-{form_id}", fields={**base, **fields}, listings=list(listings),
                        transcript=[{"t": time.time(), "who": "user", "text": f"{form_id} 你好"}], source=source)


def sign_in(web, accounts, name="李娜", password="correct-horse-9"):
    accounts.add(name, password)
    response = web.post("/admin/login", data={"name": name, "token": password})
    assert response.status_code == 303
    return csrf_of(web.get("/admin/").get_data(as_text=True))


def numbers_on(page: str) -> list[str]:
    return re.findall(r'<tr id="lead-(L[\d-]+)"', page)


# --- search, filters, paging, sorting -----------------------------------------------------
def test_search_by_phone_company_contact_and_number(web, leads):
    a = add(leads, "a", company="海智源生物有限公司", contact="张伟", phone="13912345678")
    b = add(leads, "b", company="青岛蓝海", contact="刘洋", phone="13800001111")
    login(web)
    for q, expected in [("12345678", [a]), ("139 1234 5678", [a]), ("海智源", [a]), ("ＨＡＩ", []),
                        ("刘洋", [b]), (b, [b]), (b.lower(), [b]), ("蓝海", [b]), ("不存在的公司", [])]:
        page = web.get("/admin/", query_string={"q": q}).get_data(as_text=True)
        assert numbers_on(page) == expected, q
        api = web.get("/admin/api/leads", query_string={"q": q}, headers=BEARER).json
        assert [x["number"] for x in api["items"]] == expected and api["total"] == len(expected)


def test_filters_status_source_assignee_and_dates(web, leads, admin_app):
    a, b, c = add(leads, "a", source="qr:expo"), add(leads, "b", source="wechat"), add(leads, "c", source="qr:expo")
    desk = __import__("bot.store.lead_desk", fromlist=["LeadDesk"]).LeadDesk(leads.r, leads.keys)
    desk.change(a, who="李娜", status="contacted", assignee="李娜")
    api = lambda **q: [x["number"] for x in web.get("/admin/api/leads", query_string=q, headers=BEARER).json["items"]]  # noqa: E731
    assert api(source="qr:expo") == [c, a]
    assert api(source="qr:expo", status="new") == [c]
    assert api(assignee="李娜") == [a]
    assert api(assignee="-") == [c, b]  # nobody assigned
    from datetime import datetime

    from bot.store.leads import SHANGHAI

    today = datetime.now(SHANGHAI).strftime("%Y-%m-%d")
    assert api(**{"from": today, "to": today}) == [c, b, a]
    assert api(**{"from": "2020-01-01", "to": "2020-01-31"}) == []
    assert api(**{"to": "2020-01-31"}) == []
    login(web)
    page = web.get("/admin/?source=qr:expo&status=new").get_data(as_text=True)
    assert numbers_on(page) == [c]
    assert '<option value="qr:expo" selected>' in page


def test_paging_and_sorting(web, leads):
    made = [add(leads, f"p{i}", company=f"{chr(0x4e00 + 20 - i)}公司") for i in range(7)]
    newest_first = list(reversed(made))
    got = web.get("/admin/api/leads?per_page=3&page=1", headers=BEARER).json
    assert got["total"] == 7 and [x["number"] for x in got["items"]] == newest_first[:3]
    assert [x["number"] for x in web.get("/admin/api/leads?per_page=3&page=3", headers=BEARER).json["items"]] == newest_first[6:]
    assert web.get("/admin/api/leads?per_page=3&page=9", headers=BEARER).json["items"] == []
    oldest = web.get("/admin/api/leads?sort=created&per_page=2", headers=BEARER).json
    assert [x["number"] for x in oldest["items"]] == made[:2]
    by_company = web.get("/admin/api/leads?sort=company&q=公司", headers=BEARER).json["items"]
    companies = [x["company"] for x in by_company]
    assert companies == sorted(companies) and len(companies) == 7
    login(web)
    page = web.get("/admin/?per_page=3&page=2").get_data(as_text=True)
    assert numbers_on(page) == newest_first[3:6]
    assert 'id="page-prev"' in page and 'id="page-next"' in page and "第 2 / 3 页" in page


@pytest.mark.parametrize("query, word", [
    ({"status": "lost"}, "状态"), ({"from": "2026-13-01"}, "日期"), ({"to": "yesterday"}, "日期"),
    ({"from": "2026-02-01", "to": "2026-01-01"}, "起始日期晚于截止日期"), ({"page": "0"}, "页码"),
    ({"page": "-1"}, "页码"), ({"page": "x"}, "页码"), ({"per_page": "201"}, "每页条数"), ({"per_page": "0"}, "每页条数"),
    ({"sort": "phone"}, "排序"), ({"q": "x" * 101}, "搜索词"), ({"source": "s" * 65}, "来源"),
    ({"assignee": "a" * 33}, "跟进人"),
])
def test_bad_search_parameters_are_clear_4xx(web, leads, query, word):
    add(leads, "a")
    api = web.get("/admin/api/leads", query_string=query, headers=BEARER)
    assert api.status_code == 400 and word in api.json["error"]
    login(web)
    page = web.get("/admin/", query_string=query)
    assert page.status_code == 400 and word in page.get_data(as_text=True)


# --- one lead ------------------------------------------------------------------------------
def test_lead_page_reads_in_chinese_with_listing_titles(web, leads, admin_app):
    kb = admin_app.extensions["parkbot.knowledge"].current()
    with_url = next((x for x in kb.listings if x.url), None)
    ids = [kb.listings[0].id, "gone-listing-id"] + ([with_url.id] if with_url else [])
    number = add(leads, "a", listings=ids)
    login(web)
    page = web.get(f"/admin/leads/{number}").get_data(as_text=True)
    for text in ("厂房", "租赁", "物业类型", "需求", "用途/行业", "预计年纳税", "手机号", kb.listings[0].title,
                 "已从房源库删除", "1 条消息"):
        assert text in page, text
    for raw in (">factory<", ">rent<", kb.listings[0].id, "gone-listing-id"):
        assert raw not in page, raw
    if with_url:
        assert f'href="{with_url.url}"' in page
    assert re.search(r'href="tel:139\d{8}"', page)


def test_notes_assignee_and_history_say_who_and_when(web, leads, accounts):
    number = add(leads, "a")
    csrf = sign_in(web, accounts)
    before = time.time()
    r = web.post(f"/admin/leads/{number}/assignee", data={"csrf": csrf, "assignee": "李娜", "view": "detail"})
    assert r.status_code == 303 and r.headers["Location"].endswith("#done")
    web.post(f"/admin/leads/{number}/notes", data={"csrf": csrf, "note": f"已电话联系 {XSS}", "view": "detail"})
    web.post(f"/admin/leads/{number}/status", data={"csrf": csrf, "status": "contacted", "view": "detail"})
    detail = web.get(f"/admin/api/leads/{number}", headers=BEARER).json
    assert detail["assignee"] == "李娜" and detail["status"] == "contacted"
    [note] = detail["notes"]
    assert note["who"] == "李娜" and note["text"].startswith("已电话联系") and note["t"] >= before - 1
    assert [(h["what"], h["from"], h["to"], h["who"]) for h in detail["history"]] == [
        ("assignee", "", "李娜", "李娜"), ("status", "new", "contacted", "李娜")]
    page = web.get(f"/admin/leads/{number}?done=note").get_data(as_text=True)
    assert XSS not in page and "&lt;script&gt;" in page
    assert "状态:新线索 → 已联系" in page and "跟进人:未分配 → 李娜" in page and 'id="done"' in page


@pytest.mark.parametrize("path, data", [
    ("assignee", {"assignee": "x" * 33}), ("assignee", {"assignee": "两行\n名字"}),
    ("notes", {"note": ""}), ("notes", {"note": "   "}), ("notes", {"note": "长" * 2001}),
    ("status", {"status": "lost"}), ("status", {}),
])
def test_bad_lead_forms_change_nothing(web, leads, accounts, path, data):
    number = add(leads, "a")
    csrf = sign_in(web, accounts)
    response = web.post(f"/admin/leads/{number}/{path}", data={"csrf": csrf, **data})
    assert response.status_code == 400 and "未做任何修改" in response.get_data(as_text=True)
    detail = web.get(f"/admin/api/leads/{number}", headers=BEARER).json
    assert detail["notes"] == [] and detail["history"] == [] and detail["assignee"] == "" and detail["status"] == "new"


@pytest.mark.parametrize("path, data", [("assignee", {"assignee": "李娜"}), ("notes", {"note": "hi"}),
                                        ("status", {"status": "closed"})])
def test_lead_forms_need_csrf(web, leads, accounts, path, data):
    number = add(leads, "a")
    csrf = sign_in(web, accounts)
    for forged in ({}, {"csrf": "x" + csrf}):
        assert web.post(f"/admin/leads/{number}/{path}", data={**forged, **data}).status_code == 400
    assert web.get(f"/admin/api/leads/{number}", headers=BEARER).json["history"] == []
    assert web.post(f"/admin/leads/L20990101-0001/{path}", data={"csrf": csrf, **data}).status_code == 404


# --- the JSON API --------------------------------------------------------------------------
def test_api_patch_changes_status_assignee_and_note(web, leads):
    number = add(leads, "a")
    r = web.patch(f"/admin/api/leads/{number}", json={"status": "contacted", "assignee": "王强", "note": "约了周三看厂房"},
                  headers=BEARER)
    assert r.status_code == 200
    body = r.json
    assert body["status"] == "contacted" and body["assignee"] == "王强" and body["notes"][0]["text"] == "约了周三看厂房"
    assert body["notes"][0]["who"] == "接口(令牌)" and {h["what"] for h in body["history"]} == {"status", "assignee"}
    for key in ("number", "created", "status", "need", "industry", "tax", "company", "contact", "phone", "source",
                "assignee", "listings", "transcript", "notes", "history", "repeat_of"):
        assert key in body, key
    listed = web.get("/admin/api/leads", headers=BEARER).json["items"][0]
    for key in ("number", "created", "status", "need", "industry", "tax", "company", "contact", "phone", "source",
                "assignee", "listings"):
        assert key in listed, key
    unassign = web.patch(f"/admin/api/leads/{number}", json={"assignee": None}, headers=BEARER).json
    assert unassign["assignee"] == ""


@pytest.mark.parametrize("body", [
    [], "text", {}, {"status": "lost"}, {"status": 1}, {"assignee": 5}, {"assignee": "x" * 33},
    {"assignee": "a\nb"}, {"note": ""}, {"note": " "}, {"note": 3}, {"note": "长" * 2001}, {"colour": "red"},
    {"status": "closed", "extra": 1},
])
def test_api_patch_bad_bodies_are_400_and_change_nothing(web, leads, body):
    number = add(leads, "a")
    r = web.patch(f"/admin/api/leads/{number}", json=body, headers=BEARER)
    assert r.status_code == 400 and r.json["error"]
    detail = web.get(f"/admin/api/leads/{number}", headers=BEARER).json
    assert (detail["status"], detail["assignee"], detail["notes"], detail["history"]) == ("new", "", [], [])


def test_api_patch_unknown_lead_malformed_json_and_auth(web, leads, accounts):
    number = add(leads, "a")
    assert web.patch("/admin/api/leads/L20990101-0001", json={"status": "closed"}, headers=BEARER).status_code == 404
    assert web.patch("/admin/api/leads/bad%20id", json={"status": "closed"}, headers=BEARER).status_code == 404
    bad = web.patch(f"/admin/api/leads/{number}", data="{nope", headers={**BEARER, "Content-Type": "application/json"})
    assert bad.status_code == 400 and "JSON" in bad.json["error"]
    assert web.patch(f"/admin/api/leads/{number}", json={"status": "closed"}).status_code == 401
    csrf = sign_in(web, accounts)  # a signed-in page's script must send its CSRF token
    assert web.patch(f"/admin/api/leads/{number}", json={"status": "closed"}).status_code == 403
    ok = web.patch(f"/admin/api/leads/{number}", json={"status": "closed"}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200 and ok.json["history"][0]["who"] == "李娜"


def test_api_unanswered_items_with_state(web, admin_app):
    log = admin_app.extensions["parkbot.unanswered"]
    for _ in range(2):
        log.record("食堂几点开饭", "食堂几点开饭")
    items = web.get("/admin/api/unanswered", headers=BEARER).json["items"]
    assert items == [{"text": "食堂几点开饭", "count": 2, "last_seen": items[0]["last_seen"], "state": "open",
                      "faq": None, "answered_by": None, "count_7d": 2, "count_30d": 2}]
    assert web.get("/admin/api/unanswered?state=bogus", headers=BEARER).status_code == 400
    assert web.get("/admin/api/unanswered?limit=0", headers=BEARER).status_code == 400


# --- unanswered questions -------------------------------------------------------------------
def test_unanswered_resolve_dismiss_reopen(web, admin_app, accounts):
    log = admin_app.extensions["parkbot.unanswered"]
    log.record("食堂几点开饭", "食堂几点开饭")
    log.record(XSS, XSS)
    faq = admin_app.extensions["parkbot.knowledge"].current().faqs[0].id
    csrf = sign_in(web, accounts)
    r = web.post("/admin/unanswered/state", data={"csrf": csrf, "key": "食堂几点开饭", "state": "resolved", "faq": faq})
    assert r.status_code == 303 and r.headers["Location"].endswith("#done")
    assert web.post("/admin/unanswered/state", data={"csrf": csrf, "key": XSS, "state": "dismissed"}).status_code == 303
    items = {i["text"]: i for i in web.get("/admin/api/unanswered", headers=BEARER).json["items"]}
    assert items["食堂几点开饭"]["state"] == "resolved" and items["食堂几点开饭"]["faq"] == faq
    assert items[XSS]["state"] == "dismissed"
    page = web.get("/admin/").get_data(as_text=True)
    assert "已处理的问题(2)" in page and XSS not in page and "李娜" in page
    web.post("/admin/unanswered/state", data={"csrf": csrf, "key": XSS, "state": "open"})
    assert {i["text"]: i["state"] for i in web.get("/admin/api/unanswered", headers=BEARER).json["items"]}[XSS] == "open"


@pytest.mark.parametrize("data, code", [
    ({"key": "食堂几点开饭", "state": "resolved", "faq": "no-such-faq"}, 400),
    ({"key": "食堂几点开饭", "state": "resolved"}, 400),
    ({"key": "食堂几点开饭", "state": "deleted"}, 400),
    ({"key": "从没问过的问题", "state": "dismissed"}, 404),
    ({"key": "", "state": "dismissed"}, 404),
])
def test_unanswered_bad_forms_change_nothing(web, admin_app, accounts, data, code):
    admin_app.extensions["parkbot.unanswered"].record("食堂几点开饭", "食堂几点开饭")
    csrf = sign_in(web, accounts)
    assert web.post("/admin/unanswered/state", data={"csrf": csrf, **data}).status_code == code
    assert web.post("/admin/unanswered/state", data={"key": "食堂几点开饭", "state": "dismissed"}).status_code == 400
    assert web.get("/admin/api/unanswered", headers=BEARER).json["items"][0]["state"] == "open"


def test_unanswered_counts_over_7_and_30_days(admin_app, redis_client, keys):
    from bot.store.unanswered import UnansweredLog

    clock = [time.time() - 20 * 86400]
    log = UnansweredLog(redis_client, keys, now=lambda: clock[0])
    log.record("停车收费吗", "停车收费吗")
    clock[0] = time.time() - 3 * 86400
    log.record("停车收费吗", "停车收费吗")
    clock[0] = time.time()
    log.record("停车收费吗", "停车收费吗")
    [item] = log.items()
    assert (item["count"], item["count_7d"], item["count_30d"]) == (3, 2, 3)


# --- escaping of everything a user or an admin typed -----------------------------------------
def test_every_typed_string_is_escaped_on_list_and_lead_page(web, leads, admin_app):
    number = add(leads, "a", source=HOSTILE, company=HOSTILE, contact=HOSTILE, need=HOSTILE, industry=HOSTILE)
    desk = __import__("bot.store.lead_desk", fromlist=["LeadDesk"]).LeadDesk(leads.r, leads.keys)
    desk.change(number, who=HOSTILE[:32], assignee=HOSTILE[:32], note=HOSTILE)
    admin_app.extensions["parkbot.unanswered"].record(HOSTILE, HOSTILE)
    login(web)
    for path in ("/admin/", f"/admin/leads/{number}", f"/admin/?source={HOSTILE}"):
        page = web.get(path).get_data(as_text=True)
        assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page, path


# --- numbers ------------------------------------------------------------------------------
def test_charts_are_inline_svg_with_the_counts(web, leads):
    for i in range(3):
        add(leads, f"s{i}", source="qr:expo")
    add(leads, "w", source="wechat")
    login(web)
    page = web.get("/admin/").get_data(as_text=True)
    days = page[page.index('id="chart-days"'):page.index('id="chart-sources"')]
    assert "<svg" in days and days.count("<rect") == 30 and 'data-count="4"' in days
    sources = page[page.index('id="chart-sources"'):page.index('id="funnel"')]
    assert re.search(r"qr:expo.*?data-count=\"3\"", sources, re.S) and re.search(r"wechat.*?data-count=\"1\"", sources, re.S)
    assert "<script" not in page  # drawn on the server: no script, nothing fetched from elsewhere
