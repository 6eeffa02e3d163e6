"""``/admin``: auth (bearer, login form, cookie, CSRF), the page, the JSON API, CSV, escaping — on real Redis."""
from __future__ import annotations

import csv
import io
import re

import pytest

from bot import create_app
from bot.store.funnel import Funnel

TOKEN = "admin-token-for-tests-0123"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
XSS = "<script>alert(1)</script>"
ATTR = '" onmouseover="alert(1)'
FORMULAS = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)"]


@pytest.fixture
def admin_app(app_config, redis_client):
    return create_app({**app_config, "ADMIN_TOKEN": TOKEN})


@pytest.fixture
def web(admin_app):
    return admin_app.test_client()


@pytest.fixture
def leads(admin_app):
    return admin_app.extensions["parkbot.leads"]


def submit(leads, form_id, **fields):
    base = {"need": "租2000平厂房", "industry": "海洋生物", "tax": "300万", "company": "海智源公司",
            "contact": "王经理", "phone": "13912345678"}
    return leads.submit(form_id=form_id, openid=f"o-{form_id}", fields={**base, **fields}, listings=["scc-a3-12f"],
                        transcript=[{"t": 1_795_000_000, "who": "user", "text": "我想租2000平厂房"},
                                    {"t": 1_795_000_010, "who": "bot", "text": "好的"}], source="wechat")


def admin_title_of(listing_id):
    from bot.knowledge.loader import load_knowledge
    from tests.conftest import KNOWLEDGE

    return load_knowledge(KNOWLEDGE).listing_by_id[listing_id].title


def login(web, token=TOKEN):
    return web.post("/admin/login", data={"token": token})


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page carries no CSRF token"
    return found.group(1)


# --- auth ------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/admin", "/admin/", "/admin/login", "/admin/api/stats", "/admin/leads.csv",
                                  "/admin/static/admin.css", "/admin/api/leads/L20260101-0001"])
def test_disabled_without_admin_token(client, path):
    assert client.get(path).status_code == 404
    assert client.post("/admin/login", data={"token": "anything-at-all"}).status_code == 404


@pytest.mark.parametrize("path", ["/admin", "/admin/", "/admin/api/leads", "/admin/api/stats", "/admin/leads.csv",
                                  "/admin/api/unanswered", "/admin/leads/L20260101-0001"])
def test_no_token_is_401(web, path):
    response = web.get(path)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", [f"Bearer {TOKEN}x", "Bearer ", f"Basic {TOKEN}", TOKEN, f"Bearer {TOKEN[:-1]}"])
def test_wrong_token_is_401(web, header):
    response = web.get("/admin/api/stats", headers={"Authorization": header})
    assert response.status_code == 401 and "error" in response.json
    assert web.get("/admin/", headers={"Authorization": header}).status_code == 401


def test_bearer_opens_page_and_api(web, leads, admin_app):
    number = submit(leads, "f1")
    page = web.get("/admin/", headers=BEARER)
    assert page.status_code == 200 and number in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store" and "default-src 'none'" in page.headers["Content-Security-Policy"]
    stats = web.get("/admin/api/stats", headers=BEARER).json
    assert stats["leads"] == 1 and stats["by_status"]["new"] == 1 and stats["outbox_pending"] == 1
    version = admin_app.extensions["parkbot.knowledge"].current().version
    assert stats["dead_letters"] == 0 and version and stats["knowledge"]["version"] == version


def test_login_form_cookie_and_logout(web, leads):
    number = submit(leads, "f1")
    form = web.get("/admin/login")
    assert form.status_code == 200 and 'name="token"' in form.get_data(as_text=True)

    wrong = login(web, "not-the-token")
    assert wrong.status_code == 401 and "令牌不正确" in wrong.get_data(as_text=True)
    assert web.get_cookie("parkbot_admin", path="/admin") is None

    ok = login(web)
    assert ok.status_code == 303 and ok.headers["Location"].startswith("/admin")
    cookie = ok.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/admin" in cookie
    assert TOKEN not in cookie
    page = web.get("/admin/")
    assert page.status_code == 200 and number in page.get_data(as_text=True)
    assert web.get("/admin/api/stats").status_code == 200  # the signed-in session reads the API too

    bye = web.post("/admin/logout", data={"csrf": csrf_of(page.get_data(as_text=True))})
    assert bye.status_code == 303 and "/admin/login" in bye.headers["Location"]
    assert web.get("/admin/").status_code == 401
    assert web.get("/admin/api/stats").status_code == 401


def test_forged_or_foreign_cookie_is_refused(web, admin_app, app_config, redis_client):
    web.set_cookie("parkbot_admin", "eyJjc3JmIjoieCJ9.forged.signature", path="/admin")
    assert web.get("/admin/").status_code == 401
    other = create_app({**app_config, "ADMIN_TOKEN": "another-token-entirely"}).test_client()
    login(other)  # wrong token for that app: no cookie
    assert other.get("/admin/").status_code == 401
    assert login(other, "another-token-entirely").status_code == 303
    web.set_cookie("parkbot_admin", other.get_cookie("parkbot_admin", path="/admin").value, path="/admin")
    assert web.get("/admin/").status_code == 401  # signed with another token's key


def test_logout_needs_csrf(web):
    login(web)
    assert web.post("/admin/logout", data={}).status_code == 400
    assert web.get("/admin/").status_code == 200


# --- the page ------------------------------------------------------------------------------
def test_status_filter(web, leads):
    first = submit(leads, "f1", company="甲公司")
    second = submit(leads, "f2", company="乙公司", phone="13700000002")
    leads.set_status(first, "contacted")
    login(web)
    new = web.get("/admin/?status=new").get_data(as_text=True)
    assert second in new and first not in new
    contacted = web.get("/admin/?status=contacted").get_data(as_text=True)
    assert first in contacted and second not in contacted
    everything = web.get("/admin/").get_data(as_text=True)
    assert first in everything and second in everything
    assert web.get("/admin/?status=bogus").status_code == 400
    api = web.get("/admin/api/leads?status=contacted", headers=BEARER).json
    assert [lead["number"] for lead in api["items"]] == [first] and api["total"] == 1


def test_status_change_by_form_needs_csrf(web, leads):
    number = submit(leads, "f1")
    login(web)
    token = csrf_of(web.get("/admin/").get_data(as_text=True))
    assert web.post(f"/admin/leads/{number}/status", data={"status": "closed"}).status_code == 400
    assert web.post(f"/admin/leads/{number}/status", data={"status": "closed", "csrf": "x" + token}).status_code == 400
    assert leads.get(number)["status"] == "new"

    done = web.post(f"/admin/leads/{number}/status", data={"status": "contacted", "csrf": token, "back": "?status=new"})
    assert done.status_code == 303 and "status=new" in done.headers["Location"]
    assert leads.get(number)["status"] == "contacted"
    after = web.get(done.headers["Location"]).get_data(as_text=True)
    assert "已联系" in after  # the confirmation names the new status
    assert number in web.get("/admin/?status=contacted").get_data(as_text=True)

    for bad in ("lost", "all", ""):
        assert web.post(f"/admin/leads/{number}/status", data={"status": bad, "csrf": token}).status_code == 400
    assert web.post("/admin/leads/L20990101-0001/status", data={"status": "closed", "csrf": token}).status_code == 404
    assert leads.get(number)["status"] == "contacted"


def test_status_change_by_api(web, leads):
    number = submit(leads, "f1")
    url = f"/admin/api/leads/{number}/status"
    ok = web.post(url, json={"status": "closed"}, headers=BEARER)
    assert ok.status_code == 200 and ok.json == {"number": number, "status": "closed"}
    assert leads.get(number)["status"] == "closed" and leads.stats()["by_status"]["closed"] == 1

    for body, status in [({"status": "lost"}, 400), ({"status": "all"}, 400), ({"status": ""}, 400),
                         ({"state": "new"}, 400), ({"status": 3}, 400), ([], 400)]:
        response = web.post(url, json=body, headers=BEARER)
        assert response.status_code == status and response.json["error"]
    malformed = web.post(url, data="{not json", headers={**BEARER, "Content-Type": "application/json"})
    assert malformed.status_code == 400 and "JSON" in malformed.json["error"]
    unknown = web.post("/admin/api/leads/L20990101-0001/status", json={"status": "new"}, headers=BEARER)
    assert unknown.status_code == 404 and "L20990101-0001" in unknown.json["error"]
    assert web.post(url, json={"status": "new"}).status_code == 401  # no bearer
    assert leads.get(number)["status"] == "closed" and leads.stats()["leads"] == 1


def test_api_lead_detail_and_list(web, leads):
    number = submit(leads, "f1")
    detail = web.get(f"/admin/api/leads/{number}", headers=BEARER).json
    assert detail["company"] == "海智源公司" and detail["created"].endswith("+08:00")
    assert [x["id"] for x in detail["listings"]] == ["scc-a3-12f"] and detail["listings"][0]["title"]
    assert detail["transcript"][0]["text"] == "我想租2000平厂房"
    assert web.get("/admin/api/leads/L20990101-0001", headers=BEARER).status_code == 404
    assert web.get("/admin/api/leads?status=lost", headers=BEARER).status_code == 400
    assert web.get("/admin/api/leads?per_page=0", headers=BEARER).status_code == 400
    assert web.get("/admin/api/leads?per_page=1", headers=BEARER).json["total"] == 1


def test_lead_detail_page(web, leads):
    number = submit(leads, "f1", extra_note="备注")
    login(web)
    page = web.get(f"/admin/leads/{number}").get_data(as_text=True)
    title = admin_title_of("scc-a3-12f")
    for text in ("海智源公司", "王经理", "13912345678", "海洋生物", "300万", title, "我想租2000平厂房",
                 "o-f1", "extra_note", "备注"):
        assert text in page
    assert "scc-a3-12f" not in page  # listings by title, never by id
    assert web.get("/admin/leads/L20990101-0001").status_code == 404


def test_unanswered_listed_with_counts(web, admin_app):
    log = admin_app.extensions["parkbot.unanswered"]
    for _ in range(3):
        log.record("你们食堂好吃吗", "你们食堂好吃吗")
    log.record(XSS, XSS)
    login(web)
    page = web.get("/admin/").get_data(as_text=True)
    row = re.search(r"你们食堂好吃吗</td>\s*<td[^>]*>(\d+)</td>", page)
    assert row and row.group(1) == "3"
    api = web.get("/admin/api/unanswered", headers=BEARER).json["items"]
    assert api[0]["text"] == "你们食堂好吃吗" and api[0]["count"] == 3 and api[0]["last_seen"].endswith("+08:00")
    assert api[0]["state"] == "open"
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_funnel_and_stats_on_page(web, admin_app, leads):
    funnel = Funnel(admin_app.extensions["parkbot.redis"], admin_app.extensions["parkbot.keys"])
    for stage, n in [("conversations", 5), ("searches", 3), ("forms_started", 2), ("forms_submitted", 1)]:
        funnel.hit(stage, n)
    with pytest.raises(ValueError):
        funnel.hit("bogus")
    submit(leads, "f1")
    login(web)
    page = web.get("/admin/").get_data(as_text=True)
    assert re.search(r'id="funnel-conversations"><td>[^<]+</td><td class="num">5</td>', page)
    assert 'id="stat-total">1<' in page and 'id="stat-outbox">1<' in page and 'id="stat-dead">0<' in page
    stats = web.get("/admin/api/stats", headers=BEARER).json
    assert stats["funnel"]["total"]["forms_submitted"] == 1 and stats["funnel"]["today"]["searches"] == 3


def test_knowledge_version_and_reload_error_shown(web, admin_app):
    holder = admin_app.extensions["parkbot.knowledge"]
    login(web)
    page = web.get("/admin/").get_data(as_text=True)
    assert holder.current().version in page and "知识库文件均已生效" in page
    holder.last_error, holder.last_error_at = "faq.yaml:3: <b>bad</b> indentation", 1_795_000_000.0
    page = web.get("/admin/").get_data(as_text=True)
    assert "faq.yaml:3: &lt;b&gt;bad&lt;/b&gt; indentation" in page and "<b>bad</b>" not in page


# --- escaping ----------------------------------------------------------------------------
def test_user_text_is_escaped_on_the_page(web, leads):
    number = submit(leads, "f1", company=XSS, contact=ATTR, need="<img src=x onerror=alert(1)>")
    leads.submit(form_id="f2", openid="o", fields={"company": "x"}, listings=[XSS],
                 transcript=[{"t": 1, "who": "user", "text": XSS}], source=ATTR)
    login(web)
    for url in ("/admin/", f"/admin/leads/{number}", "/admin/leads/" + leads.list()[0]["number"]):
        page = web.get(url).get_data(as_text=True)
        assert "<script>" not in page and "<img src=x" not in page
        assert ' onmouseover="alert(1)' not in page
    page = web.get("/admin/").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&#34; onmouseover=&#34;alert(1)" in page


def test_templates_never_mark_text_safe():
    from pathlib import Path

    for path in (Path(__file__).parents[1] / "bot" / "web" / "templates").glob("admin*.html"):
        assert "|safe" not in path.read_text(encoding="utf-8").replace(" ", ""), path


# --- CSV ---------------------------------------------------------------------------------
def test_csv_export_has_bom_and_neutralised_formulas(web, leads):
    first = submit(leads, "f1", company=FORMULAS[0], contact=FORMULAS[3], need=FORMULAS[1], industry=FORMULAS[2])
    second = submit(leads, "f2")
    leads.set_status(second, "closed")
    response = web.get("/admin/leads.csv", headers=BEARER)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.data
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))
    header = rows[0]
    assert header[:3] == ["线索编号", "提交时间", "状态"] and [r[0] for r in rows[1:]] == [second, first]
    row = dict(zip(header, rows[2]))
    assert row["公司"] == "'" + FORMULAS[0] and row["联系人"] == "'" + FORMULAS[3] and row["需求"] == "'" + FORMULAS[1]
    for r in rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in r)

    closed = web.get("/admin/leads.csv?status=closed", headers=BEARER).data
    closed_rows = list(csv.reader(io.StringIO(closed[3:].decode("utf-8"), newline="")))
    assert [r[0] for r in closed_rows[1:]] == [second]
    assert web.get("/admin/leads.csv?status=bogus", headers=BEARER).status_code == 400
    login(web)
    assert web.get("/admin/leads.csv").data.startswith(b"\xef\xbb\xbf")  # the page's link works with the cookie


# --- dead letters ------------------------------------------------------------------------
def dead_letter(leads, number):
    return leads.add_dead_letter({"job": f"lead:{number}", "kind": "lead", "number": number, "channel": "wecom",
                                  "attempts": "8", "error": "<b>HTTP 500</b>", "at": "1795000000.0", "entry": "0-1",
                                  "payload": f'["kind", "lead", "job", "lead:{number}", "number", "{number}"]'})


def test_dead_letter_requeue_by_form(web, leads, admin_app):
    number = submit(leads, "f1")
    entry = dead_letter(leads, number)
    outbox_before = leads.stats()["outbox_pending"]
    login(web)
    page = web.get("/admin/").get_data(as_text=True)
    assert f'id="dead-{entry}"' in page and "&lt;b&gt;HTTP 500&lt;/b&gt;" in page
    assert web.post(f"/admin/dead/{entry}/requeue", data={}).status_code == 400
    assert len(leads.dead_letters()) == 1
    done = web.post(f"/admin/dead/{entry}/requeue", data={"csrf": csrf_of(page)})
    assert done.status_code == 303
    assert leads.dead_letters() == [] and leads.stats()["outbox_pending"] == outbox_before + 1
    assert web.post(f"/admin/dead/{entry}/requeue", data={"csrf": csrf_of(page)}).status_code == 404
    assert web.post("/admin/dead/not-an-id/requeue", data={"csrf": csrf_of(page)}).status_code == 404


def test_dead_letter_requeue_by_api(web, leads):
    number = submit(leads, "f1")
    entry = dead_letter(leads, number)
    listed = web.get("/admin/api/dead-letters", headers=BEARER).json
    assert listed["count"] == 1 and listed["dead_letters"][0]["id"] == entry
    ok = web.post(f"/admin/api/dead-letters/{entry}/requeue", headers=BEARER)
    assert ok.status_code == 200 and ok.json["requeued"] == entry
    again = web.post(f"/admin/api/dead-letters/{entry}/requeue", headers=BEARER)
    assert again.status_code == 404 and again.json["error"]


def test_login_attempts_are_limited(web):
    for _ in range(20):
        assert login(web, "wrong-token-xx").status_code == 401
    throttled = login(web)
    assert throttled.status_code == 429 and "分钟后再试" in throttled.get_data(as_text=True)
    assert web.get("/admin/api/stats", headers=BEARER).status_code == 200  # scripts are unaffected
