"""The conversation's logic: the menu, answers, listings, the form's flow. On the engine with storage
kept in memory; the conversation end to end (through /wechat, real Redis, leads, retries, users at
once) is test_conversation.py.
"""
from __future__ import annotations

import re

import pytest

from bot.dialogue.listings import rank
from tests.test_conversation import FULL
from tests.support.memory_chat import kb, msg, storage  # noqa: F401 (fixtures on the in-memory chat)


def best_answer(kb, text):
    from bot.nlu import Understanding

    match = Understanding(kb).match(text)
    assert match.status == "answer", match
    return match.best.id


def test_subscribe_greets_with_the_numbered_menu(chat, openid, kb, msg):
    text = chat.event(openid, "subscribe")
    assert text.startswith(msg("welcome", park=kb.park.name))
    for item in kb.menu.items:
        assert msg("menu_line", digit=item.digit, title=item.title) in text


@pytest.mark.parametrize("word", ["你好", "菜单", "帮助"])
def test_greetings_show_the_menu(chat, openid, msg, word):
    assert msg("menu_header") in chat.say(openid, word)


def test_digit_picks_from_the_menu(chat, openid, kb, msg):
    chat.say(openid, "菜单")
    intro = next(i for i in kb.menu.items if i.action == "intro")
    assert kb.park.profile.strip().split("\n")[0] in chat.say(openid, str(intro.digit))
    chat.say(openid, "菜单")
    lead = next(i for i in kb.menu.items if i.action == "lead")
    assert msg("ask_need") in chat.say(openid, str(lead.digit))


def test_digit_outside_the_list_says_so(chat, openid, msg, kb):
    chat.say(openid, "菜单")
    assert msg("choice_expired", count=len(kb.menu.items)) in chat.say(openid, "9")


def test_a_question_is_answered_from_the_knowledge_base_and_invites_once(chat, openid, kb, msg):
    text = chat.say(openid, "工研院是干嘛的")
    answer = kb.faq_by_id[best_answer(kb, "工研院是干嘛的")].answer.strip()
    assert answer.split("\n")[0] in text
    assert msg("answer_invite") in text
    assert msg("answer_invite") not in chat.say(openid, "高新区全国排第几")


def test_listing_search_lists_numbered_results_and_details(chat, openid, kb, msg):
    text = chat.say(openid, "求租800平左右单层厂房")
    assert "1. " in text
    factories = {x.title for x in kb.listings if x.type == "factory" and x.deal == "rent"}
    first = text.split("1. ", 1)[1].split("\n")[0]
    assert first in factories
    details = chat.say(openid, "1")
    assert first in details and ("租赁" in details)


@pytest.mark.parametrize("pick, n", [("第二个", 2), ("第2个怎么样", 2), ("看看第三套", 3), ("我要1号", 1), ("一", 1)])
def test_an_item_picked_in_words_opens_like_its_digit(chat, openid, pick, n):
    listed = chat.say(openid, "有没有2000平的厂房")
    title = listed.split(f"{n}. ", 1)[1].split("\n")[0]
    details = chat.say(openid, pick)
    assert details.startswith(f"【{title}】"), details
    # what is no pick stays what it was: a question, not item 1
    assert not chat.say(openid, "第一次来青岛投资要注意什么").startswith("【")


def _listed(kb, text):
    by_title = {x.title: x for x in kb.listings}
    return [by_title[line.split(". ", 1)[1]] for line in text.split("\n")
            if re.match(r"^\d\. ", line) and line.split(". ", 1)[1] in by_title]


def test_the_last_search_narrowed_by_place_deal_and_size_words(chat, openid, kb, msg):
    first = _listed(kb, chat.say(openid, "有没有厂房出租"))
    assert first and all(x.type == "factory" and x.deal == "rent" for x in first)
    bigger = chat.say(openid, "有没有更大的")
    larger = [x for x in kb.listings if x.available and x.type == "factory" and x.deal == "rent"
              and x.area > max(y.area for y in first)]
    assert bigger.startswith(msg("search_beyond", what=msg("refine_bigger"), count=len(larger))), bigger
    assert all(x.area > max(y.area for y in first) and x.type == "factory" and x.deal == "rent"
               for x in _listed(kb, bigger))
    district = next(x.district for x in kb.listings if x.type == "factory" and x.deal == "rent" and x.available)
    short = district[:-1]  # 「城阳的呢」: the district's short name
    narrowed = _listed(kb, chat.say(openid, f"{short}的呢"))
    assert narrowed and all(x.district == district and x.type == "factory" and x.deal == "rent" for x in narrowed)
    sale = _listed(kb, chat.say(openid, "出售的呢"))
    assert all(x.deal == "sale" and x.type == "factory" for x in sale)
    # what the list already is, said again in a question, is no new list: 「租金怎么算」 after rentals
    chat.say(openid, "有没有厂房出租")
    assert not _listed(kb, chat.say(openid, "租金怎么算"))


def test_cheaper_compares_prices_in_the_same_unit_and_says_when_there_is_none(chat, openid, kb, msg):
    from bot.dialogue.listings import price_value

    first = _listed(kb, chat.say(openid, "有没有厂房出租"))
    dearest = max(range(len(first)), key=lambda i: price_value(first[i].price)[0])
    chat.say(openid, str(dearest + 1))  # looking at the dearest of the page: cheaper means cheaper than it
    cheaper = chat.say(openid, "便宜一点的有吗")
    found = _listed(kb, cheaper)
    assert found and all(price_value(x.price)[0] < price_value(first[dearest].price)[0] for x in found), cheaper
    assert [price_value(x.price)[0] for x in found] == sorted(price_value(x.price)[0] for x in found)
    for _ in range(5):  # cheaper again until nothing is: then it says so, and the list stays
        cheaper = chat.say(openid, "还有更便宜的吗")
        if not _listed(kb, cheaper):
            break
    assert cheaper == msg("search_beyond_none", what=msg("refine_cheaper"), kind=msg("type_factory"))
    assert price_value("1.1元/㎡/天") == (1.1, "元/㎡/天") and price_value("面议") is None


def test_asking_for_cheap_ones_lists_them_cheapest_first(chat, openid, kb):
    from bot.dialogue.listings import price_value

    listed = _listed(kb, chat.say(openid, "有没有便宜的厂房出租"))
    assert len(listed) >= 2
    assert [price_value(x.price)[0] for x in listed] == sorted(price_value(x.price)[0] for x in listed)


def test_a_place_word_without_a_list_shown_is_no_narrowing(chat, openid, msg):
    # nothing listed yet: 「更大的」 has nothing to be bigger than, and is not read as a search
    assert not chat.say(openid, "有没有更大的").startswith(msg("search_beyond", what=msg("refine_bigger"), count=1)[:4])


def _answer_of(kb, entry_id):
    return next(f.answer.strip() for f in kb.faqs if f.id == entry_id)


def test_a_follow_up_that_leaves_out_its_subject_is_read_with_it(chat, openid, kb, storage):
    assert chat.say(openid, "国际客厅是干嘛的").startswith(_answer_of(kb, "israel-hall-intro"))
    assert storage.load(openid).topic == "青岛以色列国际客厅"
    assert chat.say(openid, "它在哪").startswith(_answer_of(kb, "israel-hall-location"))
    # the subject carries on through follow-ups, and a new one replaces it
    assert chat.say(openid, "里面能吃饭吗").startswith(_answer_of(kb, "israel-hall-dining"))
    assert chat.say(openid, "工研院是干什么的").startswith(_answer_of(kb, "iti-intro"))
    assert chat.say(openid, "获过什么荣誉").startswith(_answer_of(kb, "iti-award"))


def test_a_follow_up_long_after_its_subject_is_read_alone(chat, openid, kb, storage):
    chat.say(openid, "国际客厅是干嘛的")
    alone = chat.say(openid, "它在哪")
    for text in ("你好", "谢谢", "好的"):
        chat.say(openid, text)
    assert chat.say(openid, "它在哪") != alone  # three messages later 「它」 is no longer the hall
    # a question about nothing the bot knows keeps no subject
    chat.say(openid, "明天天气怎么样")
    assert storage.load(openid).topic is None


def test_nothing_fits_offers_alternatives(chat, openid, msg):
    text = chat.say(openid, "求租50万平厂房")
    assert msg("search_alternatives") in text and msg("search_none", hotline="400 0123 021") not in text
    assert re.search(r"^1\. \S", text, re.M), text


def test_more_pages_through_results(chat, openid, msg, kb):
    factories, relaxed = rank(kb.listings, {"type": "factory", "deal": "rent"}, set())
    assert not relaxed and len(factories) == 4  # the shipped demo listings: one page of 3, then 1
    first = chat.say(openid, "求租厂房")
    assert first.split("1. ", 1)[1].split("\n")[0] == factories[0].title
    assert msg("listing_more_footer") in first and factories[3].title not in first
    text = chat.say(openid, "更多")
    assert text.split("\n")[0] == f"1. {factories[3].title}", text
    assert "2. " not in text and msg("listing_footer") in text
    assert chat.say(openid, "更多") == msg("search_no_more")


def test_more_after_the_only_page_says_there_is_no_more(chat, openid, msg, kb):
    offices, relaxed = rank(kb.listings, {"type": "office", "deal": "rent"}, set())
    assert not relaxed and 1 < len(offices) <= 3  # the shipped demo listings: all on the first page
    first = chat.say(openid, "有写字楼吗 出租")
    assert f"{len(offices)}. {offices[-1].title}" in first
    assert chat.say(openid, "更多") == msg("search_no_more")


def test_one_sentence_fills_everything_and_jumps_to_confirmation(chat, openid, msg):
    text = chat.say(openid, "我是海智源公司的王经理,想租2000平厂房做海洋生物,年税收300万左右,电话13912345678")
    assert msg("confirm_footer") in text
    for value in ("海智源公司", "王经理", "2000", "海洋生物", "300", "13912345678"):
        assert value in text


def test_slots_said_earlier_are_prefilled(chat, openid, msg):
    chat.say(openid, "求租800平左右单层厂房")
    text = chat.say(openid, "登记")
    assert msg("ask_need") not in text and msg("ask_industry") in text


def test_question_mid_form_is_answered_then_the_prompt_repeats(chat, openid, msg, kb):
    chat.say(openid, "登记")
    chat.say(openid, "租1000平厂房")
    text = chat.say(openid, "工研院是干嘛的?")
    assert msg("back_to_form") in text and text.rstrip().endswith(msg("ask_industry"))


def test_cancel_abandons_the_form(chat, openid, msg, storage):
    chat.say(openid, "登记")
    assert chat.say(openid, "取消") == msg("form_cancelled")
    assert storage.load(openid).form is None
    assert chat.say(openid, "取消") == msg("nothing_to_cancel")


def test_modify_a_field_returns_to_confirmation(chat, openid, msg):
    chat.say(openid, "我是海智源公司的王经理,想租2000平厂房做海洋生物,年税收300万左右,电话13912345678")
    assert msg("ask_phone") in chat.say(openid, "修改手机号")
    text = chat.say(openid, "13800001111")
    assert msg("confirm_footer") in text and "13800001111" in text and "13912345678" not in text
    text = chat.say(openid, "公司改成蓝海科技有限公司")
    assert msg("confirm_footer") in text and "蓝海科技有限公司" in text


def test_restart_clears_the_form(chat, openid, msg):
    chat.say(openid, "我是海智源公司的王经理,想租2000平厂房,电话13912345678")
    text = chat.say(openid, "重新开始")
    assert msg("form_restarted") in text and msg("ask_need") in text


def test_modify_with_the_new_value_in_the_same_message(chat, openid, msg):
    chat.say(openid, FULL)
    text = chat.say(openid, "修改公司")
    assert msg("ask_company") in text and "修改公司" not in text
    text = chat.say(openid, "蓝海医疗")
    assert msg("confirm_footer") in text and "蓝海医疗" in text
    text = chat.say(openid, "手机号改为13800001111")
    assert msg("confirm_footer") in text and "13800001111" in text


def test_i_dont_know_is_not_an_answer_to_a_text_question(chat, openid, msg, storage):
    chat.say(openid, "登记")
    assert chat.say(openid, "不知道") == "\n".join((msg("need_no_type"), msg("invalid_need")))
    assert "tax" not in storage.load(openid).form.slots


def test_interest_in_the_only_listed_result_starts_the_form_with_it(chat, openid, msg, storage, kb):
    offices, relaxed = rank(kb.listings, {"type": "office", "district": "城阳区"}, set())
    assert not relaxed and len(offices) == 1  # the shipped demo listings have one such office
    text = chat.say(openid, "城阳区有写字楼吗")
    assert f"1. {offices[0].title}" in text and "2. " not in text
    text = chat.say(openid, "想了解这个")
    assert msg("form_start") in text and msg("ask_need") not in text
    assert storage.load(openid).form.listings == [offices[0].id]


def test_interest_among_several_listed_asks_which(chat, openid, msg):
    text = chat.say(openid, "求租厂房")
    assert "2. " in text
    assert chat.say(openid, "想了解这个") == msg("which_listing")


def test_the_zone_area_is_not_answered_with_the_living_rooms(chat, openid):
    text = chat.say(openid, "园区有多大")
    assert "没有" in text and "总面积" in text


@pytest.mark.parametrize("word", ["登记", "确认", "更多"])
def test_command_words_are_not_taken_as_a_field_value(chat, openid, msg, storage, word):
    chat.say(openid, "登记")
    chat.say(openid, "租1000平厂房")
    chat.say(openid, "跳过")
    chat.say(openid, "跳过")
    text = chat.say(openid, word)  # the company is being asked for
    assert msg("back_to_form") in text and msg("ask_company") in text
    assert "company" not in storage.load(openid).form.slots


def test_a_phone_typed_at_another_question_fills_the_phone_not_that_field(chat, openid, msg, storage):
    chat.say(openid, "登记")
    chat.say(openid, "租500平仓库")
    text = chat.say(openid, "138 0013 8000")  # asked for 用途
    slots = storage.load(openid).form.slots
    assert slots["phone"] == "13800138000" and "industry" not in slots
    assert msg("ask_industry") in text


def test_large_tax_reads_in_yi(chat, openid, msg):
    text = chat.say(openid, "我是海智源公司的王经理,想租2000平厂房做海洋生物,年税收一点二亿,电话13912345678")
    assert msg("tax_amount_yi", yi="1.2") in text


def test_register_right_after_a_listing_carries_it_into_the_need(chat, openid, msg, storage):
    chat.say(openid, "求租800平左右单层厂房")
    details = chat.say(openid, "1")
    title = details.split("【", 1)[1].split("】", 1)[0]
    text = chat.say(openid, "登记")
    assert msg("ask_need") not in text
    assert title in storage.load(openid).form.slots["need"]

