"""``parkbot kb fit-policy``: the answer model's weights from the labelled sets, as a knowledge file.

Training messages are the labelled questions and off-topic messages of the tuning sets, plus
every FAQ paraphrase matched with itself left out (how the entry fares on a wording it has not
seen). Messages are ranked as the bot ranks them, the re-ranker included (knowledge/rerank.yaml); a
labelled question of a set whose questions are in the re-ranker's wording counts is ranked with its
own bigrams taken out of them, as an unseen message would be (the re-ranker's own fitting does the
same), so the model learns from evidence no cleaner than a new wording gives. A message is a positive
when its right entry is ranked first. The answer and suggest
thresholds are chosen on held-out probabilities (five folds, by each message's text). The same data and
knowledge give the same file, byte for byte: nothing random, numbers rounded, keys in order.
"""
from __future__ import annotations

import zlib
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

import yaml

from .eval import load_data
from .index import grams
from .matcher import Understanding
from .policy import FEATURES, choose_thresholds, fit_logistic, sigmoid
from .rerank import rerank_digest

POLICY_FILE = "answer_policy.yaml"
TUNING_SETS = ("tests/data/nlu.yaml", "tests/data/nlu_holdout.yaml", "tests/data/nlu_holdout2.yaml",
               "tests/data/nlu_tuning.yaml", "tests/data/nlu_tuning2.yaml", "tests/data/nlu_dev5.yaml",
               "tests/data/nlu_dev7.yaml")
_HEADER = ("# 回答 / 提示“您是不是想问” / 如实说不确定:由 parkbot kb fit-policy 根据标注集生成,请勿手改。\n"
           "# 增删常见问题的问法后重新运行它(同样的数据得到同样的文件)。\n")


def samples(nlu: Understanding, kb: Any, data_sets: list[dict[str, list]], paraphrases: bool = True,
            texts: list[str] | None = None, counted: bool | Sequence[bool] = False):
    """(features, right, in scope, right entry among the first three) for every training message.

    ``texts``, when given, receives each message's normalised text (it picks the message's fold).
    ``counted`` (one for all sets or one per set): the set's questions are in the re-ranker's wording
    counts, so each is ranked with its own counts left out.
    """
    if isinstance(counted, bool):
        counted = [counted] * len(data_sets)
    xs, right, scope, top3 = [], [], [], []

    def add(norm: str, ranked, want: str | None) -> None:
        if not ranked:
            return
        ids = [nlu._items[s.item].entry.id for s in ranked[:3]]  # noqa: SLF001 (same package)
        xs.append(nlu.features(norm, ranked))
        if texts is not None:
            texts.append(norm)
        right.append(want is not None and ids[0] == want)
        scope.append(want is not None)
        top3.append(want is not None and want in ids)

    for data, own in zip(data_sets, counted, strict=True):
        for case in data["faq"]:
            norm = nlu.normalize(str(case["text"]))
            want = str(case["id"])
            add(norm, nlu.rank(norm, forget=(want, Counter(grams(norm))) if own else None), want)
        for text in data["oos"]:
            norm = nlu.normalize(str(text))
            add(norm, nlu.rank(norm), None)
    for i, item in enumerate(nlu._items if paraphrases else ()):  # noqa: SLF001
        if item.entry.id.startswith("park:"):
            continue
        for doc, text in zip(nlu._item_docs[i], item.texts):  # noqa: SLF001
            add(text, nlu.rank(text, exclude_doc=doc), item.entry.id)
    return xs, right, scope, top3


FOLDS = 5


def probabilities(model: tuple, xs: list[list[float]]) -> list[float]:
    mean, scale, weights, bias = model
    return [sigmoid(bias + sum(w * (xi - m) / s for xi, m, s, w in zip(x, mean, scale, weights))) for x in xs]


def fold_of(text: str, folds: int = FOLDS) -> int:
    """A message's fold from its own text: adding or removing one message (a new FAQ paraphrase)
    leaves every other message in its fold, so the thresholds move only with what changed, not
    with a reshuffle of which messages are held out together; the same wording is in one fold."""
    return zlib.crc32(text.encode("utf-8")) % folds


def held_out_probabilities(xs: list[list[float]], right: list[bool], folds: int = FOLDS,
                           texts: list[str] | None = None) -> list[float]:
    """Each message's probability from a model fitted without it (message i in fold
    ``fold_of(texts[i])``, or i mod ``folds`` without texts).

    The thresholds are chosen on these, not on the fitted model's own messages: on the messages it
    was fitted on a model is surer than it will be on new wordings, so thresholds chosen there
    answer too readily. Folds by each message's text (``fold_of``), so the same data gives the same
    thresholds, and a message written twice (a paraphrase also in a labelled set) is held out with
    itself rather than judged by a model that saw its twin.
    """
    out = [0.0] * len(xs)
    fold = [fold_of(t, folds) for t in texts] if texts is not None else [i % folds for i in range(len(xs))]
    for k in range(folds):
        train = [i for i in range(len(xs)) if fold[i] != k]
        test = [i for i in range(len(xs)) if fold[i] == k]
        if not test or not train:
            continue
        model = fit_logistic([xs[i] for i in train], [int(right[i]) for i in train])
        for i, p in zip(test, probabilities(model, [xs[i] for i in test])):
            out[i] = p
    return out


def fit(kb: Any, data_paths: list[str | Path], paraphrases: bool = True) -> dict[str, Any]:
    from bot.knowledge.schema import PolicyWeights

    # features are measured with the matcher and the re-ranker: the file being written must not shape its own data
    kb_without = _without_policy(kb, PolicyWeights)
    nlu = Understanding(kb_without)
    data_sets = [load_data(p) for p in data_paths]
    counted = counted_sets(nlu, kb, data_paths, data_sets)
    texts: list[str] = []
    xs, right, scope, top3 = samples(nlu, kb, data_sets, paraphrases, texts, counted)
    mean, scale, weights, bias = fit_logistic(xs, [int(r) for r in right])
    answer_at, suggest_at = choose_thresholds(held_out_probabilities(xs, right, texts=texts), right, scope, top3)
    r6 = lambda v: round(float(v), 6)  # noqa: E731
    return {
        "features": list(FEATURES),
        "mean": [r6(v) for v in mean],
        "scale": [r6(v) for v in scale],
        "weights": [r6(v) for v in weights],
        "bias": r6(bias),
        "answer_at": r6(answer_at),
        "suggest_at": r6(suggest_at),
        "rerank_digest": rerank_digest(kb.rerank) if nlu._reranker is not None else "",  # noqa: SLF001
        "trained_on": {"messages": len(xs), "right_first": sum(right), "off_topic": sum(1 for s in scope if not s)},
    }


def counts_of(nlu: Understanding, data_sets: list[dict[str, list]]) -> dict[str, dict[str, int]]:
    """Entry id -> bigram -> how many labelled questions of that entry have it (sorted: a stable file)."""
    counts: dict[str, Counter] = {}
    for data in data_sets:
        for case in data["faq"]:
            counts.setdefault(str(case["id"]), Counter()).update(grams(nlu.normalize(str(case["text"]))))
    return {e: dict(sorted(c.items())) for e, c in sorted(counts.items())}


def counted_sets(nlu: Understanding, kb: Any, data_paths: list[str | Path], data_sets: list[dict]) -> list[bool]:
    """Per set: its questions are in the re-ranker's wording counts (rerank.yaml names it among ``counted``).

    Raises ValueError when a set named there has questions the counts do not hold (the set changed
    after `parkbot kb fit-rerank`): its questions could not be read with themselves left out."""
    if nlu._reranker is None:  # noqa: SLF001 (same package)
        return [False] * len(data_sets)
    names, held = set(kb.rerank.counted), kb.rerank.counts
    out = []
    for path, data in zip(data_paths, data_sets, strict=True):
        own = Path(path).name in names
        if own and any(held.get(e, {}).get(g, 0) < n for e, c in counts_of(nlu, [data]).items() for g, n in c.items()):
            raise ValueError(f"{Path(path).name} has questions that rerank.yaml's counts do not hold: "
                             "run `parkbot kb fit-rerank` first, then `parkbot kb fit-policy`")
        out.append(own)
    return out


def _without_policy(kb: Any, model):
    from dataclasses import replace

    return replace(kb, answer_policy=model())


def write(directory: str | Path, content: dict[str, Any]) -> Path:
    path = Path(directory) / POLICY_FILE
    text = _HEADER + yaml.safe_dump(content, allow_unicode=True, sort_keys=False, default_flow_style=None, width=200)
    path.write_text(text, encoding="utf-8")
    return path
