"""The front-runner re-ranker: its model, its evidence from wordings, and its file (parkbot kb fit-rerank)."""
from __future__ import annotations

import shutil
from types import SimpleNamespace

from click.testing import CliRunner

from bot.knowledge.loader import load_knowledge
from bot.nlu import Understanding
from bot.nlu.fit import TUNING_SETS
from bot.nlu.fit_rerank import CV_SETS
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


def test_a_verbatim_paraphrase_is_never_reordered():
    kb = load_knowledge(KNOWLEDGE)
    nlu = Understanding(kb)
    assert nlu._reranker is not None  # noqa: SLF001 (the checked-in file is in use)
    verbatim = 0
    for faq in kb.faqs:
        for question in faq.questions:
            norm = nlu.normalize(question)
            plain = nlu.rank(norm, rerank=False)
            if plain and plain[0].ratio >= nlu.policy.verbatim:
                verbatim += 1
                assert [s.item for s in nlu.rank(norm)] == [s.item for s in plain], question
    assert verbatim >= len(kb.faqs)  # every entry's own questions were among those checked


def test_a_labelled_question_is_read_without_its_own_counts_when_fitting():
    """fit-rerank and fit-policy read a question whose bigrams are in rerank.yaml's counts with them
    taken out, as an unseen message would be read: its wording evidence is weaker than in-sample."""
    from collections import Counter

    from bot.nlu.eval import load_data
    from bot.nlu.fit import samples
    from bot.nlu.index import grams

    kb = load_knowledge(KNOWLEDGE)
    nlu = Understanding(kb)
    assert "nlu.yaml" in kb.rerank.counted
    data = load_data(ROOT / "tests" / "data" / "nlu.yaml")
    seen = FEATURES.index("seen")
    differ = 0
    for case in data["faq"]:
        norm, want = nlu.normalize(str(case["text"])), str(case["id"])
        top = nlu.rank(norm, rerank=False)[:4]
        ids = [nlu._items[s.item].entry.id for s in top]  # noqa: SLF001
        if want not in ids or len(top) < 2:
            continue
        inside = nlu.rerank_rows(norm, top)
        left_out = nlu.rerank_rows(norm, top, forget=(want, dict(Counter(grams(norm)))))
        j = ids.index(want)
        assert left_out[j][seen] <= inside[j][seen]
        differ += left_out != inside
    assert differ > len(data["faq"]) // 2
    # and fit-policy's reading of the tuning sets differs from the in-sample one (a few orders change)
    sets = [load_data(ROOT / p) for p in TUNING_SETS]
    in_sample = samples(nlu, kb, sets, paraphrases=False, counted=False)[0]
    unseen = samples(nlu, kb, sets, paraphrases=False, counted=True)[0]
    assert len(in_sample) == len(unseen) and in_sample != unseen


def test_fit_rerank_then_fit_policy_reproduce_the_checked_in_files(tmp_path):
    from bot.cli import kb_fit_policy, kb_fit_rerank

    kdir = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, kdir)
    (kdir / "rerank.yaml").unlink()
    (kdir / "answer_policy.yaml").unlink()
    runner = CliRunner()
    for command in (kb_fit_rerank, kb_fit_policy):
        paths = CV_SETS if command is kb_fit_rerank else TUNING_SETS
        args = [a for p in paths for a in ("--data", str(ROOT / p))] + [str(kdir)]
        result = runner.invoke(command, args)
        assert result.exit_code == 0, result.output
    for name in ("rerank.yaml", "answer_policy.yaml"):
        assert (kdir / name).read_bytes() == (KNOWLEDGE / name).read_bytes(), name


def test_an_answer_model_fitted_with_another_reranker_is_warned_about(tmp_path):
    from bot.tools.kb_check import warnings

    assert not [w for w in warnings(load_knowledge(KNOWLEDGE)) if "answer_policy.yaml" in str(w)]
    kdir = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, kdir)
    path = kdir / "rerank.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("weights: [", "weights: [0.5, ", 1).replace(
        "scale: [", "scale: [1.0, ", 1).replace("features: [score, ", "features: [score, score, ", 1), encoding="utf-8")
    # the features no longer fit: no re-ranker is used, yet the answer model was fitted with one
    assert any("answer_policy.yaml" in str(w) and "fit-policy" in str(w) for w in warnings(load_knowledge(kdir)))


def test_fit_policy_refuses_a_counted_set_the_counts_do_not_hold(tmp_path):
    from bot.cli import kb_fit_policy

    kdir = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, kdir)
    data = tmp_path / "nlu.yaml"  # named as a counted set, with a question the counts never saw
    data.write_text("faq:\n  - {text: 这是一句没有人问过的全新测试问法甲乙丙, id: %s}\noos: []\n"
                    % load_knowledge(KNOWLEDGE).faqs[0].id, encoding="utf-8")
    result = CliRunner().invoke(kb_fit_policy, ["--data", str(data), str(kdir)])
    assert result.exit_code == 1 and "nlu.yaml" in result.stderr and "fit-rerank" in result.stderr
    assert (kdir / "answer_policy.yaml").read_bytes() == (KNOWLEDGE / "answer_policy.yaml").read_bytes()


def test_a_stale_rerank_file_is_reported_and_not_used(tmp_path):
    from bot.tools.kb_check import check

    kdir = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, kdir)
    path = kdir / "rerank.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("features: [score, ", "features: [old_score, "),
                    encoding="utf-8")
    assert any("rerank.yaml" in str(p) and "fit-rerank" in str(p) for p in check(kdir))
    assert Understanding(load_knowledge(kdir))._reranker is None  # noqa: SLF001
