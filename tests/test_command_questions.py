"""Questions that name a command, signs sent for a word, and what the command model may decide alone
at a form's question or about someone's data."""
from __future__ import annotations

import shutil

import pytest

from bot.knowledge.loader import KnowledgeError, load_knowledge
from bot.nlu import Understanding
from tests.conftest import KNOWLEDGE
from tests.support.memory_chat import kb, msg  # noqa: F401 (fixtures of the in-memory chat)


@pytest.fixture(scope="module")
def nlu():
    return Understanding(load_knowledge(KNOWLEDGE))


@pytest.mark.parametrize("text, context", [
    ("转客服大概要等多久", "idle"),  # how long
    ("登记的话要准备什么", "idle"),  # what it needs
    ("取消的话要交钱吗", "idle"),  # what it costs
    ("删除资料以后能恢复吗", "idle"),  # what follows
    ("重新开始以后之前填的还在吗", "prompt:tax"),
])
def test_a_question_about_what_follows_a_command_is_no_command(nlu, text, context):
    assert nlu.read(text, context).intent is None


@pytest.mark.parametrize("text, context, want", [
    ("可以转人工吗", "idle", "handoff"),  # asking for it is still the command
    ("怎么登记", "idle", "lead"),
    ("还有吗", "list_shown", "more"),  # intents that are questions stay what they are
    ("什么意思", "prompt:tax", "explain"),
])
def test_asking_for_a_command_is_the_command(nlu, text, context, want):
    assert nlu.read(text, context).intent == want


def test_a_sign_reads_as_the_word_it_stands_for(nlu):
    assert nlu.read("👌", "resume").intent == "affirm"
    assert nlu.read("🙏", "idle").intent == "thanks"
    assert nlu.read("👌", "confirm").intent in ("confirm", "affirm")  # submits the form
    for context in ("idle", "confirm", "prompt:tax"):  # in a sign as in words
        assert nlu.read("👌", context).intent == nlu.read("好的", context).intent, context


def test_signs_must_be_one_character_each(tmp_path):
    path = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, path)
    intents = path / "intents.yaml"
    text = intents.read_text(encoding="utf-8")
    assert "\nsigns: {" in text
    intents.write_text(text.replace("\nsigns: {", '\nsigns: {"ok啦": 好的, ', 1), encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(path)
    assert "intents.yaml" in str(caught.value) and "ok啦" in str(caught.value)


def test_at_a_form_question_the_model_explains_and_skips_only_when_clearly_asked(nlu):
    assert nlu.read("这一项说的是啥", "prompt:industry").intent == "explain"  # asks: explained
    assert nlu.read("这项我就不答了", "prompt:contact").intent == "skip"
    # answers that resemble them stay answers: 「不知道」 is the tax "unknown", 「不想给」 asked again
    assert nlu.read("不知道", "prompt:tax").intent is None
    assert nlu.read("不想给", "prompt:phone").intent is None


def test_the_model_deletes_data_only_when_asked_to_erase_it(nlu):
    assert nlu.read("把我的号码都删了吧", "idle").intent == "forget_me"
    assert nlu.read("麻烦清掉我的记录", "idle").intent == "forget_me"
    assert nlu.read("重复的消息", "idle").intent is None
    assert nlu.read("我的号码你们记好", "idle").intent != "forget_me"


def test_a_question_about_a_command_gets_no_command_in_the_conversation(chat, openid):
    handed_over = chat.say(openid, "转人工")
    notice = handed_over.splitlines()[0]  # 「已通知招商工作人员……」
    assert notice and notice in chat.say(f"{openid}-c", "帮我转客服")  # the command, in other words
    assert notice not in chat.say(f"{openid}-b", "转客服大概要等多久")  # the question: no one is called


def test_starting_over_said_with_an_error_starts_over_unless_a_field_is_named(nlu):
    assert nlu.read("全错了,从头来", "confirm").intent == "restart"
    assert nlu.read("不对不对,全部重来", "confirm").intent == "restart"
    reading = nlu.read("公司名写错了,重来", "prompt:phone")  # the company field is named: edit it
    assert (reading.intent, reading.field) == ("modify", "company")
