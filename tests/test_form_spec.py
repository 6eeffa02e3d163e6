"""The form is data: a seventh field is a specification-and-messages change, nothing else."""
from __future__ import annotations

import re
import shutil

import pytest

from bot import create_app
from bot.dialogue.engine import Engine
from bot.dialogue.form_messages import required_message_keys
from bot.dialogue.replies import Incoming
from bot.dialogue.table import mermaid
from bot.form_spec import FORM, Field, FormSpec
from bot.leads.render import Notice, plain_text
from bot.store.leads import PERSONAL_SLOTS, SLOTS
from tests.conftest import KNOWLEDGE, make_config

INVESTMENT_MESSAGES = """
# 预计投资额(a field added to the form)
ask_investment: "预计总投资额大概多少？比如“5000万”“一两个亿”。（可回复“跳过”）"
invalid_investment: "请回复大概的金额，比如“5000万”“2亿”。"
retry_investment: "换个说法：项目一共打算投入多少钱？说个大概的数就行。"
field_investment: 预计投资额
"""

SEVEN = FormSpec((*FORM.fields[:3], Field("investment", "amount"), *FORM.fields[3:]))


def test_everything_derives_from_the_specification():
    assert SLOTS == ("need", "type", "deal", "area_sqm", "industry", "tax", "company", "contact", "phone")
    assert PERSONAL_SLOTS == ("company", "contact", "phone")
    assert FORM.step("industry") == (2, 6)
    assert {"ask_phone", "invalid_phone", "retry_phone", "field_phone"} <= set(required_message_keys())
    assert "(need, industry, tax, company, contact, phone)" in mermaid()


def test_a_bad_specification_is_refused():
    with pytest.raises(ValueError, match="unknown reader"):
        FormSpec((Field("budget", "money"),))
    with pytest.raises(ValueError, match="named twice"):
        FormSpec((Field("need", "need"), Field("need", "text")))


@pytest.fixture
def seven_field_app(redis_url, data_dir, prefix, tmp_path, redis_client):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    with open(knowledge / "messages.yaml", "a", encoding="utf-8") as fh:
        fh.write(INVESTMENT_MESSAGES)
    return create_app(make_config(redis_url, data_dir, prefix, KNOWLEDGE_DIR=str(knowledge)))


def test_a_seventh_field_is_asked_numbered_stored_and_labelled(seven_field_app):
    app = seven_field_app
    ext = app.extensions
    engine = Engine(ext["parkbot.knowledge"], ext["parkbot.storage"], ext["parkbot.leads"], ext["parkbot.unanswered"],
                    form_ttl=3600, form=SEVEN)
    kb = ext["parkbot.knowledge"].current()
    assert all(key in kb.messages for key in required_message_keys(SEVEN))
    assert "tax, investment, company" in mermaid(SEVEN)

    def say(text):
        return engine.handle(Incoming("seven-user", "text", text=text)).text

    say("登记")
    say("租1500平厂房")
    say("海洋生物")
    text = say("300万")
    assert kb.messages.render("form_question", step=4, total=7,
                              question=kb.messages.render("ask_investment")) in text
    first = say("不少")
    assert kb.messages.render("invalid_investment") in first
    assert kb.messages.render("form_question", step=5, total=7,
                              question=kb.messages.render("ask_company")) in say("一两个亿")
    say("蓝海科技")
    say("王经理")
    summary = say("13912345678")
    assert "预计投资额" in summary and "约1–2亿元" in summary
    number = re.search(r"L\d{8}-\d{4}", say("确认")).group(0)
    lead = ext["parkbot.leads"].get(number)
    assert lead["fields"]["investment"] == "约1–2亿元"
    notice = Notice(kind="lead", job="j", number=number, fields=lead["fields"])
    assert "预计投资额: 约1–2亿元" in plain_text(notice, kb.messages)
    ext["parkbot.storage"].erase("seven-user")


def test_kb_check_requires_the_form_messages(tmp_path):
    from bot.knowledge.loader import KnowledgeError, load_knowledge

    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    path = knowledge / "messages.yaml"
    path.write_text("\n".join(line for line in path.read_text(encoding="utf-8").split("\n")
                              if not line.startswith("retry_phone:")), encoding="utf-8")
    with pytest.raises(KnowledgeError) as raised:
        load_knowledge(knowledge)
    assert "missing message 'retry_phone' (used by form)" in str(raised.value)
