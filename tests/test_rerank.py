"""The front-runner re-ranker: its model, its evidence from wordings, and its file (parkbot kb fit-rerank)."""
from __future__ import annotations

import shutil
from types import SimpleNamespace

from click.testing import CliRunner

from bot.knowledge.loader import load_knowledge
from bot.nlu import Understanding
from bot.nlu.rerank import FEATURES, Reranker, Wording
from tests.conftest import KNOWLEDGE, ROOT


def test_the_model_orders_by_its_weighted_sum_and_keeps_the_matchers_order_on_ties():
    model = Reranker(SimpleNamespace(weights=[2.0, -1.0], scale=[1.0, 0.5]))
    assert model.order([[0.1, 0.0], [0.3, 0.0], [0.2, 0.0]]) == [1, 2, 0]
    assert model.order([[0.3, 0.1], [0.3, 0.0]]) == [1, 0]  # the second feature counts against
    assert model.order([[0.5, 0.0], [0.5, 0.0]]) == [0, 1]


def test_an_entry_asked_with_the_messages_bigrams_is_the_likelier():
    owns = ["排名", "指标"]
    wording = Wording(owns, [1, 5], [{"一级": 3, "级指": 3}, {}])
    pairs = [("一级", "一级"), ("级指", "级指"), ("指标", "指标")]
    (ll0, seen0), (ll1, seen1) = wording.evidence(pairs, [0, 1], owns)
    assert ll0 == 0.0 > ll1 and seen0 == 2 / 3 and seen1 == 1 / 3
    # a labelled message read with itself left out: its counts are not evidence for it
    (_, seen0), (_, seen1) = wording.evidence(pairs, [0, 1], owns, forget=(0, {"一级": 3, "级指": 3}))
    assert seen0 == 0.0 and seen1 == 1 / 3


def test_fit_rerank_gives_the_same_file_twice_and_the_checked_in_one(tmp_path):
    from bot.nlu.fit_rerank import CV_SETS, RERANK_FILE, fit, write

    kb = load_knowledge(KNOWLEDGE)
    paths = [ROOT / p for p in CV_SETS]
    first = write(tmp_path, fit(kb, paths)).read_bytes()
    second = write(tmp_path, fit(kb, paths)).read_bytes()
    assert first == second
    assert first == (KNOWLEDGE / RERANK_FILE).read_bytes(), "run: parkbot kb fit-rerank, then parkbot kb fit-policy"


def test_fit_rerank_command_writes_a_file_the_matcher_uses(tmp_path):
    from bot.cli import kb_fit_rerank

    kdir = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, kdir)
    (kdir / "rerank.yaml").unlink()
    assert Understanding(load_knowledge(kdir))._reranker is None  # noqa: SLF001 (no file: the matcher's order)
    result = CliRunner().invoke(kb_fit_rerank, ["--data", str(ROOT / "tests" / "data" / "nlu.yaml"), str(kdir)])
    assert result.exit_code == 0, result.output
    loaded = load_knowledge(kdir).rerank
    assert loaded.features == list(FEATURES) and len(loaded.weights) == len(FEATURES) and loaded.counts
    assert Understanding(load_knowledge(kdir))._reranker is not None  # noqa: SLF001


def test_a_verbatim_paraphrase_keeps_its_entry_first():
    nlu = Understanding(load_knowledge(KNOWLEDGE))
    kb = load_knowledge(KNOWLEDGE)
    for faq in kb.faqs[:40]:
        for question in faq.questions[:2]:
            ranked = nlu.rank(nlu.normalize(question))
            plain = nlu.rank(nlu.normalize(question), rerank=False)
            if plain and plain[0].ratio >= nlu.policy.verbatim:
                assert ranked[0].item == plain[0].item


def test_a_stale_rerank_file_is_reported_and_not_used(tmp_path):
    from bot.tools.kb_check import check

    kdir = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, kdir)
    path = kdir / "rerank.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("features: [score, ", "features: [old_score, "),
                    encoding="utf-8")
    assert any("rerank.yaml" in str(p) and "fit-rerank" in str(p) for p in check(kdir))
    assert Understanding(load_knowledge(kdir))._reranker is None  # noqa: SLF001
