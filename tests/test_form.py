"""The inquiry form end to end: through /wechat on real Redis, into a lead staff read, and across stored
conversations. How answers are read, refused and edited is test_form_logic.py (on the engine in memory)."""
from __future__ import annotations

import re
import time

from bot.leads.render import Notice, plain_text, wecom_markdown
from tests.support.engine_clock import engine_later
from tests.support.wechat import Platform

LEAD_NUMBER = re.compile(r"L\d{8}-\d{4}")


def slots(storage, openid) -> dict:
    return storage.load(openid).form.slots


def asking(storage, openid) -> str | None:
    state = storage.load(openid)
    return state.form.asking if state.state == "form:asking" else None


def say_all(wechat, openid, *texts) -> str:
    reply = ""
    for text in texts:
        reply = wechat.say(openid, text)
    return reply


def submit_lead(wechat, openid, leads) -> dict:
    done = wechat.say(openid, "确认")
    match = LEAD_NUMBER.search(done)
    assert match, done
    return leads.get(match.group(0))


# --- step by step ------------------------------------------------------------------------------
def test_step_by_step_numbers_each_question_and_staff_get_exactly_what_was_said(wechat, openid, msg, leads, kb):
    text = wechat.say(openid, "登记")
    assert msg("form_question", step=1, total=6, question=msg("ask_need")) in text
    text = wechat.say(openid, "租1500平厂房，层高8米以上")
    assert msg("form_question", step=2, total=6, question=msg("ask_industry")) in text
    text = wechat.say(openid, "新材料研发中试")
    assert msg("form_question", step=3, total=6, question=msg("ask_tax")) in text
    wechat.say(openid, "一两百万吧")
    wechat.say(openid, "公司还没注册，个人先来看看")
    wechat.say(openid, "免贵姓李")
    summary = wechat.say(openid, "139 1234 5678")
    assert summary.count("请核对") == 1
    assert msg("tax_range", low="100", high="200") in summary
    lead = submit_lead(wechat, openid, leads)
    fields = lead["fields"]
    assert fields["need"] == "租1500平厂房，层高8米以上" and fields["type"] == "factory" and fields["area_sqm"] == 1500
    assert fields["industry"] == "新材料研发中试" and fields["tax"] == msg("tax_range", low="100", high="200")
    assert fields["company"] == "公司还没注册，个人先来看看" and fields["contact"] == "李"
    assert fields["phone"] == "13912345678"
    # what staff read: Chinese labels and values, the user's words
    notice = Notice(kind="lead", job="j", number=lead["number"], fields=fields, listings=lead["listings"])
    markdown = wecom_markdown(notice, kb.messages)
    for label in ("field_need", "field_industry", "field_tax", "field_company", "field_contact", "field_phone"):
        assert msg(label) in markdown
    assert msg("type_factory") in markdown and "factory" not in markdown and "新材料研发中试" in markdown
    assert "层高8米以上" in plain_text(notice, kb.messages)


# --- skips ----------------------------------------------------------------------------------------
def test_optional_fields_skip_and_a_skipped_required_field_is_given_later(wechat, openid, msg, storage, leads):
    say_all(wechat, openid, "登记", "租1500平厂房", "跳过", "跳过", "暂时保密")
    assert slots(storage, openid)["company"] is None
    text = wechat.say(openid, "跳过")  # the contact: required, but may come later
    assert msg("form_skipped_required", field=msg("field_contact")) in text
    summary = wechat.say(openid, "13912345678")
    assert msg("confirm_missing", fields=msg("field_contact")) in summary and msg("field_missing") in summary
    text = wechat.say(openid, "确认")  # not yet: it asks for what is missing
    assert LEAD_NUMBER.search(text) is None and msg("ask_contact") in text
    summary = wechat.say(openid, "王经理")
    assert msg("confirm_footer") in summary
    lead = submit_lead(wechat, openid, leads)
    assert lead["fields"]["contact"] == "王经理" and "company" not in lead["fields"]


FULL = ["登记", "租1500平厂房", "海洋生物", "300万", "蓝海科技", "王经理", "13912345678"]  # a whole form, step by step


# --- cancel, restart, resume ----------------------------------------------------------------------------
def test_cancel_restart_and_resume(wechat, openid, storage, msg, app):
    say_all(wechat, openid, "登记", "租1500平厂房")
    text = wechat.say(openid, "重新开始")
    assert msg("form_restarted") in text and slots(storage, openid) == {}
    wechat.say(openid, "买20亩工业用地")
    engine = app.extensions["parkbot.engine"]
    with engine_later(engine) as later:
        later(engine.resume_after + 60)
        assert msg("form_resume_offer") in wechat.say(openid, "你好")
        text = wechat.say(openid, "继续")
        assert msg("ask_industry") in text and slots(storage, openid)["need_detail"]["type"] == "land"
    assert wechat.say(openid, "取消") == msg("form_cancelled")
    assert storage.load(openid).form is None


# --- a listing carried into the lead ---------------------------------------------------------------------
def test_a_listing_carries_into_the_lead_and_staff_read_its_title(wechat, openid, leads, kb):
    wechat.say(openid, "求租800平左右单层厂房")
    details = wechat.say(openid, "1")
    title = details.split("【", 1)[1].split("】", 1)[0]
    say_all(wechat, openid, "想了解这个", "做汽车零部件", "跳过", "跳过", "王经理", "13912345678")
    lead = submit_lead(wechat, openid, leads)
    assert lead["fields"]["industry"] == "汽车零部件" and title in lead["fields"]["need"]
    notice = Notice(kind="lead", job="j", number=lead["number"], fields=lead["fields"], listings=lead["listings"])
    text = plain_text(notice, kb.messages)
    assert title in text and not any(x in text for x in lead["listings"])


def test_staff_csv_has_chinese_labels_and_values(wechat, openid, leads, kb):
    from bot.leads.export import header, row

    say_all(wechat, openid, *FULL)
    lead = submit_lead(wechat, openid, leads)
    cells = dict(zip(header(kb.messages), row(lead, kb.messages)))
    assert cells["用途/行业"] == "海洋生物" and cells["需求"] == "租1500平厂房"
    assert kb.messages.render("type_factory") in cells.values() and "factory" not in cells.values()


def test_users_apart_on_a_second_platform_client(app):
    a, b = Platform(app.test_client()), Platform(app.test_client())
    a.say("formA", "登记")
    b.say("formB", "登记")
    a.say("formA", "租2000平厂房")
    b.say("formB", "买20亩地")
    storage = app.extensions["parkbot.storage"]
    assert slots(storage, "formA")["need_detail"]["type"] == "factory"
    assert slots(storage, "formB")["need_detail"]["type"] == "land"
    storage.erase("formA")
    storage.erase("formB")


def test_the_admin_page_shows_a_form_lead_in_chinese(app_config, redis_client):
    from bot import create_app

    token = "admin-token-for-form-tests-01"
    app = create_app({**app_config, "ADMIN_TOKEN": token})
    wechat = Platform(app.test_client())
    wechat.say("admin-form-user", "求租800平左右单层厂房")
    details = wechat.say("admin-form-user", "1")
    title = details.split("【", 1)[1].split("】", 1)[0]
    for text in ("想了解这个", "冷链仓储配送", "跳过", "跳过", "王经理", "13912345678"):
        wechat.say("admin-form-user", text)
    number = LEAD_NUMBER.search(wechat.say("admin-form-user", "确认")).group(0)
    lead = app.extensions["parkbot.leads"].get(number)
    page = app.test_client().get(f"/admin/leads/{number}", headers={"Authorization": f"Bearer {token}"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    kb = app.extensions["parkbot.knowledge"].current()
    assert kb.messages.render("type_factory") in html and kb.messages.render("deal_rent") in html
    assert ">factory<" not in html and ">rent<" not in html and "listing_titles" not in html
    assert title in html and not any(f"<code>{x}</code>" in html for x in lead["listings"])
    app.extensions["parkbot.storage"].erase("admin-form-user")


def test_a_conversation_stored_with_one_state_per_field_carries_on(wechat, openid, storage, msg):
    """Conversations saved before the form had one asking state resume at the same field."""
    storage.save(openid, {"state": "form:phone", "turn": 7, "form": {
        "id": "legacy-form", "slots": {"need": "租厂房 约2000㎡", "need_detail": {"type": "factory", "area_sqm": 2000},
                                       "industry": None, "tax": None, "company": None, "contact": "王经理"},
        "listings": [], "started": 0, "updated": time.time(), "editing": False}})
    text = wechat.say(openid, "13912345678")
    assert msg("confirm_footer") in text and slots(storage, openid)["phone"] == "13912345678"
