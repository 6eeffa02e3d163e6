"""Field readers: each answer read as the value of the field that was asked (pure functions)."""
from __future__ import annotations

import pytest

from bot.knowledge.loader import load_knowledge
from bot.nlu import Understanding
from bot.nlu.fields import amount_wan, approx_ranges, declines, find_phone, is_affirm, readers_for, tidy_text
from tests.conftest import KNOWLEDGE


@pytest.fixture(scope="module")
def readers():
    return readers_for(Understanding(load_knowledge(KNOWLEDGE)))


@pytest.mark.parametrize("text, want", [
    ("一两百万", "100-200万"), ("两三千平", "2000-3000平"), ("五六十万", "50-60万"), ("一两个亿", "1-2亿"),
    ("三百万", "三百万"), ("二一", "二一"),
])
def test_approximate_ranges_become_digits(text, want):
    assert approx_ranges(text) == want


@pytest.mark.parametrize("text, want", [
    ("300万", 300), ("1.2亿", 12000), ("一个亿", 10000), ("200到300万", [200, 300]), ("100万-200万", [100, 200]),
    ("一千到两千万", [1000, 2000]), ("两百来万", 200), ("300", 300), ("第一年", None), ("很多", None),
    ("1.8元/㎡", None),
])
def test_amounts_in_wan(text, want):
    assert amount_wan(text) == want


@pytest.mark.parametrize("text, want", [
    ("139 1234 5678", "13912345678"), ("+86 139-1234-5678", "13912345678"), ("１３９１２３４５６７８", "13912345678"),
    ("一三九一二三四五六七八", "13912345678"), ("1391234567", None), ("139123456789", None), ("0532-88888888", None),
])
def test_mobile_numbers(text, want):
    found = find_phone(text)
    assert (found[0] if found else None) == want


def test_the_cue_before_a_phone_is_part_of_its_span():
    number, (start, end) = find_phone("蓝海科技，电话13912345678")
    assert number == "13912345678" and start == len("蓝海科技，")


@pytest.mark.parametrize("reader, text, value", [
    ("contact", "姓张 弓长张", "张"), ("contact", "Kevin Wang", "Kevin Wang"), ("contact", "王 先生", "王先生"),
    ("contact", "老刘", "老刘"), ("company", "我们公司叫蓝海科技", "蓝海科技"), ("company", "个人", "个人"),
    ("text", "我们是做跨境电商仓储的", "跨境电商仓储"), ("text", "生物医药行业", "生物医药"),
    ("amount", "暂时保密", "unknown"), ("phone", "微信同号 13912345678", "13912345678"),
])
def test_readers_keep_the_value(readers, reader, text, value):
    assert readers.read(reader, text).value == value


@pytest.mark.parametrize("reader, text, problem", [
    ("contact", "好的", "form_not_an_answer"), ("contact", "贵姓保密", "contact_unclear"),
    ("text", "嗯", "form_not_an_answer"), ("text", "x", "form_too_short"), ("text", "字" * 41, "form_too_long"),
    ("text", "123", "form_no_words"), ("company", "是的", "form_not_an_answer"),
    ("phone", "12345", "phone_wrong"), ("phone", "不想给", "phone_missing"), ("amount", "很多", "amount_unclear"),
    ("need", "1500平", "need_no_type"), ("need", "好的", "form_not_an_answer"),
])
def test_readers_say_what_was_wrong(readers, reader, text, problem):
    read = readers.read(reader, text)
    assert read.problem == problem and not read.ok


def test_need_keeps_the_words_and_reads_its_parts(readers):
    read = readers.read("need", "需要厂房3000平 要有315千伏安的电")
    assert read.value == "需要厂房3000平 要有315千伏安的电"
    assert read.detail == {"type": "factory", "area_sqm": 3000}
    assert readers.read("need", "一万平的地").detail["type"] == "land"


def test_other_fields_are_found_only_when_unambiguous(readers):
    found = readers.others("青岛蓝海科技有限公司 王经理，电话 139 1234 5678")
    assert {k: v for k, (v, _) in found.items()} == {
        "company": "青岛蓝海科技有限公司", "contact": "王经理", "phone": "13912345678"}
    assert readers.others("冷链仓储配送") == {}
    assert readers.others("海洋生物科技") == {}  # a bare 科技 is not a company's legal name
    # a company described is not a company named
    assert "company" not in readers.others("我们是一家做芯片设计的公司")
    assert "company" not in readers.others("我们是一家外资企业")
    assert readers.others("我们是蓝海科技公司")["company"][0] == "蓝海科技公司"


def test_words_kept_as_typed_and_small_words_recognised():
    assert tidy_text("嗯，租厂房，层高8米吧。") == "租厂房，层高8米"
    assert is_affirm("好的！") and not is_affirm("好的厂房")
    assert declines("暂时保密") and not declines("保税仓")
    # a bare "I don't know" is no value either; inside a real answer it stays part of it
    assert declines("不知道") and declines("我也不清楚。") and declines("暂时还没定")
    assert not declines("做什么还不确定，大概是新能源") and not declines("不知道科技有限公司")
