"""The matcher's compact structures answer exactly as the sets and dicts they replace, also when read back.

Each structure is compared with the plain form it stands for (a set of bigrams per entry, a set per
long posting list, a dict of float weights per entry) on texts made to hit the edge cases: one-character
texts, empty texts, messages whose grams are rare and common, and a pickle round trip as a restart reads it.
"""
from __future__ import annotations

import math
import pickle
import random
from collections import Counter, defaultdict
from operator import itemgetter

import pytest

from bot.knowledge.built import _Pickler
from bot.nlu import entries
from bot.nlu.entries import SEP, DocRanges, Entry, Item, bigram_text, probe
from bot.nlu.index import BigramIndex, IdfTable, grams, idf_table
from bot.nlu.tfidf import CharTfidf

CHARS = "园区厂房在哪里多大税收优惠工研院"


def _texts(rng: random.Random, n: int) -> list[str]:
    # lengths 0-6: the empty text and one-character texts are where a string search could differ from a set
    return ["".join(rng.choice(CHARS) for _ in range(rng.randint(0, 6))) for _ in range(n)]


def _read_back(value):
    import io

    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return pickle.loads(buffer.getvalue())


@pytest.mark.parametrize("longest_scanned", [0, 12, 10_000])  # all sets, both, all strings
def test_a_bigram_text_holds_a_probe_exactly_when_a_text_has_that_bigram(monkeypatch, longest_scanned):
    monkeypatch.setattr(entries, "LONGEST_SCANNED", longest_scanned)
    rng = random.Random(3)
    asked = ["", SEP, "园" + SEP, SEP + "园", *CHARS, *(a + b for a in CHARS for b in CHARS)]
    kinds = set()
    for _ in range(300):
        texts = _texts(rng, rng.randint(0, 4))
        as_set = frozenset().union(*map(grams, texts))
        joined = bigram_text(texts)
        kinds.add(type(joined))
        assert [probe(g) in joined for g in asked] == [g in as_set for g in asked], texts
        item = Item(Entry("x", "x", ""), tuple(texts), (), joined, bigram_text(["园区在哪"]))
        assert item.bigrams() == as_set | grams("园区在哪")
    assert kinds == ({str} if longest_scanned == 10_000 else {str, frozenset})


def test_one_text_of_two_characters_or_more_is_its_own_bigram_text():
    answer = "园区在春阳路"
    assert bigram_text([answer]) is answer
    assert probe("园") not in bigram_text(["园区"]) and probe("园") in bigram_text(["园"])


def _candidates_with_sets(docs: list[str], message: str, budget: int, rerank: int, limit: int):
    """The bigram index as it was: a set for every posting list asked by membership."""
    postings: dict[str, list[int]] = defaultdict(list)
    for doc, text in enumerate(docs):
        for gram in grams(text):
            postings[gram].append(doc)
    known = sorted((g for g in grams(message) if g in postings), key=lambda g: (len(postings[g]), g))
    if not known:
        return []
    counts: Counter[int] = Counter()
    spent, common = 0, []
    for gram in known:
        if not spent or spent + len(postings[gram]) <= budget:
            counts.update(postings[gram])
            spent += len(postings[gram])
        else:
            common.append(gram)
    if not common:
        return sorted(counts.items(), key=itemgetter(1), reverse=True)[:limit]
    survivors = dict(sorted(counts.items(), key=itemgetter(1), reverse=True)[:rerank])
    for gram in common:
        for doc in frozenset(postings[gram]).intersection(survivors):
            survivors[doc] += 1
    return sorted(survivors.items(), key=itemgetter(1), reverse=True)[:limit]


@pytest.mark.parametrize("budget", [3, 20, 500])
def test_the_bigram_index_ranks_as_with_a_set_per_posting_list_also_read_back(budget):
    rng = random.Random(budget)
    docs = [t for t in _texts(rng, 400) if t]
    index = BigramIndex(docs, budget=budget, rerank=15)
    again = _read_back(index)
    messages = _texts(rng, 200) + ["园", "园区", "园区厂房在哪里多大"]
    for message in messages:
        expected = _candidates_with_sets(docs, message, budget, 15, 10)
        assert index.candidates(grams(message), 10) == expected, message
        assert again.candidates(grams(message), 10) == expected, message


def test_the_idf_table_shares_one_float_per_frequency_also_read_back():
    entries = [grams("园区在哪"), grams("园区多大"), grams("厂房在哪"), grams("税收")]
    table, unseen = idf_table(iter(entries))
    assert table["园区"] == math.log(5 / 2.5) and table["税收"] == math.log(5 / 1.5)
    assert unseen == math.log(5 / 0.5)
    again = _read_back(table)
    assert isinstance(again, IdfTable) and again == table
    # every bigram in two entries holds the same float object, read back as well
    assert again["园区"] is again["在哪"] and table["园区"] is table["在哪"]


def test_the_tfidf_cosine_is_the_dot_product_of_the_entry_vectors_also_read_back():
    rng = random.Random(5)
    entries = [[t for t in _texts(rng, 3) if t] for _ in range(40)]
    answers = [[t] for t in _texts(rng, 40)]
    tfidf = CharTfidf(entries, answers)
    again = _read_back(tfidf)
    for message in ["园区在哪里", "税", "工研院多大的厂房", "鲸"]:
        vec = tfidf.message(message)
        for e, (texts, weak) in enumerate(zip(entries, answers)):
            entry_vec = tfidf._vector(tfidf._counts(texts, weak))
            # the same products summed in the same order: equal to the last bit
            expected = sum(w * entry_vec.get(ch, 0.0) for ch, w in vec.items())
            assert tfidf.cosine(vec, e) == expected == again.cosine(vec, e)


def test_doc_ranges_name_each_items_documents():
    ranges = DocRanges([2, 0, 3])
    assert len(ranges) == 3 and list(ranges) == [range(0, 2), range(2, 2), range(2, 5)]
    assert ranges[-1] == range(2, 5) and 4 in ranges[2] and 2 not in ranges[0]
    assert list(zip(ranges[2], "abc")) == [(2, "a"), (3, "b"), (4, "c")]
    assert list(_read_back(ranges)) == list(ranges)


def test_the_command_model_shares_equal_weights_and_reads_back_the_same_numbers():
    import math as _math

    from bot.knowledge.loader import load_knowledge
    from bot.nlu.intent_model import IntentModel
    from tests.conftest import KNOWLEDGE

    weights = load_knowledge(KNOWLEDGE).command_model
    model = IntentModel.from_counts(weights.counts, weights.alpha, weights.sharpness)
    # the weights as computed one by one, each its own float: the numbers must be these to the bit
    classes = tuple(sorted(weights.counts))
    vocab = sorted({g for per in weights.counts.values() for g in per})
    totals = [sum(weights.counts[c].values()) + weights.alpha * (len(vocab) + 1) for c in classes]
    plain = {g: tuple(_math.log((weights.counts[c].get(g, 0) + weights.alpha) / t) for c, t in zip(classes, totals))
             for g in vocab}
    for restored in (model, _read_back(model)):
        assert restored.classes == classes and restored.sharpness == model.sharpness
        assert list(restored.loglik) == list(plain) and restored.loglik == plain
        rows = list(restored.loglik.values())
        distinct = {id(w) for row in rows for w in row}
        assert len(distinct) == len({w for row in rows for w in row}) < sum(map(len, rows)) / 100
        for text in ("停下停下", "想跟你们的业务员通个话", "园区在哪", "1"):
            assert restored.probs(text, False) == model.probs(text, False)
