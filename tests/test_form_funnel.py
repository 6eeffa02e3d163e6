"""The form's funnel question by question, counted at one point in the engine, and the whole
conversation kept with a lead — through the real engine on real Redis."""
from __future__ import annotations

import time

import pytest

from bot import create_app
from bot.dialogue.progress import CONFIRM, asked_field
from bot.dialogue.replies import Incoming
from bot.form_spec import FORM
from bot.store.conversation_state import ConversationState

FIELDS = (*FORM.order, CONFIRM)


@pytest.fixture
def make(app_config, redis_client):
    def build(**extra):
        return create_app({**app_config, **extra})
    return build


def say(app, openid, text):
    return app.extensions["parkbot.engine"].handle(Incoming(openid, "text", text=text, channel="web"))


def counts(app):
    rows = app.extensions["parkbot.funnel"].fields(FIELDS, 30)
    return {row["field"]: (row["reached"], row["left"]) for row in rows}


ANSWERS = ["想租2000平米厂房", "海洋生物", "300万", "海智源公司", "王经理", "13912345678"]


@pytest.mark.parametrize("data, expected", [
    ({}, None), ({"state": "form:phone"}, None), ({"state": "form:phone", "form": {"id": "f", "slots": {}}}, "phone"),
    ({"state": "form:confirm", "form": None}, None), ({"state": "form:confirm", "form": {"id": "f", "slots": {}}}, CONFIRM),
    ({"state": "resume", "form": {"id": "f", "asked": "tax"}}, "tax"),
    ({"state": "garbage", "form": {"id": "f", "asked": "need"}}, "need"),
])
def test_asked_field(data, expected):
    assert asked_field(ConversationState.model_validate(data)) == expected


def test_reached_and_left_per_question(make):
    app = make()
    # one fills everything and submits; one cancels at the phone number; one gives up at 用途
    for text in ["登记", *ANSWERS, "确认"]:
        say(app, "o-done", text)
    for text in ["登记", *ANSWERS[:5], "取消"]:
        say(app, "o-cancel", text)
    for text in ["登记", ANSWERS[0], "取消"]:
        say(app, "o-early", text)
    got = counts(app)
    assert got["need"] == (3, 0)
    assert got["industry"] == (3, 1)
    assert got["phone"] == (2, 1)
    assert got[CONFIRM] == (1, 0)  # the one who reached the confirmation submitted
    # a re-asked question (a bad phone number) is not reached twice
    for text in ["登记", *ANSWERS[:5], "12345", "不知道"]:
        say(app, "o-retry", text)
    assert counts(app)["phone"] == (3, 1)


def test_a_form_that_expires_counts_as_left_where_it_stopped(make):
    app = make(FORM_TTL=1)
    for text in ["登记", ANSWERS[0], ANSWERS[1]]:
        say(app, "o-idle", text)
    time.sleep(1.3)
    say(app, "o-idle", "你好")
    assert counts(app)["tax"] == (1, 1)


def test_the_lead_keeps_the_whole_conversation_from_the_first_message(make):
    app = make()
    questions = [f"第{i}个问题:园区有食堂吗" for i in range(15)]
    for text in ["你好", *questions, "登记", *ANSWERS, "确认"]:
        say(app, "o-long", text)
    lead = app.extensions["parkbot.leads"].list()[0]
    users = [turn["text"] for turn in lead["transcript"] if turn["who"] == "user"]
    assert users[0] == "你好" and users[1:16] == questions and users[-1] == "确认"
    assert len(lead["transcript"]) > 40  # far past the old 20-line excerpt


def test_a_redis_that_forgot_its_scripts_still_answers_saves_and_counts(make, redis_client):
    """The opening and closing round trips send their scripts by hash alongside other commands;
    a restarted Redis (scripts gone) must cost nothing: the state is saved and the counters count."""
    app = make()
    say(app, "o-flushed", "登记")
    redis_client.script_flush()
    reply = say(app, "o-flushed", ANSWERS[0])
    ask_industry = app.extensions["parkbot.knowledge"].current().messages.render("ask_industry")
    assert ask_industry in reply.text
    assert counts(app)["industry"] == (1, 0)
    redis_client.script_flush()
    say(app, "o-flushed", ANSWERS[1])
    assert counts(app)["tax"] == (1, 0)  # the state saved after the first flush carried the form on
