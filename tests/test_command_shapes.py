"""Shapes that change what command words mean: names holding them at a form's question, negations,
short English, searches said after a listing, and the question words as knowledge.

The readings on the shipped knowledge; the conversations end to end through /wechat on Redis."""
from __future__ import annotations

import re
import shutil

import pytest

from bot.knowledge.loader import load_knowledge
from bot.nlu import Understanding
from bot.nlu.eval import command_hit
from bot.nlu.intent_model import grams
from bot.nlu.reading import asks_question
from tests.conftest import KNOWLEDGE
from tests.support.engine_clock import at_resume_offer
from tests.test_understanding_context import FULL, nlu  # noqa: F401  (nlu: the shipped knowledge's, a fixture)

LEAD_NUMBER = re.compile(r"L\d{8}-\d{4}")


@pytest.mark.parametrize("text, context, want", [
    # a command word inside a name at the form's question is the name
    ("取消宝网络有限公司", "prompt:company", "none"),
    ("青岛重来餐饮有限公司", "prompt:company", "none"),
    ("王更正", "prompt:contact", "none"),
    ("重来", "prompt:contact", "restart"),  # ... but the word alone is still the command
    ("暂不透露公司", "prompt:company", "skip"),  # a refusal that ends in 公司 is no company
    ("取消", "prompt:company", "cancel"),
    # a negation before a command word
    ("都不对,重新登记一遍", "confirm", "restart"),
    ("不取消了,继续", "resume", "affirm"),
    ("先不提交", "confirm", "cancel"),
    ("别提交", "confirm", "none"),
    ("没有要改的,提交", "confirm", "confirm"),
    ("没想登记,随便问问", "idle", "none"),
    ("接上回没填完的", "resume", "affirm"),  # 没填完 is no negated 继续
    # short English where each makes sense
    ("ok", "confirm", "confirm"),
    ("yes", "resume", "affirm"),
    ("no", "resume", "deny"),
    ("cancel", "prompt:tax", "cancel"),
    ("bye", "idle", "bye"),
    ("thanks", "list_shown", "thanks"),
    ("menu", "idle", "greeting"),
    ("help", "idle", "greeting"),
    ("help", "prompt:industry", "explain"),
    ("human", "prompt:phone", "handoff"),
    ("agent", "idle", "handoff"),
    ("Siemens", "prompt:company", "none"),
    ("David", "prompt:contact", "none"),
    # asking what is on offer after a listing is a search, asking for others pages
    ("有没有厂房", "list_shown", "listings"),
    ("有没有厂房", "listing_details", "listings"),
    ("还有没有空着的土地", "list_shown", "listings"),
    ("还有别的办公室吗", "list_shown", "more"),
    ("这套有没有停车位", "listing_details", "none"),
    ("这个厂房有没有货梯", "listing_details", "none"),
    # a question about what follows a command asks it
    ("取消了还能再登记吗", "idle", "none"),
])
def test_command_shapes_in_context(nlu, text, context, want):
    r = nlu.read(text, context)
    assert command_hit(context, (r.intent, r.field), want), (r.intent, r.field, r.scores)


def test_latin_words_are_words_to_the_command_model():
    g = grams("cancel the form", False)
    assert {"=cancel", "=form", "=cancel_the"} <= set(g) and not any(len(x) == 1 and x.isalpha() for x in g)
    assert grams("yes提交", False)[-1] == "=yes" and {"^提交", "提交$"} <= set(grams("yes提交", False))
    assert set(grams("Siemens", False)) == {"=siemens", "=^siemens", "=siemens$"}


def test_a_name_the_model_never_saw_says_nothing(nlu):
    assert nlu.commands.model.probs("Zyxwvut Qponm", False) == {}


# --- the question words are knowledge ------------------------------------------------------------
def test_the_question_words_come_from_intents_yaml(tmp_path):
    kdir = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, kdir)
    assert load_knowledge(KNOWLEDGE).intents.question.startswith("[?？]|吗")
    path = kdir / "intents.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r'(?m)^question: "', 'question: "几时|', text), encoding="utf-8")
    edited, shipped = Understanding(load_knowledge(kdir)), Understanding(load_knowledge(KNOWLEDGE))
    assert edited.commands.asks("几时开门") and edited.commands.asks("有厂房吗")
    assert edited.read("几时开门", "idle", "text").asks
    # each version reads by its own words: building the edited one changed nothing for the other
    assert not shipped.commands.asks("几时开门") and not shipped.read("几时开门", "idle", "text").asks
    assert not asks_question("几时开门")  # the schema's default


@pytest.mark.parametrize("pattern, says", [
    ("[吗|什么", "not a regular expression"),
    ("吗|", "match an empty message"),
    ("", "empty"),
])
def test_kb_check_names_a_bad_question_pattern(tmp_path, pattern, says):
    from bot.tools.kb_check import check

    kdir = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, kdir)
    path = kdir / "intents.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r'(?m)^question: ".*"$', f'question: "{pattern}"', text), encoding="utf-8")
    line = next(i for i, x in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if x.startswith("question:"))
    problems = [str(p) for p in check(kdir)]
    assert any(p.startswith(f"intents.yaml:{line}:") and says in p for p in problems), problems


# --- end to end, through /wechat on Redis --------------------------------------------------------
def _to_company(wechat, openid, msg):
    wechat.say(openid, "登记")
    wechat.say(openid, "租2000平厂房")
    wechat.say(openid, "做海洋生物")
    assert msg("ask_company") in wechat.say(openid, "300万")


def test_a_company_named_with_a_command_word_is_the_company(wechat, openid, msg, storage):
    _to_company(wechat, openid, msg)
    assert msg("ask_contact") in wechat.say(openid, "取消宝网络有限公司")
    assert storage.load(openid).form.slots["company"] == "取消宝网络有限公司"
    text = wechat.say(openid, "王更正")
    assert msg("ask_phone") in text and storage.load(openid).form.slots["contact"] == "王更正"


def test_negations_at_the_confirmation(wechat, openid, msg, storage, leads):
    wechat.say(openid, "登记")
    assert msg("confirm_footer") in wechat.say(openid, FULL)
    text = wechat.say(openid, "别提交,我再看看")
    assert not LEAD_NUMBER.search(text) and storage.load(openid).form is not None
    text = wechat.say(openid, "都不对,重新登记一遍")
    assert msg("form_restarted") in text and msg("ask_need") in text
    wechat.say(openid, FULL)
    text = wechat.say(openid, "没有要改的,提交")
    assert LEAD_NUMBER.search(text)
    assert len([x for x in leads.list() if x.get("openid") == openid]) == 1


def test_not_cancelling_at_the_resume_offer_continues(wechat, openid, msg, app):
    with at_resume_offer(app, wechat, openid, msg):
        text = wechat.say(openid, "不取消了,继续")
        assert msg("form_resume") in text and msg("ask_industry") in text


def test_short_english_in_the_form(wechat, openid, msg, storage):
    wechat.say(openid, "登记")
    text = wechat.say(openid, "help")
    assert msg("explain_need") in text and msg("ask_need") in text
    assert wechat.say(openid, "cancel") == msg("form_cancelled")
    assert storage.load(openid).form is None


def test_asking_for_another_type_after_a_listing_searches_it(wechat, openid, kb):
    offices = wechat.say(openid, "有哪些写字楼")
    assert any(x.title in offices for x in kb.listings if x.type == "office")
    text = wechat.say(openid, "有没有仓库")
    assert any(x.title in text for x in kb.listings if x.type == "warehouse" and x.available), text
    wechat.say(openid, "1")  # a listing's details, then another type again
    text = wechat.say(openid, "有没有厂房")
    assert any(x.title in text for x in kb.listings if x.type == "factory" and x.available), text
