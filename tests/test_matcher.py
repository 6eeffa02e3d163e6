"""Matching: the three outcomes, hard negatives, parks, conflicts, and the candidate index."""
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.knowledge.loader import KnowledgeError
from bot.knowledge.schema import Faq, ParkEntry, Synonyms
from bot.nlu import Match, Understanding
from bot.nlu.index import BigramIndex, PhraseIndex, grams
from tests.conftest import KNOWLEDGE


@dataclass
class FakeKb:
    """The parts of Knowledge that Understanding reads."""

    directory: Path
    faqs: list = field(default_factory=list)
    parks: list = field(default_factory=list)
    synonyms: Synonyms = field(default_factory=Synonyms)


FAQS = [
    Faq(id="iti-intro", questions=["工研院是干什么的", "工研院在哪", "工研院多大", "工研院哪年成立的", "青岛市工业技术研究院介绍"],
        keywords=["工研院", "育成中心", "86亩"], answer="工研院自2012年成立,占地86亩。"),
    Faq(id="industries", questions=["高新区主导产业是什么", "三大主导产业", "高新区重点发展哪些产业", "人工智能企业适合来吗"],
        keywords=["主导产业", "人工智能", "医疗医药"], answer="新一代信息技术、医疗医药、人工智能+高端装备制造。"),
    Faq(id="policy", questions=["有什么优惠政策", "落户有补贴吗", "招商政策", "有没有扶持政策"],
        keywords=["优惠", "政策", "补贴"], answer="请致电招商热线。", follow_ups=["contact"]),
    Faq(id="contact", questions=["怎么联系你们", "电话多少", "招商电话", "客服热线"],
        keywords=["电话", "热线"], answer="400 0123 021"),
    Faq(id="hall-location", questions=["国际客厅在哪", "以色列客厅地址", "国际客厅有多大"],
        keywords=["客厅在哪", "选址"], answer="中科研发城,15000平方米。"),
    Faq(id="hall-dining", questions=["国际客厅有咖啡厅吗", "客厅有没有餐厅"],
        keywords=["餐厅", "咖啡厅"], answer="有以色列特色餐厅和咖啡厅。"),
]
PARKS = [
    ParkEntry(id="tianan", name="天安科创城", aliases=["动车小镇"], summary="天安科创城城市展厅位于春阳路。"),
    ParkEntry(id="jimo", name="即墨科技创新园", aliases=["即墨科创园"], district="即墨区", summary="海智源在此。"),
]
SYNONYMS = Synonyms(
    synonyms={"工研院": ["工业技术研究院", "青岛市工业技术研究院"], "干什么": ["干嘛", "干啥"], "人工智能": ["AI"],
              "国际客厅": ["以色列客厅", "中以客厅"]},
    typos={"园区": ["园去"], "工研院": ["工研园"]},
)


@pytest.fixture(scope="module")
def kb_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("kb")
    shutil.copy(KNOWLEDGE / "entities.yaml", d / "entities.yaml")
    return d


@pytest.fixture(scope="module")
def nlu(kb_dir) -> Understanding:
    return Understanding(FakeKb(kb_dir, FAQS, PARKS, SYNONYMS))


def test_confident_answer(nlu):
    m = nlu.match("工研院是干嘛的")
    assert isinstance(m, Match)
    assert (m.status, m.best.id, m.suggestions) == ("answer", "iti-intro", [])
    assert m.best.title == "工研院是干什么的" and "2012" in m.best.answer
    assert m.normalized == "工研院是干什么的"


def test_noisy_spelling_still_answers(nlu):
    assert nlu.match("请问 工研园 在哪儿呀？").best.id == "iti-intro"
    assert nlu.match("有啥優惠政策不").best.id == "policy"
    assert nlu.match("ＡＩ企業適合來嗎").best.id == "industries"


def test_follow_ups_are_carried(nlu):
    assert nlu.match("有什么优惠政策").best.follow_ups == ["contact"]


def test_low_confidence_suggests_up_to_three(nlu):
    m = nlu.match("客厅的情况")  # both hall entries talk about it; neither clearly wins
    assert m.status == "suggest" and m.best is None
    assert 1 <= len(m.suggestions) <= 3
    assert {s.id for s in m.suggestions} == {"hall-location", "hall-dining"}


@pytest.mark.parametrize("text", ["明天会下雨吗", "今天星期几", "how is the weather today", "帮我订一张机票"])
def test_off_topic_gets_nothing(nlu, text):
    m = nlu.match(text)
    assert (m.status, m.best, m.suggestions) == ("none", None, [])


@pytest.mark.parametrize("text", ["学人工智能好找工作吗", "以色列首都是哪里", "电话打不通怎么办"])
def test_hard_negatives_are_not_answered(nlu, text):
    assert nlu.match(text).status != "answer"


@pytest.mark.parametrize("text", ["", "   ", "？？！！", "]]>", "👍😀", "嗯", "啊啊啊"])
def test_junk_is_none(nlu, text):
    assert nlu.match(text).status == "none"


def test_very_long_message_keeps_its_topic(nlu):
    # 5 000 characters of padding around a topic word: handled, and about the same entry
    short, long = nlu.match("工研院是干嘛的"), nlu.match("工研院是干嘛的" + "的" * 4993)
    assert short.status == "answer"
    assert (long.status, long.best.id) == ("answer", short.best.id)


def test_park_is_an_entry_answered_with_its_summary(nlu):
    m = nlu.match("天安科创城")
    assert m.status == "answer" and m.best.id == "park:tianan"
    assert m.best.title == "天安科创城" and "春阳路" in m.best.answer


def test_mentions_park(nlu):
    assert nlu.mentions_park("即墨科创园有厂房吗").id == "jimo"
    assert nlu.mentions_park("动车小镇附近").id == "tianan"
    assert nlu.mentions_park("有厂房吗") is None
    assert nlu.mentions_park("") is None


def test_entities_through_the_facade(nlu):
    assert nlu.entities("求租800平左右单层厂房") == {"type": "factory", "deal": "rent", "area_sqm": 800}
    assert nlu.normalize("園去") == "园区"


def test_conflicts_leave_one_out(kb_dir):
    faqs = [*FAQS, Faq(id="copy", questions=["工研院占地多大", "工研院多大"], answer="重复")]
    nlu = Understanding(FakeKb(kb_dir, faqs, PARKS, SYNONYMS))
    found = {(c.faq_id, c.other_id) for c in nlu.conflicts()}
    assert ("iti-intro", "copy") in found or ("copy", "iti-intro") in found
    assert all(c.question == next(f for f in faqs if f.id == c.faq_id).questions[c.question_index]
               for c in nlu.conflicts())


def test_missing_vocabulary_fails_clearly(tmp_path):
    with pytest.raises(KnowledgeError, match="entities.yaml"):
        Understanding(FakeKb(tmp_path, FAQS, PARKS, SYNONYMS))



def test_concurrent_reads_agree(nlu):
    texts = ["工研院是干嘛的", "明天会下雨吗", "国际客厅", "有啥优惠政策不", "天安科创城"] * 40
    expected = [nlu.match(t) for t in texts]
    results: dict[int, list] = {}

    def work(k):
        results[k] = [nlu.match(t) for t in texts]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results.values())


# --- the candidate indexes ---------------------------------------------------------------
def test_grams():
    assert grams("园区厂房") == {"园区", "区厂", "厂房"}
    assert grams("园") == {"园"} and grams("") == frozenset()


def test_bigram_index_ranks_by_shared_bigrams():
    index = BigramIndex(["工研院在哪", "工研院多大", "国际客厅在哪"])
    top = index.candidates(grams("工研院在哪里"), limit=2)
    assert top[0] == (0, 4) and top[1][0] == 1


def test_bigram_index_budget_bounds_work():
    docs = [f"园区{i}号楼" for i in range(5000)] + ["海克斯康园区"]
    index = BigramIndex(docs, budget=100)
    top = index.candidates(grams("海克斯康园区"), limit=3)
    assert top[0][0] == 5000  # the rare bigrams find it; 园区 (in every doc) only re-ranks


def test_phrase_index_finds_every_known_phrase():
    index = PhraseIndex([("工研院", 1), ("育成中心", 1), ("工研", 2)])
    hits = {(start, phrase) for start, phrase, _ in index.find("工研院的育成中心")}
    assert hits == {(0, "工研院"), (0, "工研"), (4, "育成中心")}


def test_a_bare_topic_word_shared_by_several_entries_is_a_suggestion_not_an_answer():
    from bot.knowledge.loader import load_knowledge

    real = Understanding(load_knowledge(KNOWLEDGE))
    match = real.match("以色列")  # the Israel entries: innovation, the living room, its restaurant, the roadshow
    assert match.status == "suggest" and len(match.suggestions) >= 2
    assert real.match("工研院").status == "answer"  # a keyword of exactly one entry still answers


@pytest.fixture(scope="module")
def park_nlu():
    from bot.knowledge.loader import load_knowledge

    return Understanding(load_knowledge(KNOWLEDGE))


@pytest.mark.parametrize("place", ["黄岛", "昆山高新区"])
def test_a_question_about_another_park_is_at_most_suggested(park_nlu, place):
    """synonyms.yaml ``other_parks``: the same question is answered about ours, not about theirs."""
    assert park_nlu.match("高新区的主导产业是什么").status == "answer"
    assert park_nlu.match(f"{place}的主导产业是什么").status != "answer"


def test_a_question_to_us_naming_where_the_asker_is_still_answered(park_nlu):
    m = park_nlu.match("我们工厂在昆山,你们高新区的主导产业是什么")
    assert (m.status, m.best.id) == ("answer", "leading-industries")


def test_the_words_that_address_us_are_knowledge(tmp_path):
    """synonyms.yaml ``to_us``: without 你们 there, a question naming 昆山 is held back even when it asks us."""
    from bot.knowledge.loader import load_knowledge

    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    path = target / "synonyms.yaml"
    text = path.read_text(encoding="utf-8")
    assert "to_us: [你们, " in text
    path.write_text(text.replace("to_us: [你们, ", "to_us: ["), encoding="utf-8")
    question = "我们工厂在昆山想问你们高新区的主导产业是什么"  # one clause: no part without 昆山 is tried alone
    assert Understanding(load_knowledge(target)).match(question).status != "answer"
    assert Understanding(load_knowledge(KNOWLEDGE)).match(question).status == "answer"


@pytest.mark.parametrize("bad", ["你", "贵 园", ""])
def test_kb_check_rejects_a_word_that_would_address_us_in_every_message(tmp_path, bad):
    from bot.tools.kb_check import check

    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    path = target / "synonyms.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("to_us: [你们, ", f"to_us: ['{bad}', 你们, "), encoding="utf-8")
    line = text[: text.index("to_us:")].count("\n") + 1
    problems = [str(p) for p in check(target)]
    assert any(p.startswith(f"synonyms.yaml:{line}:") and "to_us" in p and "two characters" in p for p in problems), problems


@pytest.mark.parametrize("question", ["我在苏州工业园区，那边有什么优惠政策", "合肥那边，有补贴吗"])
def test_a_question_about_another_place_is_held_back_whatever_its_asking_clause_says(park_nlu, question):
    """The asking clause alone (那边有什么优惠政策) names no place; the message does."""
    assert park_nlu.match(question).status != "answer"
    assert park_nlu.match("我们厂在昆山，你们有什么优惠政策").status == "answer"  # it speaks to us


def test_an_unknown_refine_word_group_is_refused_with_its_line(tmp_path):
    from bot.knowledge.loader import KnowledgeError
    from bot.nlu.vocab import load_vocab

    text = (KNOWLEDGE / "entities.yaml").read_text(encoding="utf-8")
    assert "\n  cheaper: [" in text
    (tmp_path / "entities.yaml").write_text(text.replace("\n  cheaper: [", "\n  cheapest: ["), encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_vocab(tmp_path)
    line = text[:text.index("\n  cheaper: [") + 1].count("\n") + 1
    assert f"entities.yaml:{line}" in str(caught.value) and "cheapest" in str(caught.value)


@pytest.mark.parametrize("question, entry", [
    ("即墨的科创园在哪", "park-jimo"), ("即墨那个科创园在哪", "park-jimo"), ("即墨科创园在哪", "park-jimo"),
    ("科创园在哪", "park-scc"),  # the bare alias still names the park it belongs to
])
def test_a_place_then_a_word_then_a_park_alias_names_the_park_of_that_place(park_nlu, question, entry):
    """科创园 alone is SCC's alias; 即墨的科创园 is 即墨科创园 (即墨科技创新园), not SCC in 即墨."""
    m = park_nlu.match(question)
    assert m.best is not None and m.best.id == entry, m
