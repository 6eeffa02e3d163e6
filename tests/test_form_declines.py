"""Commands said at the form's questions in everyday words, end to end on the engine with storage
kept in memory: a polite decline ends the form, a decline of "this one" skips only the question
asked, a message that says both skip and cancel cancels, and a question about the field asked gets
the question explained. Readings in context (the same words elsewhere) are tested beside them.
"""
from __future__ import annotations

import pytest

from tests.test_form import asking, say_all, slots
from tests.support.memory_chat import kb, msg, storage  # noqa: F401 (fixtures on the in-memory chat)


@pytest.mark.parametrize("text", ["不用了,谢谢", "不需要了 多谢你", "算了 不用了"])
def test_a_polite_decline_at_a_question_cancels_the_form(chat, openid, storage, msg, text):
    say_all(chat, openid, "登记", "租1500平厂房")  # now asked the industry
    reply = chat.say(openid, text)
    assert msg("form_cancelled") in reply
    assert storage.load(openid).state == "idle"


@pytest.mark.parametrize("text", ["这项不用了,谢谢", "这个就不用了"])
def test_declining_this_question_skips_it_and_keeps_the_form(chat, openid, storage, msg, text):
    say_all(chat, openid, "登记", "租1500平厂房")
    reply = chat.say(openid, text)
    assert msg("form_cancelled") not in reply
    assert asking(storage, openid) == "tax" and slots(storage, openid).get("industry") is None
    assert slots(storage, openid)["need"] == "租1500平厂房"


@pytest.mark.parametrize("text", ["不填了不填了,这张表作废", "不写了 全都取消掉"])
def test_skip_and_cancel_said_together_cancel(chat, openid, storage, msg, text):
    say_all(chat, openid, "登记", "租1500平厂房", "海洋生物")  # now asked the tax
    reply = chat.say(openid, text)
    assert msg("form_cancelled") in reply and storage.load(openid).state == "idle"


def test_not_knowing_how_big_and_skipping_skips_the_need(chat, openid, storage):
    # 多大 asks only in a question: 「不知道要多大」 says what is not known
    chat.say(openid, "登记")
    chat.say(openid, "还不知道要多大 先跳过吧")
    assert asking(storage, openid) == "industry" and slots(storage, openid).get("need") is None


def test_a_plain_skip_still_skips(chat, openid, storage, msg):
    say_all(chat, openid, "登记", "租1500平厂房", "海洋生物")
    chat.say(openid, "这个不填了")
    assert asking(storage, openid) == "company" and storage.load(openid).state == "form:asking"


@pytest.mark.parametrize("answers, text, field", [
    (("租1500平厂房", "海洋生物", "300万", "蓝海科技", "王经理"), "为什么非得留手机号", "phone"),
    (("租1500平厂房", "海洋生物", "300万"), "要不要写营业执照上的全称", "company"),
    (("租1500平厂房",), "行业指的是公司主营的吗", "industry"),
])
def test_a_question_about_the_field_asked_is_explained_not_taken_as_the_answer(chat, openid, storage, msg,
                                                                              answers, text, field):
    say_all(chat, openid, "登记", *answers)
    reply = chat.say(openid, text)
    assert msg(f"explain_{field}") in reply
    assert asking(storage, openid) == field and field not in slots(storage, openid)


def test_answers_at_a_question_stay_answers(chat, openid, storage):
    say_all(chat, openid, "登记", "租1500平厂房")
    chat.say(openid, "做海洋生物")
    assert slots(storage, openid)["industry"] == "海洋生物" and asking(storage, openid) == "tax"


@pytest.mark.parametrize("text, context, want", [
    ("上回那份不要了", "resume", "deny"),  # a decline beside 上回 is no continuation (cancel or deny: dropped)
    ("这会儿没时间弄", "resume", "deny"),
    ("要的", "resume", "affirm"),
    ("不用了谢谢", "resume", "deny"),  # the same words declining the offer to continue
    ("你们招商部的领导在不在", "idle", "handoff"),  # asked by role, a question the FAQ's contact entry resembles
    ("想找负责招商的同事聊聊", "list_shown", "handoff"),
    ("不对不对,全部重填", "confirm", "restart"),  # 对不对 inside 不对不对 asks nothing
    ("客服几点上班", "idle", None),  # asks when the staff work, calls no one
    ("没时间", "prompt:industry", "cancel"),  # a decline at a form's question: no more form today
])
def test_readings_in_context(chat, text, context, want):
    from bot.nlu import Understanding
    from bot.nlu.eval import command_hit
    r = Understanding(chat.kb).read(text, context)
    # the same action either word names in this context (at the resume offer 取消 and 不用了 both drop the form)
    assert command_hit(context, (r.intent, r.field), want or "none"), r.intent


@pytest.mark.parametrize("text, asks", [("要不要写全称", True), ("用不用盖章", True), ("不对不对", False), ("好的", False),
                                         ("客服几点上班", True), ("周末几号开门", True)])
def test_a_not_a_questions_ask(chat, text, asks):
    from bot.nlu import Understanding
    assert Understanding(chat.kb).commands.asks(text) is asks


@pytest.mark.parametrize("text, field", [
    ("名称有误 应该是海辰生物", "company"),
    ("电话少写了一位", "phone"),
])
def test_an_edit_in_free_words_names_its_field(chat, text, field):
    from bot.nlu import Understanding
    reading = Understanding(chat.kb).read(text, "confirm")
    assert (reading.intent, reading.field) == ("modify", field)


@pytest.mark.parametrize("text", ["我们要的是仓库不是厂房", "要的是写字楼,不是厂房"])
def test_saying_what_is_wanted_at_the_confirmation_does_not_submit(chat, openid, storage, text):
    # 要的 says yes only alone (「要的」 at the resume offer); in 「要的是…」 it names what is wanted
    say_all(chat, openid, "登记", "租1500平厂房", "海洋生物", "300万", "蓝海科技", "王经理", "13912345678")
    assert storage.load(openid).state == "form:confirm"
    chat.say(openid, text)
    assert storage.load(openid).state.startswith("form:") and chat.leads.leads == []


def test_word_lists_and_model_agreeing_outweigh_a_resembling_faq_entry(chat):
    # 「有没有人工」 resembles an FAQ question (人工智能 industries) the matcher would answer; the word
    # lists and the command model both read a call for a person, and together they are surer than the FAQ
    from bot.nlu import Understanding
    reading = Understanding(chat.kb).read("有没有人工", "idle")
    assert reading.intent == "handoff"


@pytest.mark.parametrize("text", ["这个房东是谁", "这个房租含物业费吗"])
def test_a_question_about_the_landlord_or_rent_is_no_interest(chat, text):
    # 房东, 房租 hold 这个房 in letters only: the words that block an intent block the command model too
    from bot.nlu import Understanding
    assert Understanding(chat.kb).read(text, "listing_details").intent is None


@pytest.mark.parametrize("text, field", [("公司叫海辰,不叫海晨", "company"), ("我们租的不是厂房 是写字楼", None)])
def test_setting_one_value_against_another_at_the_confirmation_is_an_edit(chat, text, field):
    from bot.nlu import Understanding
    reading = Understanding(chat.kb).read(text, "confirm")
    assert (reading.intent, reading.field) == ("modify", field)


@pytest.mark.parametrize("text", ["就是这样 不用改", "对 没错", "是不是都填对了"])
def test_a_yes_or_a_question_at_the_confirmation_is_no_correction(chat, text):
    from bot.nlu import Understanding
    assert Understanding(chat.kb).read(text, "confirm").intent != "modify"
