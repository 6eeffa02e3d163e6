"""What a negation reaches, a polite request, a question about one listing of a list, and the answers to
the offer to resume a form: read as units, and end to end through the webhook on real Redis."""
from __future__ import annotations

import pytest

from bot.knowledge.loader import load_knowledge
from bot.nlu import Understanding
from bot.nlu.command_shapes import in_reach, negation_heads, requests
from bot.dialogue.listings import facts
from bot.nlu.command_text import clean, item_named
from bot.nlu.eval import command_hit
from tests.conftest import KNOWLEDGE
from tests.support.engine_clock import at_resume_offer


@pytest.fixture(scope="module")
def nlu():
    return Understanding(load_knowledge(KNOWLEDGE))


def _reads(nlu, text: str, context: str, want: str) -> None:
    r = nlu.read(text, context)
    assert command_hit(context, (r.intent, r.field), want), (text, context, r.intent, r.field, r.scores)


# --- a negation reaches over a few words of its clause -----------------------------------------
@pytest.mark.parametrize("text, context, want", [
    ("先别让人给我打电话", "idle", "none"),  # 别 … 打电话
    ("我暂时不需要人工服务", "idle", "none"),
    ("暂时不需要派人跟我联系", "idle", "none"),  # the model's reading, in a clause that negates
    ("没打算留电话 就看看", "list_shown", "none"),
    ("这间不太合适", "listing_details", "none"),  # 这间 is what is not liked
    ("不要转人工 直接提交", "confirm", "confirm"),  # what is said besides the negated intent
    # still commands: a negation in another clause, or a word that is no negation
    ("不登了 直接给我转人工", "resume", "handoff"),
    ("没问题提交吧", "confirm", "confirm"),
    ("差不多的还有不", "listing_details", "more"),
    ("行业填的不准确", "confirm", "modify:industry"),  # an edit is said with a negation
])
def test_a_negation_reaches_the_command_words_of_its_clause(nlu, text, context, want):
    _reads(nlu, text, context, want)


def test_negation_heads_and_their_reach():
    assert negation_heads("能不能安排") == []  # a question's A-not-A negates nothing
    assert negation_heads("不了") == []  # 「不了」 says no; nothing follows it
    assert negation_heads("没问题提交", evaluations=[0]) == []
    clause = "先别让人给我打电话"
    assert in_reach(clause, clause.index("给我打电话"), negation_heads(clause))
    clause = "不登了转人工"  # 了 ends the reach of 不
    assert not in_reach(clause, clause.index("转人工"), negation_heads(clause))


# --- a polite request asks for something to be done, it asks no question -----------------------
@pytest.mark.parametrize("text, context", [
    ("能不能安排个招商的跟我对接", "idle"),
    ("能安排人带我看下这几处吗", "list_shown"),
    ("能不能安排个人帮我看看填得对不对", "confirm"),  # 对不对 asks, it is no 不对
])
def test_a_polite_request_for_a_person_is_a_handoff(nlu, text, context):
    _reads(nlu, text, context, "handoff")


def test_a_request_frame_is_no_question():
    assert requests(clean("麻烦让你们招商部门的人联系我"))
    assert requests(clean("可否请专人给我打个电话"))
    assert not requests(clean("能不能写简称"))  # asks whether something is allowed
    assert not requests(clean("园区能注册公司吗"))


# --- 「第二个…吗」 after a list asks about that listing ------------------------------------------
@pytest.mark.parametrize("text", ["第二个带装修吗", "第三个价格能谈吗", "第一个能分租吗"])
def test_a_question_about_one_listing_of_a_list_is_no_interest(nlu, text):
    _reads(nlu, text, "list_shown", "none")


def test_an_item_named_at_the_start_of_a_message():
    assert item_named(clean("第二个带装修吗")) == 2
    assert item_named(clean("二号那个可以养殖吗")) == 2
    assert item_named(clean("第二个")) is None  # the whole message is the pick
    assert item_named(clean("第一次来青岛")) is None
    assert item_named(clean("1号楼在哪")) is None


def _listed(wechat, openid, kb) -> list[str]:
    text = wechat.say(openid, "有哪些厂房")
    titles = [x.title for x in kb.listings if x.available and x.type == "factory"]
    shown = sorted((text.index(t), t) for t in titles if t in text)
    assert len(shown) >= 3, text
    return [t for _, t in shown]


def test_a_question_about_the_second_listing_answers_from_it(wechat, openid, kb, msg):
    shown = _listed(wechat, openid, kb)
    text = wechat.say(openid, "第二个带装修吗")
    assert shown[1] in text and msg("listing_asked", digit=2) in text
    assert msg("not_sure", hotline=kb.park.contacts.hotline) not in text
    # a later question names another item of the same list
    text = wechat.say(openid, "第三个是哪个区的")
    assert shown[2] in text and msg("listing_asked", digit=3) in text


def test_a_question_about_a_listing_answers_from_what_its_details_say(wechat, openid, kb, msg):
    shown = _listed(wechat, openid, kb)
    digit, item = next((i, x) for i, title in enumerate(shown, 1) for x in kb.listings
                       if x.title == title and "层高" in (x.description or ""))
    wechat.say(openid, str(digit))  # its details
    text = wechat.say(openid, "层高多少")
    assert text.startswith(msg("listing_fact", title=item.title, facts="").rstrip("。")) and "层高" in text
    assert msg("not_sure", hotline=kb.park.contacts.hotline) not in text
    # what the details do not say is said to be missing, still about the same listing
    assert wechat.say(openid, "带不带中央空调") == msg("listing_fact_missing", title=item.title)
    # a named item of the list: what its details say of the question
    other = next(x for x in kb.listings if x.title == shown[0])
    text = wechat.say(openid, "第一个面积多大")
    assert text.startswith(msg("listing_fact", title=other.title, facts="").rstrip("。"))
    # a question the knowledge base answers outright is answered from it
    assert "「" not in wechat.say(openid, "园区有什么优惠政策")


def test_interest_in_a_listing_named_by_its_number_registers_that_one(wechat, openid, kb, msg, app):
    shown = _listed(wechat, openid, kb)
    wechat.say(openid, "1")  # the first one opened: 「第三个」 still means the third
    text = wechat.say(openid, "第三个我比较中意")
    assert msg("which_listing") not in text
    form = app.extensions["parkbot.storage"].load(openid).form
    listing = next(x for x in kb.listings if x.title == shown[2])
    assert form is not None and form.listings[-1:] == [listing.id]


# --- the offer to resume a form ----------------------------------------------------------------
@pytest.mark.parametrize("text", ["我不想重新再填一遍", "不用从头来 接着弄", "别重来了 用之前那份"])
def test_not_starting_over_at_the_resume_offer_continues(nlu, text):
    _reads(nlu, text, "resume", "affirm")


def test_a_listing_question_at_the_resume_offer_lists(nlu):
    _reads(nlu, "眼下有哪些厂房招租", "resume", "listings")


def test_not_starting_over_continues_the_kept_form(wechat, openid, msg, app):
    with at_resume_offer(app, wechat, openid, msg):
        text = wechat.say(openid, "不想重新填")
        assert msg("form_resume") in text and msg("ask_industry") in text


# --- a word said twice, erasing against stopping, the words of giving up ----------------------
@pytest.mark.parametrize("text, context, want", [
    ("行啊行啊", "confirm", "confirm"),  # 行啊, said twice
    ("把我信息全删了 不填了", "prompt:phone", "forget_me"),  # erasing outweighs skipping the question
    ("这表我不交了 作罢", "confirm", "cancel"),
    ("目前不交税", "prompt:tax", "none"),  # an answer: no tax paid yet, the form goes on
    ("二号那个可以养殖吗", "list_shown", "none"),  # a question about the item it names
    ("不要提交 我再想想", "confirm", "none"),  # not yet: the filled form is kept
    ("不提交了", "confirm", "cancel"),
])
def test_more_readings_in_context(nlu, text, context, want):
    _reads(nlu, text, context, want)


def test_a_verb_negated_and_said_again_asks(nlu):
    """「近不近」 asks whether, for commands (「第二套离地铁近不近」 is no interest in it); 「不要不要」 says no."""
    assert nlu.commands.asks("离地铁近不近") and nlu.commands.asks("带不带办公室")
    assert not nlu.commands.asks("不要不要") and not nlu.commands.asks("差不多就行")
    _reads(nlu, "第二套离地铁近不近", "list_shown", "none")


def test_facts_of_a_listing_are_the_parts_that_share_a_word_with_the_question():
    lines = ["面积：2,500㎡", "价格：4800元/㎡", "单层厂房，层高8米，可办环评，适合海洋生物、食品加工等小型生产。"]
    assert facts(lines, "层高多少") == ["层高8米"]
    assert facts(lines, "面积多大") == ["面积：2,500㎡"]  # a number's thousands stay with it
    assert facts(lines, "可以做食品加工吗") == ["适合海洋生物、食品加工等小型生产"]
    assert facts(lines, "带装修吗") == []
    assert facts(lines, "这个可以吗") == []  # nothing but the question's frame
