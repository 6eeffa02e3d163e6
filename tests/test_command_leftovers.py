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
