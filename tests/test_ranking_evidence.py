"""The ranking's evidence on new wordings: character TF-IDF (answers weakly), everyday words, the
clause that asks, and thresholds chosen on held-out probabilities."""
import pytest

from bot.knowledge.loader import load_knowledge
from bot.nlu import Understanding
from bot.nlu.fit import fold_of, held_out_probabilities, probabilities
from bot.nlu.policy import fit_logistic
from bot.nlu.reading import asking_clause
from bot.nlu.tfidf import CharTfidf
from tests.conftest import KNOWLEDGE


@pytest.fixture(scope="module")
def nlu() -> Understanding:
    return Understanding(load_knowledge(KNOWLEDGE))


# --- character TF-IDF ---------------------------------------------------------------------------
def test_a_character_only_the_answer_uses_is_weak_evidence_for_that_entry():
    tfidf = CharTfidf([["园区在哪"], ["园区电话"]], weak=[["园区位于春阳路"], ["请拨打热线"]])
    message = tfidf.message("春阳路")
    assert tfidf.cosine(message, 0) > 0.0 == tfidf.cosine(message, 1)
    # the same characters in a paraphrase count for more than in an answer
    strong = CharTfidf([["园区在哪春阳路"], ["园区电话"]])
    assert strong.cosine(strong.message("春阳路"), 0) > tfidf.cosine(message, 0)


def test_without_answers_the_vectors_are_the_wording_alone():
    plain, empty = CharTfidf([["工研院多大"], ["电话多少"]]), CharTfidf([["工研院多大"], ["电话多少"]], weak=[[], []])
    message = plain.message("工研院占地多大")
    assert plain.cosine(message, 0) == pytest.approx(empty.cosine(empty.message("工研院占地多大"), 0))
    assert plain.knows("研") and not plain.knows("鲸")


def test_a_paraphrase_left_out_of_its_entry_is_not_found_by_its_own_characters(nlu):
    """fit-policy and kb check score each paraphrase without itself: its characters must go too."""
    item = next(i for i, it in enumerate(nlu._items) if it.entry.id == "israel-hall-dining")
    doc, text = nlu._item_docs[item][1], nlu._items[item].texts[1]
    with_it = next(s for s in nlu.rank(text) if s.item == item)
    without = next((s for s in nlu.rank(text, exclude_doc=doc) if s.item == item), None)
    assert without is None or without.cos < with_it.cos


def test_the_cosine_is_part_of_the_ranking_score(nlu):
    from dataclasses import replace

    norm = nlu.normalize("客厅里有地方吃午饭吗")
    plain = Understanding.__new__(Understanding)
    plain.__dict__.update(nlu.__dict__)
    plain.policy = replace(nlu.policy, w_cos=0.0)
    fused, alone = nlu.rank(norm), plain.rank(norm)
    by_item = {s.item: s for s in alone}
    best = fused[0]
    # the fused score is the mix of the evidence without the cosine and the cosine itself
    w = nlu.policy.w_cos
    assert best.score == pytest.approx((1 - w) * by_item[best.item].score + w * 100 * best.cos)


# --- everyday words -------------------------------------------------------------------------------
def test_a_known_character_in_an_unknown_pair_weighs_less_than_an_unknown_character(nlu):
    norm = nlu.normalize("班值鲸")  # 班 and 值 are written somewhere here, never in this order; 鲸 nowhere
    assert nlu._tfidf.knows("值") and nlu._tfidf.knows("班") and not nlu._tfidf.knows("鲸")
    weights = [w for w, _, _ in nlu._content_chars(norm)]
    assert weights[2] == nlu._idf_unseen
    assert weights[0] == weights[1] == pytest.approx(nlu._idf_unseen * nlu.policy.unseen_known_char)
    assert weights[0] < weights[2]


def test_courtesy_words_are_not_content(nlu):
    bare, polite = nlu._content_chars(nlu.normalize("招商电话")), nlu._content_chars(nlu.normalize("麻烦告诉我招商电话"))
    assert len(bare) == len(polite)


# --- the clause that asks -------------------------------------------------------------------------
@pytest.mark.parametrize("text, clause", [
    ("我们是做芯片的，想问问有什么扶持", "想问问有什么扶持"),
    ("老板让我来问 你们园区在哪?我明天过去", "你们园区在哪"),
    ("工研院占地6.2万平方米吗", None),  # one clause: a decimal point does not end one
    ("你好", None),
    ("先这样，谢谢", None),  # nothing asks
])
def test_the_clause_that_asks(text, clause):
    assert asking_clause(text) == clause


def test_a_preamble_does_not_hide_the_question(nlu):
    text = "朋友介绍的，打算回来创业，客服热线是多少"
    whole = nlu._decide(nlu.normalize(text))
    m = nlu.match(text)
    assert (m.status, m.best.id if m.best else None) == ("answer", "contact")
    assert whole.status != "answer"  # the whole message alone was not enough
    assert m.normalized == nlu.normalize(text)  # the log keeps what the user wrote


def test_the_clause_cannot_bring_a_topic_the_whole_message_does_not_rank():
    """An off-topic preamble with a short question the knowledge happens to answer stays unanswered."""
    nlu = Understanding(load_knowledge(KNOWLEDGE))
    m = nlu.match("我在上海开了家火锅店，生意一般，想换个城市，成都怎么样")
    assert m.status != "answer"


# --- thresholds on held-out probabilities -----------------------------------------------------------
def test_held_out_probabilities_come_from_models_fitted_without_the_message():
    xs = [[float(i % 7), float(i % 3)] for i in range(60)]
    ys = [i % 7 > 3 for i in range(60)]
    held = held_out_probabilities(xs, ys)
    assert held == held_out_probabilities(xs, ys)  # deterministic: folds by position
    model = fit_logistic(xs, [int(y) for y in ys])
    own = probabilities(model, xs)
    assert len(held) == len(xs) and held != own
    # a model is surer on the messages it was fitted on than on ones it was not
    sure = lambda ps: sum(abs(p - 0.5) for p in ps)  # noqa: E731
    assert sure(own) >= sure(held)


def test_folds_follow_each_message_text_not_its_position():
    """A new FAQ paraphrase must not reshuffle which other messages are held out together."""
    texts = [f"问法{i}" for i in range(40)]
    before = [fold_of(t) for t in texts]
    after = [fold_of(t) for t in ["新加的一句问法", *texts]][1:]
    assert before == after and len(set(before)) > 1


def test_a_message_written_twice_is_held_out_with_itself():
    # one odd message (label 1, features unlike the rest) written twice; every other message is label 0
    xs = [[float(i % 5), 0.0] for i in range(40)] + [[9.0, 9.0], [9.0, 9.0]]
    ys = [False] * 40 + [True, True]
    texts = [f"别的{i}" for i in range(40)] + ["同一句", "同一句"]
    by_text = held_out_probabilities(xs, ys, texts=texts)
    by_position = held_out_probabilities(xs, ys)  # the twins fall in different folds
    assert by_text[40] == by_text[41]
    # judged by a model that never saw it, the odd message is not taken for a sure thing
    assert by_text[40] < by_position[40] and by_text[41] < by_position[41]
