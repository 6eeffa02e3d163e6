"""The inquiry form's logic: answers read as answers to the question asked, refusals that say why,
edits. On the engine with storage kept in memory; the form end to end (through /wechat on real
Redis, into a lead) is test_form.py.
"""
from __future__ import annotations

import pytest

from bot.form_spec import FORM
from tests.test_form import FULL, asking, say_all, slots
from tests.support.memory_chat import kb, msg, storage  # noqa: F401 (fixtures on the in-memory chat)


def test_one_sentence_fills_everything_and_goes_to_confirmation(chat, openid, msg, storage):
    text = chat.say(openid, "我是海智源公司的王经理,想租2000平厂房做海洋生物,年税收300万左右,电话13912345678")
    assert msg("confirm_footer") in text and storage.load(openid).state == "form:confirm"
    assert slots(storage, openid)["contact"] == "王经理" and slots(storage, openid)["phone"] == "13912345678"


@pytest.mark.parametrize("usage", ["新材料研发中试", "冷链仓储配送", "办公软件开发", "医疗器械研发生产"])
def test_a_usage_with_a_property_word_is_the_usage_and_leaves_the_need_alone(chat, openid, storage, msg, usage):
    say_all(chat, openid, "登记", "租1500平厂房")
    text = chat.say(openid, usage)
    s = slots(storage, openid)
    assert s["industry"] == usage and s["need"] == "租1500平厂房" and s["need_detail"]["type"] == "factory"
    assert msg("ask_tax") in text


@pytest.mark.parametrize("word", ["好的", "是的", "嗯", "可以"])
def test_an_affirm_word_is_no_value_and_the_refusal_says_why(chat, openid, storage, msg, word):
    say_all(chat, openid, "登记", "租1500平厂房", "海洋生物", "300万")
    text = chat.say(openid, word)  # asked for the company
    assert "company" not in slots(storage, openid) and asking(storage, openid) == "company"
    assert text == "\n".join((msg("form_not_an_answer", text=word, label=msg("field_company")), msg("invalid_company")))
    assert msg("ask_company") not in text


def test_a_phone_at_another_question_fills_the_phone_only_while_it_is_empty(chat, openid, storage, msg):
    say_all(chat, openid, "登记", "租1500平厂房")
    text = chat.say(openid, "13912345678")
    assert msg("form_noted", fields=msg("field_phone")) in text and msg("ask_industry") in text
    chat.say(openid, "13800001111")  # a second number never overwrites the first
    assert slots(storage, openid)["phone"] == "13912345678" and "industry" not in slots(storage, openid)


def test_i_dont_know_at_the_company_skips_it_and_a_company_named_later_fills_it(chat, openid, storage, msg):
    say_all(chat, openid, "登记", "租1500平厂房", "海洋生物", "300万")
    text = chat.say(openid, "不知道")
    assert msg("ask_contact") in text and slots(storage, openid)["company"] is None
    say_all(chat, openid, "王经理")
    text = chat.say(openid, "青岛蓝海科技有限公司")  # remembered at the phone question: it fills the skipped one
    assert slots(storage, openid)["company"] == "青岛蓝海科技有限公司" and msg("ask_phone") in text


def test_an_edit_mid_form_says_what_changed_then_asks_on(chat, openid, storage, msg):
    say_all(chat, openid, "登记", "租1500平厂房 电话13912345678")
    text = chat.say(openid, "电话写错了，应该是13912345679")
    assert text.startswith(msg("form_changed", field=msg("field_phone"), value="13912345679"))
    assert msg("ask_industry") in text and slots(storage, openid)["phone"] == "13912345679"


@pytest.mark.parametrize("word, first", [("谢谢", "form_thanks"), ("好的谢谢", "form_thanks"), ("你是机器人吗", "identity")])
def test_thanks_or_who_are_you_mid_form_get_a_word_back_and_the_question_again(chat, openid, storage, msg, kb,
                                                                              word, first):
    chat.say(openid, "登记")
    text = chat.say(openid, word)
    said = msg(first, park=kb.park.name) if first == "identity" else msg(first)
    assert text.startswith(said) and msg("ask_need") in text
    assert storage.load(openid).form is not None  # the form goes on: 谢谢 is no 取消


def test_a_name_next_to_a_phone_keeps_both(chat, openid, storage):
    say_all(chat, openid, "登记", "租1500平厂房", "海洋生物", "300万", "蓝海科技")
    chat.say(openid, "李工,139 1234 5678")
    s = slots(storage, openid)
    assert s["contact"] == "李工" and s["phone"] == "13912345678"
    assert storage.load(openid).state == "form:confirm"


def test_an_office_without_a_size_is_asked_the_size_once_and_keeps_the_headcount(chat, openid, storage, msg):
    chat.say(openid, "登记")
    text = chat.say(openid, "租办公室,十来个人办公")
    assert text == msg("ask_need_size")
    text = chat.say(openid, "200平左右")
    s = slots(storage, openid)
    assert s["need_detail"]["area_sqm"] == 200 and "十来个人" in s["need"] and msg("ask_industry") in text


def test_not_sure_of_the_size_is_an_answer(chat, openid, storage, msg):
    say_all(chat, openid, "登记", "要个仓库")
    text = chat.say(openid, "不确定")
    assert msg("ask_industry") in text and msg("need_area_unknown") in slots(storage, openid)["need"]


@pytest.mark.parametrize("answer, stored", [
    ("一两百万吧", [100, 200]), ("200到300万", [200, 300]), ("三百万", 300), ("一个亿", 10000),
    ("暂时保密", "unknown"), ("不方便说", "unknown"), ("不确定", "unknown"),
])
def test_tax_amounts_ranges_and_unknown(chat, openid, storage, answer, stored):
    say_all(chat, openid, "登记", "租1500平厂房", "海洋生物")
    chat.say(openid, answer)
    assert slots(storage, openid)["tax"] == stored


@pytest.mark.parametrize("answer, stored", [
    ("王总", "王总"), ("李工", "李工"), ("小张", "小张"), ("姓王", "王"), ("叫我Tony就行", "Tony"),
    ("欧阳先生", "欧阳先生"), ("我叫张伟", "张伟"),
])
def test_contact_titles_surnames_and_english_names(chat, openid, storage, answer, stored):
    say_all(chat, openid, "登记", "租1500平厂房", "跳过", "跳过", "跳过")
    chat.say(openid, answer)
    assert slots(storage, openid)["contact"] == stored


@pytest.mark.parametrize("field, before, bad, problem", [
    ("need", [], "两千平左右", "need_no_type"),
    ("industry", ["租1500平厂房"], "a", "form_too_short"),
    ("tax", ["租1500平厂房", "海洋生物"], "很多", "amount_unclear"),
    ("company", ["租1500平厂房", "海洋生物", "300万"], "好的", "form_not_an_answer"),
    ("contact", ["租1500平厂房", "海洋生物", "300万", "蓝海科技"], "123", "contact_unclear"),
    ("phone", ["租1500平厂房", "海洋生物", "300万", "蓝海科技", "王经理"], "1391234567", "phone_wrong"),
])
def test_bad_input_is_refused_with_a_reason_then_rephrased_with_a_way_out(chat, openid, storage, msg, kb,
                                                                          field, before, bad, problem):
    say_all(chat, openid, "登记", *before)
    spec_field = FORM.by_name[field]
    first = chat.say(openid, bad)
    assert first.split("\n")[0] == msg(problem, label=msg(spec_field.label_key), text=bad, low=2, high=40)
    assert msg(spec_field.invalid_key) in first and msg(spec_field.ask_key) not in first
    second = chat.say(openid, bad)
    assert msg(spec_field.retry_key) in second and kb.park.contacts.hotline in second
    assert (msg("form_way_out_skip") in second) is (not spec_field.required)
    assert first != second and asking(storage, openid) == field
    assert slots(storage, openid).get(field) is None


def test_a_mistyped_phone_never_gets_an_faq_answer(chat, openid, msg, kb):
    say_all(chat, openid, "登记", "租1500平厂房", "海洋生物", "300万", "蓝海科技", "王经理")
    for bad in ("0532-88888888", "139123456789", "1234"):
        text = chat.say(openid, bad)
        assert text.startswith(msg("phone_wrong")), text
        assert not any(f.answer.strip()[:20] in text for f in kb.faqs)


def test_a_question_mid_form_is_answered_then_the_question_repeats(chat, openid, msg, storage):
    say_all(chat, openid, "登记", "租1500平厂房")
    text = chat.say(openid, "园区有哪些优惠政策?")
    assert msg("back_to_form") in text and text.rstrip().endswith(msg("ask_industry"))
    assert "industry" not in slots(storage, openid)


@pytest.mark.parametrize("edit, field, value", [
    ("手机号错了,是13812345678", "phone", "13812345678"),
    ("电话改成 138 1234 5678", "phone", "13812345678"),
    ("13812345678", "phone", "13812345678"),
    ("公司名称更正为青岛蓝海科技有限公司", "company", "青岛蓝海科技有限公司"),
    ("联系人改为李总", "contact", "李总"),
    ("税收改成500万", "tax", 500),
    ("用途改成冷链仓储配送", "industry", "冷链仓储配送"),
])
def test_edits_at_confirmation_in_several_phrasings(chat, openid, storage, msg, edit, field, value):
    say_all(chat, openid, *FULL)
    text = chat.say(openid, edit)
    assert msg("confirm_footer") in text and slots(storage, openid)[field] == value
    assert slots(storage, openid)["need"] == "租1500平厂房"


def test_edit_in_two_steps_then_back_to_the_summary(chat, openid, storage, msg):
    say_all(chat, openid, *FULL)
    assert msg("ask_company") in chat.say(openid, "改一下公司")
    assert slots(storage, openid)["company"] == "蓝海科技"  # kept until the new value comes
    text = chat.say(openid, "青岛蓝海新材料有限公司")
    assert msg("confirm_footer") in text and "青岛蓝海新材料有限公司" in text


def test_handoff_mid_form_keeps_the_form(chat, openid, storage, kb):
    say_all(chat, openid, "登记", "租1500平厂房")
    assert kb.park.contacts.hotline in chat.say(openid, "人工")
    chat.say(openid, "海洋生物")
    assert slots(storage, openid)["industry"] == "海洋生物"


def test_a_need_that_names_its_usage_and_a_cued_tax_fills_them_too(chat, openid, storage, msg):
    chat.say(openid, "登记")
    text = chat.say(openid, "租2000平厂房 做新能源电池 年纳税大概500万")
    s = slots(storage, openid)
    assert s["need"] == "租2000平厂房" and s["industry"] == "新能源电池" and s["tax"] == 500
    assert msg("ask_company") in text


def test_a_complaint_about_a_filled_field_mid_form_asks_it_again(chat, openid, storage, msg):
    say_all(chat, openid, "登记", "租1500平厂房", "13912345678")  # the phone, given at the usage question
    text = chat.say(openid, "13800001111")
    assert msg("form_already_filled", fields=msg("field_phone")) in text
    assert slots(storage, openid)["phone"] == "13912345678"
    text = chat.say(openid, "手机号不对")
    assert msg("ask_phone") in text and asking(storage, openid) == "phone"
    chat.say(openid, "13800001111")
    assert slots(storage, openid)["phone"] == "13800001111" and asking(storage, openid) == "industry"


def test_a_phone_given_to_the_size_question_is_noted_and_the_size_asked_again(chat, openid, storage, msg):
    say_all(chat, openid, "登记", "租办公室")
    text = chat.say(openid, "13912345678")
    assert msg("form_noted", fields=msg("field_phone")) in text and msg("ask_need_size") in text
    chat.say(openid, "300平")
    assert slots(storage, openid)["need_detail"]["area_sqm"] == 300 and asking(storage, openid) == "industry"

