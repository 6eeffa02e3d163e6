"""``parkbot kb fit-policy``: the answer model's weights from the labelled sets, as a knowledge file.

Training messages are the labelled questions and off-topic messages of the tuning sets, plus
every FAQ paraphrase matched with itself left out (how the entry fares on a wording it has not
seen). A message is a positive when the matcher ranks its right entry first. The answer and suggest
thresholds are chosen on held-out probabilities (five folds, by each message's text). The same data and
knowledge give the same file, byte for byte: nothing random, numbers rounded, keys in order.
"""
from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import yaml

from .eval import load_data
from .matcher import Understanding
from .policy import FEATURES, choose_thresholds, fit_logistic, sigmoid

POLICY_FILE = "answer_policy.yaml"
TUNING_SETS = ("tests/data/nlu.yaml", "tests/data/nlu_holdout.yaml", "tests/data/nlu_holdout2.yaml",
               "tests/data/nlu_tuning.yaml", "tests/data/nlu_tuning2.yaml", "tests/data/nlu_dev5.yaml",
               "tests/data/nlu_dev7.yaml")
_HEADER = ("# 回答 / 提示“您是不是想问” / 如实说不确定:由 parkbot kb fit-policy 根据标注集生成,请勿手改。\n"
           "# 增删常见问题的问法后重新运行它(同样的数据得到同样的文件)。\n")


def samples(nlu: Understanding, kb: Any, data_sets: list[dict[str, list]], paraphrases: bool = True,
            texts: list[str] | None = None):
    """(features, right, in scope, right entry among the first three) for every training message.

    ``texts``, when given, receives each message's normalised text (it picks the message's fold).
    """
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

    for data in data_sets:
        for case in data["faq"]:
            norm = nlu.normalize(str(case["text"]))
            add(norm, nlu.rank(norm), str(case["id"]))
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

    # features are measured with the matcher alone: the file being written must not shape its own data
    kb_without = _without_policy(kb, PolicyWeights)
    nlu = Understanding(kb_without)
    data_sets = [load_data(p) for p in data_paths]
    texts: list[str] = []
    xs, right, scope, top3 = samples(nlu, kb, data_sets, paraphrases, texts)
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
        "trained_on": {"messages": len(xs), "right_first": sum(right), "off_topic": sum(1 for s in scope if not s)},
    }


def _without_policy(kb: Any, model):
    from dataclasses import replace

    return replace(kb, answer_policy=model())


def write(directory: str | Path, content: dict[str, Any]) -> Path:
    path = Path(directory) / POLICY_FILE
    text = _HEADER + yaml.safe_dump(content, allow_unicode=True, sort_keys=False, default_flow_style=None, width=200)
    path.write_text(text, encoding="utf-8")
    return path
