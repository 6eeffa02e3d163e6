"""Entity extraction: every slot, Chinese numerals, and inputs that must not break it."""
import random
import re
import time

import pytest

from bot.knowledge.schema import Synonyms
from bot.nlu.entities import NUMBER_STARTS, EntityExtractor
from bot.nlu.normalize import Normalizer
from bot.nlu.numbers import NUMBER, parse_number
from bot.nlu.vocab import load_vocab
from tests.conftest import KNOWLEDGE


@pytest.fixture(scope="module")
def extract():
    vocab = load_vocab(KNOWLEDGE)
    typos = Synonyms(typos={"厂房": ["厂方"], "写字楼": ["写字搂"]})
    return EntityExtractor(vocab, Normalizer(typos, vocab.fillers, vocab.particles, vocab.keep)).extract


@pytest.mark.parametrize("text,value", [
    ("500", 500), ("1,000", 1000), ("1.5万", 15000), ("五百", 500), ("两千", 2000), ("两千五", 2500),
    ("十", 10), ("一点二亿", 120_000_000), ("1万5", 15000), ("三百万", 3_000_000), ("二〇二一", 2021),
])
def test_numbers(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "万", "点", "abc"])
def test_not_numbers(text):
    assert parse_number(text) is None


def test_every_number_begins_where_the_area_and_money_patterns_look_for_one():
    """The area, range and money patterns try only places a number can begin (NUMBER_STARTS)."""
    rng, number, starts = random.Random(7), re.compile(NUMBER), re.compile(f"[{NUMBER_STARTS}]")
    alphabet = "0123456789０１２３一二两三四十百千万亿点零〇.,，平米亩个万元 a第"
    seen = 0
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 14)))
        for m in number.finditer(text):
            seen += 1
            assert starts.match(text, m.start()), (text, m.group(0))
    assert seen > 5000


# --- listing search slots ---------------------------------------------------------------
@pytest.mark.parametrize("text,expect", [
    ("五百平", {"area_sqm": 500}),
    ("两千平米", {"area_sqm": 2000}),
    ("1.5万平", {"area_sqm": 15000}),
    ("十亩", {"area_sqm": 6667, "type": "land"}),
    ("１２００㎡", {"area_sqm": 1200}),
    ("300 m2", {"area_sqm": 300}),
    ("800平方米左右", {"area_sqm": 800}),
    ("两千多平", {"area_sqm": 2000}),
    ("500-1000平", {"area_min": 500, "area_max": 1000}),
    ("500到1000平米", {"area_min": 500, "area_max": 1000}),
    ("1-2万平", {"area_min": 10000, "area_max": 20000}),
    ("20到30亩", {"area_min": 13334, "area_max": 20001, "type": "land"}),
    ("3000平以上", {"area_min": 3000}),
    ("不少于800平", {"area_min": 800}),
    ("1000平以内", {"area_max": 1000}),
    ("不超过2000平方", {"area_max": 2000}),
])
def test_areas(extract, text, expect):
    assert extract(text) == expect


@pytest.mark.parametrize("text,kind", [
    ("标准厂房", "factory"), ("生产车间", "factory"), ("工业用地", "land"), ("地块", "land"),
    ("写字楼", "office"), ("办公室", "office"), ("公寓", "apartment"), ("仓储", "warehouse"),
    ("实验室", "lab"), ("研发楼", "lab"), ("厂方", "factory"), ("写字搂", "office"),
])
def test_types(extract, text, kind):
    assert extract(text)["type"] == kind


@pytest.mark.parametrize("text,deal", [
    ("求租", "rent"), ("出租", "rent"), ("租赁", "rent"), ("买", "sale"), ("购买", "sale"),
    ("出售", "sale"), ("要买", "sale"), ("拿地", "sale"),
])
def test_deals(extract, text, deal):
    assert extract(text)["deal"] == deal


def test_sales_revenue_is_not_a_deal(extract):
    assert "deal" not in extract("年销售额一千万")


@pytest.mark.parametrize("text,district", [
    ("城阳区有写字楼吗", "城阳区"), ("城阳有厂房吗", "城阳区"), ("西海岸新区", "黄岛区"), ("胶州", "胶州市"),
    ("高新区厂房", "高新区"), ("市南", "市南区"), ("莱西市", "莱西市"),
])
def test_districts(extract, text, district):
    assert extract(text)["district"] == district


def test_place_names_that_are_not_districts(extract):
    assert "district" not in extract("胶州湾附近有厂房吗")
    assert "district" not in extract("高新技术企业")


def test_search_sentence(extract):
    assert extract("求租800平左右单层厂房") == {"type": "factory", "deal": "rent", "area_sqm": 800}
    assert extract("想买20亩地建厂") == {"type": "land", "deal": "sale", "area_sqm": 13334}


def test_budget(extract):
    assert extract("预算500万买厂房")["budget_wan"] == 500
    assert extract("想买写字楼 预算两千万")["budget_wan"] == 2000
    assert extract("总价1.2亿")["budget_wan"] == 12000


def test_unit_price_is_not_a_budget(extract):
    assert "budget_wan" not in extract("租金1.8元/㎡/天")


# --- lead form slots ---------------------------------------------------------------------
def test_one_sentence_lead(extract):
    got = extract("我是海智源公司的王经理,想租2000平厂房做海洋生物,年税收300万左右,电话13912345678")
    assert got == {"company": "海智源公司", "contact": "王经理", "type": "factory", "deal": "rent",
                   "area_sqm": 2000, "industry": "海洋生物", "tax_wan": 300, "phone": "13912345678"}


@pytest.mark.parametrize("text, contact", [
    ("我姓王,电话13912345678", "王"), ("免贵姓欧阳", "欧阳"), ("我姓王，王经理", "王经理"),
    ("想租厂房 本人姓李 13912345678", "李"), ("我姓王的朋友介绍来的", None),
])
def test_a_surname_given_alone_is_the_contact(extract, text, contact):
    assert extract(text).get("contact") == contact


@pytest.mark.parametrize("text,tax", [
    ("年税收300万", 300), ("税收三百万", 300), ("纳税1.2亿", 12000), ("税收大概一点二亿", 12000),
    ("年纳税一个亿", 10000), ("一年交四百万的税", 400), ("300万", 300), ("三百万左右", 300),
    ("税收不确定", "unknown"), ("还不知道", "unknown"), ("不清楚", "unknown"),
])
def test_tax(extract, text, tax):
    assert extract(text)["tax_wan"] == tax


@pytest.mark.parametrize("text", [
    "13912345678", "139 1234 5678", "139-1234-5678", "+86 139 1234 5678", "8613912345678",
    "１３９１２３４５６７８", "电话:１３９ １２３４ ５６７８",
])
def test_phone(extract, text):
    assert extract(text)["phone"] == "13912345678"


@pytest.mark.parametrize("text", ["12912345678", "1391234567", "139123456789", "400 0123 021", "0532-88886666"])
def test_not_a_mobile(extract, text):
    assert "phone" not in extract(text)


@pytest.mark.parametrize("text,company", [
    ("我是海智源公司的", "海智源公司"),
    ("青岛海智源生命科技有限公司", "青岛海智源生命科技有限公司"),
    ("公司是青岛蓝海新能源科技有限公司", "青岛蓝海新能源科技有限公司"),
    ("我们是ABC科技", "ABC科技"),
    ("海尔集团", "海尔集团"),
])
def test_company(extract, text, company):
    assert extract(text)["company"] == company


@pytest.mark.parametrize("text", ["园区有外资公司吗", "我们公司想租厂房", "一家公司", "高科技企业"])
def test_not_a_company(extract, text):
    assert "company" not in extract(text)


@pytest.mark.parametrize("text,contact", [
    ("王经理", "王经理"), ("我是李女士", "李女士"), ("孙总", "孙总"), ("赵先生 15300001111", "赵先生"),
    ("我叫张伟", "张伟"), ("联系人:王芳", "王芳"), ("联系人李强,电话13800001111", "李强"), ("叫我刘经理就行", "刘经理"),
])
def test_contact(extract, text, contact):
    assert extract(text)["contact"] == contact


@pytest.mark.parametrize("text", ["部门经理", "总经理", "我是来咨询的", "2000万总价", "施工进度"])
def test_not_a_contact(extract, text):
    assert "contact" not in extract(text)


@pytest.mark.parametrize("text,industry", [
    ("做海洋生物", "海洋生物"), ("我们做新能源电池的", "新能源电池"), ("用于医疗器械研发", "医疗器械研发"),
    ("用途是跨境电商", "跨境电商"), ("行业:人工智能", "人工智能"),
])
def test_industry(extract, text, industry):
    assert extract(text)["industry"] == industry


def test_usage_word_is_not_the_property_type(extract):
    assert "type" not in extract("做医疗器械研发")
    assert extract("做医疗器械研发,需要600平研发楼")["type"] == "lab"


def test_question_is_not_an_industry(extract):
    assert "industry" not in extract("你们是做什么的")


# --- numbers that are not areas, and hostile input --------------------------------------
def test_numbers_that_are_not_areas(extract):
    got = extract("想租2000平厂房做海洋生物,年税收300万左右,电话13912345678")
    assert (got["area_sqm"], got["tax_wan"], got["phone"]) == (2000, 300, "13912345678")
    assert extract("2021年成立,员工300人") == {}
    assert extract("第三方") == {}
    assert "area_sqm" not in extract("电话13912345678")


@pytest.mark.parametrize("text", ["", "   ", "？？！！。。", "]]>", "<![CDATA[ ]]>", "👍😀🏭", "\x00\x01", "平", "亩亩亩"])
def test_junk_input(extract, text):
    assert extract(text) == {}


def test_very_long_input_reads_only_what_a_message_can_hold(extract):
    text = "厂房" + "啊" * 4990 + "13912345678"
    got = extract(text)
    assert got == {"type": "factory"}  # the phone lies beyond what a WeChat message can hold


def test_long_repetitive_numbers_do_not_backtrack(extract):
    started = time.perf_counter()
    extract("1" * 5000)
    extract("一二三四五六七八九十" * 500)
    extract("1-" * 2500)
    # a no-hang guard, not a benchmark: catastrophic backtracking would take far longer than 10 s,
    # while a slow or busy CI machine must not fail it
    assert time.perf_counter() - started < 10.0
