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
