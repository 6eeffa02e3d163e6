"""synonyms.yaml ``other_topics``: a question on another subject that only borrows an entry's name is not answered."""
import re
import shutil

import pytest

from bot.knowledge.loader import load_knowledge
from bot.nlu import Understanding
from tests.conftest import KNOWLEDGE


@pytest.fixture(scope="module")
def nlu():
    return Understanding(load_knowledge(KNOWLEDGE))


@pytest.mark.parametrize("text", ["爱因斯坦的相对论是什么", "全国排名前十的大学有哪些"])
def test_a_name_borrowed_for_another_subject_is_at_most_suggested(nlu, text):
    assert nlu.match(text).status != "answer"


@pytest.mark.parametrize("text, entry", [("爱因斯坦展有互动吗", "einstein-exhibit"), ("高新区排名第几", "rank-2024")])
def test_the_same_names_in_a_question_about_the_entry_are_answered(nlu, text, entry):
    m = nlu.match(text)
    assert (m.status, m.best.id) == ("answer", entry)


def _with_other_topics(tmp_path, words: str):
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    path = target / "synonyms.yaml"
    text = path.read_text(encoding="utf-8")
    text, n = re.subn(r"other_topics: \[[^\]]*\]", f"other_topics: [{words}]", text)
    assert n == 1
    path.write_text(text, encoding="utf-8")
    return Understanding(load_knowledge(target))


def test_the_list_is_what_holds_the_answer_back(tmp_path):
    assert _with_other_topics(tmp_path, "").match("爱因斯坦的相对论是什么").status == "answer"


def test_a_word_the_knowledge_uses_itself_never_counts(tmp_path):
    # 展览 and 互动 are in the exhibition's own answer: listing them changes nothing
    nlu = _with_other_topics(tmp_path, "展览, 互动, 相对论")
    assert nlu.match("爱因斯坦展有互动吗").status == "answer"
    assert nlu.match("爱因斯坦的相对论是什么").status != "answer"


@pytest.mark.parametrize("bad", ["学", "股 价"])
def test_kb_check_rejects_a_topic_word_that_would_hold_back_every_question(tmp_path, bad):
    from bot.tools.kb_check import check

    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    path = target / "synonyms.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("other_topics: [", f"other_topics: ['{bad}', ", 1), encoding="utf-8")
    problems = [str(p) for p in check(target)]
    assert any("other_topics" in p and "two characters" in p for p in problems), problems
