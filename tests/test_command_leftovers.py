"""Commands said in the words people use, end to end on the engine with storage kept in memory:
starting over at the offer to continue an unfinished form, asking for a person to be arranged
(with 能不能, a request, not a question the FAQ answers), and command words typed with a
same-sounding character (在见, 取肖). Readings the FAQ keeps are tested beside them.
"""
from __future__ import annotations

import pytest

from tests.support.engine_clock import engine_later
from tests.test_form import asking, say_all, slots
from tests.support.memory_chat import kb, msg, storage  # noqa: F401 (fixtures on the in-memory chat)


def _offered_to_continue(chat, openid, msg, later) -> None:
    later(chat.engine.resume_after + 60)
    assert msg("form_resume_offer") in chat.say(openid, "你好")


@pytest.mark.parametrize("text", ["重新开始", "重来吧", "从头来", "重新填一遍"])
def test_starting_over_at_the_offer_to_continue_restarts_the_form(chat, openid, storage, msg, text):
    say_all(chat, openid, "登记", "租1500平厂房", "海洋生物")
    with engine_later(chat.engine) as later:
        _offered_to_continue(chat, openid, msg, later)
        reply = chat.say(openid, text)
    assert msg("form_restarted") in reply
    assert storage.load(openid).state == "form:asking" and slots(storage, openid) == {}
    assert asking(storage, openid) == "need"


@pytest.mark.parametrize("text", ["招商热线是多少", "招商部门的电话是多少", "你们的联系电话是什么"])
def test_asking_how_to_reach_the_office_is_still_answered_by_the_faq(chat, text):
    from bot.nlu import Understanding
    reading = Understanding(chat.kb).read(text, "idle")
    assert reading.intent is None and reading.match.status == "answer" and reading.match.best.id == "contact"


@pytest.mark.parametrize("text, context, want", [
    ("在见", "idle", "bye"), ("好的在见", "idle", "bye"), ("跳国", "prompt:industry", "skip"),
    ("取肖", "prompt:industry", "cancel"), ("确人", "confirm", "confirm"), ("确人提交", "confirm", "confirm"),
])
def test_a_command_word_typed_with_a_same_sounding_character_is_that_command(chat, text, context, want):
    from bot.nlu import Understanding
    assert Understanding(chat.kb).read(text, context).intent == want


def test_a_same_sounding_confirmation_submits_the_form(chat, openid, storage):
    say_all(chat, openid, "登记", "租1500平厂房", "海洋生物", "300万", "蓝海科技", "王经理", "13912345678")
    assert storage.load(openid).state == "form:confirm"
    chat.say(openid, "确人")
    assert storage.load(openid).state == "idle" and len(chat.leads.leads) == 1


@pytest.mark.parametrize("text", ["我们现在见个面可以吗", "取消息的时候要注意什么"])
def test_same_sounding_letters_inside_other_words_are_left_alone(chat, text):
    # only a clause that is wholly the mistyped word is read as the command: 现在见 holds 在见 in letters only
    from bot.nlu import Understanding
    assert Understanding(chat.kb).read(text, "idle").intent not in ("bye", "cancel")
