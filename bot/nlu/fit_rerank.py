"""``parkbot kb fit-rerank``: the front-runner re-ranker's weights from the labelled sets, as a knowledge file.

Training messages are the labelled questions of the tuning sets, plus every FAQ paraphrase matched
with itself left out (its own bigrams forgotten too). For each message whose right entry is among the
matcher's first ``TOP`` candidates, the right candidate's features minus each wrong one's is a pair the
model should order (and the reverse one it should not): a logistic regression on those differences,
L2-regularised, fitted by Newton's method from zero, so the same data gives the same file.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml

from .eval import load_data
from .fit import TUNING_SETS, _without_policy, counts_of
from .index import grams
from .matcher import Understanding
from .policy import fit_logistic
from .rerank import FEATURES, TOP

RERANK_FILE = "rerank.yaml"
# every labelled tuning set (the answer model's and the newer development sets); held-out sets never
CV_SETS = tuple(dict.fromkeys((*TUNING_SETS, "tests/data/nlu_dev6.yaml", "tests/data/nlu_dev8.yaml")))
_HEADER = ("# 候选条目重新排序:由 parkbot kb fit-rerank 根据标注集生成,请勿手改。\n"
           "# 增删常见问题的问法后重新运行它(同样的数据得到同样的文件),再运行 parkbot kb fit-policy。\n")


def Weights(content: dict[str, Any]):  # noqa: N802 (a stand-in for the knowledge file's model)
    return SimpleNamespace(**content)


def rows_of(nlu: Understanding, data_sets: list[dict[str, list]], paraphrases: bool = True, counted: bool = False):
    """(feature rows of the front runners, index of the right one or None, verbatim) per question.

    ``counted``: the wording's counts include these sets' questions, so each is read with its own left out."""
    out = []
    verbatim = nlu.policy.verbatim

    def add(norm: str, ranked, want: str, forget=None) -> None:
        top = ranked[:TOP]
        ids = [nlu._items[s.item].entry.id for s in top]  # noqa: SLF001 (same package)
        right = ids.index(want) if want in ids else None
        rows = nlu.rerank_rows(norm, top, exclude, forget=forget) if len(top) > 1 else []
        out.append((rows, right, bool(top) and top[0].ratio >= verbatim))

    exclude = None
    for data in data_sets:
        for case in data["faq"]:
            norm = nlu.normalize(str(case["text"]))
            want = str(case["id"])
            add(norm, nlu.rank(norm, rerank=False), want, (want, Counter(grams(norm))) if counted else None)
    for i, item in enumerate(nlu._items if paraphrases else ()):  # noqa: SLF001
        if item.entry.id.startswith("park:"):
            continue
        for doc, text in zip(nlu._item_docs[i], item.texts):  # noqa: SLF001
            exclude = doc
            add(text, nlu.rank(text, exclude_doc=doc, rerank=False), item.entry.id)
    return out


def fit_pairwise(messages, l2: float = 1.0) -> dict[str, Any]:
    xs, ys = [], []
    for rows, right, verbatim in messages:
        if right is None or verbatim or len(rows) < 2:
            continue
        for j, row in enumerate(rows):
            if j != right:
                diff = [a - b for a, b in zip(rows[right], row)]
                xs.append(diff)
                ys.append(1)
                xs.append([-d for d in diff])
                ys.append(0)
    _, scale, weights, _ = fit_logistic(xs, ys, l2=l2)
    r6 = lambda v: round(float(v), 6)  # noqa: E731
    return {"features": list(FEATURES), "scale": [r6(v) for v in scale], "weights": [r6(v) for v in weights],
            "trained_on": {"pairs": len(xs) // 2}, "counts": {}}


def fit(kb: Any, data_paths: list[str | Path]) -> dict[str, Any]:
    from bot.knowledge.schema import PolicyWeights

    nlu = Understanding(_without_policy(kb, PolicyWeights))
    nlu._reranker = None  # noqa: SLF001 (the file being written must not shape its own data)
    data_sets = [load_data(p) for p in data_paths]
    counts = counts_of(nlu, data_sets)
    nlu._wording = nlu.wording(counts)  # noqa: SLF001
    content = fit_pairwise(rows_of(nlu, data_sets, counted=True))
    content.pop("counts")
    content["counted"] = sorted({Path(p).name for p in data_paths})  # fit-policy reads these with themselves left out
    content["counts"] = counts
    return content


def write(directory: str | Path, content: dict[str, Any]) -> Path:
    path = Path(directory) / RERANK_FILE
    text = _HEADER + yaml.safe_dump(content, allow_unicode=True, sort_keys=False, default_flow_style=None, width=200)
    path.write_text(text, encoding="utf-8")
    return path
