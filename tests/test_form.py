"""The inquiry form end to end: through /wechat on real Redis, answers read as answers to the question asked."""
from __future__ import annotations

import re
import time

import pytest

from bot.form_spec import FORM
from bot.leads.render import Notice, plain_text, wecom_markdown
from tests.support.wechat import Platform

LEAD_NUMBER = re.compile(r"L\d{8}-\d{4}")


def slots(storage, openid) -> dict:
    return storage.load(openid).form["slots"]


def asking(storage, openid) -> str | None:
    state = storage.load(openid)
    return state.form.get("asking") if state.state == "form:asking" else None


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


def test_one_sentence_fills_everything_and_goes_to_confirmation(wechat, openid, msg, storage):
    text = wechat.say(openid, "我是海智源公司的王经理,想租2000平厂房做海洋生物,年税收300万左右,电话13912345678")
    assert msg("confirm_footer") in text and storage.load(openid).state == "form:confirm"
    assert slots(storage, openid)["contact"] == "王经理" and slots(storage, openid)["phone"] == "13912345678"


# --- the asked field comes first --------------------------------------------------------------------
@pytest.mark.parametrize("usage", ["新材料研发中试", "冷链仓储配送", "办公软件开发", "医疗器械研发生产"])
def test_a_usage_with_a_property_word_is_the_usage_and_leaves_the_need_alone(wechat, openid, storage, msg, usage):
    say_all(wechat, openid, "登记", "租1500平厂房")
    text = wechat.say(openid, usage)
    s = slots(storage, openid)
    assert s["industry"] == usage and s["need"] == "租1500平厂房" and s["need_detail"]["type"] == "factory"
    assert msg("ask_tax") in text


@pytest.mark.parametrize("word", ["好的", "是的", "嗯", "可以"])
def test_an_affirm_word_is_no_value_and_the_refusal_says_why(wechat, openid, storage, msg, word):
    say_all(wechat, openid, "登记", "租1500平厂房", "海洋生物", "300万")
    text = wechat.say(openid, word)  # asked for the company
    assert "company" not in slots(storage, openid) and asking(storage, openid) == "company"
    assert text == "\n".join((msg("form_not_an_answer", text=word, label=msg("field_company")), msg("invalid_company")))
    assert msg("ask_company") not in text


def test_a_phone_at_another_question_fills_the_phone_only_while_it_is_empty(wechat, openid, storage, msg):
    say_all(wechat, openid, "登记", "租1500平厂房")
    text = wechat.say(openid, "13912345678")
    assert msg("form_noted", fields=msg("field_phone")) in text and msg("ask_industry") in text
    wechat.say(openid, "13800001111")  # a second number never overwrites the first
    assert slots(storage, openid)["phone"] == "13912345678" and "industry" not in slots(storage, openid)


def test_a_name_next_to_a_phone_keeps_both(wechat, openid, storage):
    say_all(wechat, openid, "登记", "租1500平厂房", "海洋生物", "300万", "蓝海科技")
    wechat.say(openid, "李工,139 1234 5678")
    s = slots(storage, openid)
    assert s["contact"] == "李工" and s["phone"] == "13912345678"
    assert storage.load(openid).state == "form:confirm"


def test_an_office_without_a_size_is_asked_the_size_once_and_keeps_the_headcount(wechat, openid, storage, msg):
    wechat.say(openid, "登记")
    text = wechat.say(openid, "租办公室,十来个人办公")
    assert text == msg("ask_need_size")
    text = wechat.say(openid, "200平左右")
    s = slots(storage, openid)
    assert s["need_detail"]["area_sqm"] == 200 and "十来个人" in s["need"] and msg("ask_industry") in text


def test_not_sure_of_the_size_is_an_answer(wechat, openid, storage, msg):
    say_all(wechat, openid, "登记", "要个仓库")
    text = wechat.say(openid, "不确定")
    assert msg("ask_industry") in text and msg("need_area_unknown") in slots(storage, openid)["need"]


@pytest.mark.parametrize("answer, stored", [
    ("一两百万吧", [100, 200]), ("200到300万", [200, 300]), ("三百万", 300), ("一个亿", 10000),
    ("暂时保密", "unknown"), ("不方便说", "unknown"), ("不确定", "unknown"),
])
def test_tax_amounts_ranges_and_unknown(wechat, openid, storage, answer, stored):
    say_all(wechat, openid, "登记", "租1500平厂房", "海洋生物")
    wechat.say(openid, answer)
    assert slots(storage, openid)["tax"] == stored


@pytest.mark.parametrize("answer, stored", [
    ("王总", "王总"), ("李工", "李工"), ("小张", "小张"), ("姓王", "王"), ("叫我Tony就行", "Tony"),
    ("欧阳先生", "欧阳先生"), ("我叫张伟", "张伟"),
])
def test_contact_titles_surnames_and_english_names(wechat, openid, storage, answer, stored):
    say_all(wechat, openid, "登记", "租1500平厂房", "跳过", "跳过", "跳过")
    wechat.say(openid, answer)
    assert slots(storage, openid)["contact"] == stored


# --- bad input per field, and no loops ---------------------------------------------------------------
@pytest.mark.parametrize("field, before, bad, problem", [
    ("need", [], "两千平左右", "need_no_type"),
    ("industry", ["租1500平厂房"], "a", "form_too_short"),
    ("tax", ["租1500平厂房", "海洋生物"], "很多", "amount_unclear"),
    ("company", ["租1500平厂房", "海洋生物", "300万"], "好的", "form_not_an_answer"),
    ("contact", ["租1500平厂房", "海洋生物", "300万", "蓝海科技"], "123", "contact_unclear"),
    ("phone", ["租1500平厂房", "海洋生物", "300万", "蓝海科技", "王经理"], "1391234567", "phone_wrong"),
])
def test_bad_input_is_refused_with_a_reason_then_rephrased_with_a_way_out(wechat, openid, storage, msg, kb,
                                                                          field, before, bad, problem):
    say_all(wechat, openid, "登记", *before)
    spec_field = FORM.by_name[field]
    first = wechat.say(openid, bad)
    assert first.split("\n")[0] == msg(problem, label=msg(spec_field.label_key), text=bad, low=2, high=40)
    assert msg(spec_field.invalid_key) in first and msg(spec_field.ask_key) not in first
    second = wechat.say(openid, bad)
    assert msg(spec_field.retry_key) in second and kb.park.contacts.hotline in second
    assert (msg("form_way_out_skip") in second) is (not spec_field.required)
    assert first != second and asking(storage, openid) == field
    assert slots(storage, openid).get(field) is None


def test_a_mistyped_phone_never_gets_an_faq_answer(wechat, openid, msg, kb):
    say_all(wechat, openid, "登记", "租1500平厂房", "海洋生物", "300万", "蓝海科技", "王经理")
    for bad in ("0532-88888888", "139123456789", "1234"):
        text = wechat.say(openid, bad)
        assert text.startswith(msg("phone_wrong")), text
        assert not any(f.answer.strip()[:20] in text for f in kb.faqs)


def test_a_question_mid_form_is_answered_then_the_question_repeats(wechat, openid, msg, storage):
    say_all(wechat, openid, "登记", "租1500平厂房")
    text = wechat.say(openid, "园区有哪些优惠政策?")
    assert msg("back_to_form") in text and text.rstrip().endswith(msg("ask_industry"))
    assert "industry" not in slots(storage, openid)


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


# --- edits ----------------------------------------------------------------------------------------
FULL = ["登记", "租1500平厂房", "海洋生物", "300万", "蓝海科技", "王经理", "13912345678"]


@pytest.mark.parametrize("edit, field, value", [
    ("手机号错了,是13812345678", "phone", "13812345678"),
    ("电话改成 138 1234 5678", "phone", "13812345678"),
    ("13812345678", "phone", "13812345678"),
    ("公司名称更正为青岛蓝海科技有限公司", "company", "青岛蓝海科技有限公司"),
    ("联系人改为李总", "contact", "李总"),
    ("税收改成500万", "tax", 500),
    ("用途改成冷链仓储配送", "industry", "冷链仓储配送"),
])
def test_edits_at_confirmation_in_several_phrasings(wechat, openid, storage, msg, edit, field, value):
    say_all(wechat, openid, *FULL)
    text = wechat.say(openid, edit)
    assert msg("confirm_footer") in text and slots(storage, openid)[field] == value
    assert slots(storage, openid)["need"] == "租1500平厂房"


def test_edit_in_two_steps_then_back_to_the_summary(wechat, openid, storage, msg):
    say_all(wechat, openid, *FULL)
    assert msg("ask_company") in wechat.say(openid, "改一下公司")
    assert slots(storage, openid)["company"] == "蓝海科技"  # kept until the new value comes
    text = wechat.say(openid, "青岛蓝海新材料有限公司")
    assert msg("confirm_footer") in text and "青岛蓝海新材料有限公司" in text


# --- cancel, restart, resume ----------------------------------------------------------------------------
def test_cancel_restart_and_resume(wechat, openid, storage, msg, app):
    say_all(wechat, openid, "登记", "租1500平厂房")
    text = wechat.say(openid, "重新开始")
    assert msg("form_restarted") in text and slots(storage, openid) == {}
    wechat.say(openid, "买20亩工业用地")
    engine = app.extensions["parkbot.engine"]
    real_now = engine.now
    try:
        engine.now = lambda: real_now() + engine.resume_after + 60
        assert msg("form_resume_offer") in wechat.say(openid, "你好")
        text = wechat.say(openid, "继续")
        assert msg("ask_industry") in text and slots(storage, openid)["need_detail"]["type"] == "land"
    finally:
        engine.now = real_now
    assert wechat.say(openid, "取消") == msg("form_cancelled")
    assert storage.load(openid).form is None


def test_handoff_mid_form_keeps_the_form(wechat, openid, storage, kb):
    say_all(wechat, openid, "登记", "租1500平厂房")
    assert kb.park.contacts.hotline in wechat.say(openid, "人工")
    wechat.say(openid, "海洋生物")
    assert slots(storage, openid)["industry"] == "海洋生物"


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


def test_a_need_that_names_its_usage_and_a_cued_tax_fills_them_too(wechat, openid, storage, msg):
    wechat.say(openid, "登记")
    text = wechat.say(openid, "租2000平厂房 做新能源电池 年纳税大概500万")
    s = slots(storage, openid)
    assert s["need"] == "租2000平厂房" and s["industry"] == "新能源电池" and s["tax"] == 500
    assert msg("ask_company") in text


def test_a_complaint_about_a_filled_field_mid_form_asks_it_again(wechat, openid, storage, msg):
    say_all(wechat, openid, "登记", "租1500平厂房", "13912345678")  # the phone, given at the usage question
    text = wechat.say(openid, "13800001111")
    assert msg("form_already_filled", fields=msg("field_phone")) in text
    assert slots(storage, openid)["phone"] == "13912345678"
    text = wechat.say(openid, "手机号不对")
    assert msg("ask_phone") in text and asking(storage, openid) == "phone"
    wechat.say(openid, "13800001111")
    assert slots(storage, openid)["phone"] == "13800001111" and asking(storage, openid) == "industry"


def test_a_phone_given_to_the_size_question_is_noted_and_the_size_asked_again(wechat, openid, storage, msg):
    say_all(wechat, openid, "登记", "租办公室")
    text = wechat.say(openid, "13912345678")
    assert msg("form_noted", fields=msg("field_phone")) in text and msg("ask_need_size") in text
    wechat.say(openid, "300平")
    assert slots(storage, openid)["need_detail"]["area_sqm"] == 300 and asking(storage, openid) == "industry"


def test_a_conversation_stored_with_one_state_per_field_carries_on(wechat, openid, storage, msg):
    """Conversations saved before the form had one asking state resume at the same field."""
    storage.save(openid, {"state": "form:phone", "turn": 7, "form": {
        "id": "legacy-form", "slots": {"need": "租厂房 约2000㎡", "need_detail": {"type": "factory", "area_sqm": 2000},
                                       "industry": None, "tax": None, "company": None, "contact": "王经理"},
        "listings": [], "started": 0, "updated": time.time(), "editing": False}})
    text = wechat.say(openid, "13912345678")
    assert msg("confirm_footer") in text and slots(storage, openid)["phone"] == "13912345678"
