"""Commands as prospects type them, end to end through /wechat and real Redis: saying no where nothing
was offered (「暂时不需要派人跟我联系」「人工就先不用了」) is acknowledged and not logged as a question nobody
answered; a command word said first and declined after it (「人工就先不用了」) is no call for that command.
"""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("text", ["暂时不需要派人跟我联系", "人工就先不用了", "登记暂时不需要"])
def test_saying_no_where_nothing_was_offered_is_acknowledged_not_logged(wechat, openid, msg, app, text):
    assert wechat.say(openid, text) == msg("declined")
    assert app.extensions["parkbot.unanswered"].top() == []


def test_a_question_nobody_answers_is_still_logged_beside_a_no(wechat, openid, msg, app, kb):
    assert wechat.say(openid, "明天会下雨吗") == msg("not_sure", hotline=kb.park.contacts.hotline)
    assert [x["text"] for x in app.extensions["parkbot.unanswered"].top()] == ["明天会下雨吗"]


def test_a_command_word_still_calls_for_its_command_when_not_declined(wechat, openid, msg):
    assert wechat.say(openid, "人工") != msg("declined")


FULL = "我是海智源公司的王经理,想租2000平厂房做海洋生物,年税收300万左右,电话13912345678"


@pytest.mark.parametrize("text", ["不用找人工了 直接交吧", "不要转人工,直接提交"])
def test_declining_a_person_and_submitting_in_one_message_submits(wechat, openid, leads, storage, text):
    wechat.say(openid, FULL)
    assert storage.load(openid).state == "form:confirm"
    wechat.say(openid, text)
    assert storage.load(openid).state == "idle"
    assert len([x for x in leads.list() if x.get("openid") == openid]) == 1


def test_declining_a_person_and_looking_on_ones_own_calls_nobody(wechat, openid, msg, kb):
    assert wechat.say(openid, "不用转人工 我自己看看") != msg("handoff", hotline=kb.park.contacts.hotline,
                                                          mobile=kb.park.contacts.mobile or kb.park.contacts.hotline,
                                                          hours=kb.park.hours.text)


@pytest.mark.parametrize("text", ["谢谢啊 先下了", "好的谢谢 那先这样"])
def test_thanks_said_on_the_way_out_is_a_goodbye(wechat, openid, msg, kb, text):
    assert wechat.say(openid, text) == msg("bye", hotline=kb.park.contacts.hotline)


def test_thanks_with_praise_stays_thanks(wechat, openid, msg, kb):
    assert wechat.say(openid, "谢谢啦,挺好的") == msg("thanks", hotline=kb.park.contacts.hotline)


def test_choosing_a_listing_and_asking_when_to_see_it_starts_the_form_with_it(wechat, openid, msg, storage):
    wechat.say(openid, "求租800平左右单层厂房")
    wechat.say(openid, "1")
    text = wechat.say(openid, "就定这间吧 什么时候能看")
    assert msg("ask_industry") in text
    assert len(storage.load(openid).form.listings) == 1


def test_a_colloquial_how_at_a_form_question_explains_it(wechat, openid, msg):
    assert msg("ask_need") in wechat.say(openid, "登记")
    assert msg("explain_need") in wechat.say(openid, "这个咋填")


@pytest.mark.parametrize("text", ["我不想看更多了", "还不想登记 先了解下"])
def test_no_form_running_nothing_is_cancelled_unless_said(wechat, openid, msg, text):
    wechat.say(openid, "有哪些厂房")
    assert wechat.say(openid, text) != msg("nothing_to_cancel")


def test_thanks_and_a_moment_to_look_it_up_mid_form_keeps_the_question(wechat, openid, msg, storage):
    for text in ("登记", "租1500平厂房", "海洋生物", "300万", "蓝海科技", "王经理"):
        wechat.say(openid, text)
    assert storage.load(openid).form.asking == "phone"
    reply = wechat.say(openid, "谢谢 稍等我查下")
    assert msg("form_thanks") in reply
    assert storage.load(openid).form.asking == "phone" and "phone" not in storage.load(openid).form.slots


def test_asking_whether_registering_costs_money_starts_no_form(wechat, openid, msg, storage):
    assert msg("ask_need") not in wechat.say(openid, "登记一下收不收钱啊")
    assert storage.load(openid).form is None


def test_asking_whether_a_question_may_be_left_out_explains_it(wechat, openid, msg, storage):
    for text in ("登记", "租1500平厂房", "海洋生物"):
        wechat.say(openid, text)
    assert storage.load(openid).form.asking == "tax"
    assert msg("explain_tax") in wechat.say(openid, "税收这个能不写吗")
    assert storage.load(openid).form.asking == "tax"
    wechat.say(openid, "这项可以不填吗,跳过")  # said outright, it is left out
    assert storage.load(openid).form.asking != "tax"


@pytest.mark.parametrize("text, context", [("不用找人工了 直接交吧", "confirm"), ("谢谢啊 先下了", "idle"),
                                           ("税收这个能不写吗", "prompt:tax"), ("谢谢 稍等我查下", "prompt:phone")])
def test_every_reading_is_among_its_scores(text, context):
    from bot.knowledge.loader import load_knowledge
    from bot.nlu import Understanding
    reading = Understanding(load_knowledge("knowledge")).read(text, context)
    assert reading.intent is not None and reading.intent in reading.scores


def test_starting_over_said_in_one_clause_at_the_confirmation_restarts(wechat, openid, msg, storage):
    wechat.say(openid, FULL)
    assert storage.load(openid).state == "form:confirm"
    assert msg("form_restarted") in wechat.say(openid, "全搞岔了 从第一题重来")
    assert storage.load(openid).state == "form:asking" and storage.load(openid).form.asking == "need"


def test_declining_a_person_mid_form_is_not_the_fields_answer(wechat, openid, msg, storage):
    wechat.say(openid, "登记")
    assert storage.load(openid).form.asking == "need"
    reply = wechat.say(openid, "不要转人工 直接提交")
    assert msg("back_to_form") in reply
    assert storage.load(openid).form.asking == "need" and "need" not in storage.load(openid).form.slots
