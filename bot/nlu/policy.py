"""Answer, suggest or decline: a small logistic model over the matcher's own features.

The matcher ranks well (the right entry is first for most questions); what goes wrong is deciding
whether to *answer*. A single cut-off on one score cannot separate real questions from
off-topic ones, so the decision is the probability that the best entry is right, from:

* the best entry's combined score and its lead over the runner-up,
* the message's length,
* how much of the message the entry's paraphrases and keywords cover, and its answer,
* keyword evidence and the closest paraphrase's character ratio,
* the share of the message in words the knowledge base never uses (苏州, 相对论, 注册资本), and
  how many of its characters the best entry can say nothing about (出生 in 爱因斯坦哪年出生的),
* whether it names another city or park (synonyms.yaml ``elsewhere``),
* what the matcher's hand-set rule (score, margin and evidence thresholds) would do,
* a character-unigram TF-IDF cosine between the message and the entry's wording (its answer
  weakly), and its lead over the runner-up's (bot/nlu/tfidf.py; the ranking adds it too).

The weights live in ``knowledge/answer_policy.yaml``, written by ``parkbot kb fit-policy`` from
the labelled sets; fitting is deterministic (Newton's method from zero, fixed iterations), so
the same data gives the same file.
"""
from __future__ import annotations

import math
from typing import Sequence


FEATURES = ("score", "margin", "length", "own", "told", "keys", "ratio", "cosine", "cosine_margin", "short", "unseen", "rule", "elsewhere",
            "score_x_told", "margin_x_cosine", "score_x_rule", "told_x_unseen", "unexplained")


def features(norm: str, best, runner, cos_best: float, cos_runner: float, short: int, unseen: float,
             rule: float, elsewhere: float, unexplained: int = 0) -> list[float]:
    """The model's inputs for the best-ranked entry ``best`` (a Scored) and the runner-up (or None)."""
    runner_score = runner.score if runner is not None else 0.0
    score, margin = best.score / 100, (best.score - runner_score) / 100
    # a few products: evidence that counts only together (a high score on a message mostly unexplained)
    return [score, margin, math.log1p(len(norm)), best.own, best.told, best.keys, best.ratio / 100, cos_best,
            cos_best - cos_runner, 1.0 if len(norm) <= short else 0.0, unseen, rule, elsewhere,
            score * best.told, margin * cos_best, score * rule, best.told * unseen, math.log1p(unexplained)]


def sigmoid(z: float) -> float:
    if z < -30:
        return 0.0
    if z > 30:
        return 1.0
    return 1 / (1 + math.exp(-z))


class AnswerModel:
    def __init__(self, weights):
        self.mean = list(weights.mean)
        self.scale = list(weights.scale)
        self.weights = list(weights.weights)
        self.bias = weights.bias
        self.answer_at = weights.answer_at
        self.suggest_at = weights.suggest_at

    def probability(self, x: Sequence[float]) -> float:
        z = self.bias
        for xi, m, s, w in zip(x, self.mean, self.scale, self.weights):
            z += w * (xi - m) / s
        return sigmoid(z)


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the systems here are 11 x 11)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        p = m[col][col] or 1e-12
        for r in range(col + 1, n):
            f = m[r][col] / p
            if f:
                for c in range(col, n + 1):
                    m[r][c] -= f * m[col][c]
    out = [0.0] * n
    for r in range(n - 1, -1, -1):
        out[r] = (m[r][n] - sum(m[r][c] * out[c] for c in range(r + 1, n))) / (m[r][r] or 1e-12)
    return out


def fit_logistic(xs: list[list[float]], ys: list[int], l2: float = 1.0, iterations: int = 25):
    """(mean, scale, weights, bias) of an L2-regularised logistic regression, by Newton's method."""
    k = len(xs[0])
    mean = [sum(x[j] for x in xs) / len(xs) for j in range(k)]
    scale = [math.sqrt(sum((x[j] - mean[j]) ** 2 for x in xs) / len(xs)) or 1.0 for j in range(k)]
    zs = [[1.0] + [(x[j] - mean[j]) / scale[j] for j in range(k)] for x in xs]
    beta = [0.0] * (k + 1)
    for _ in range(iterations):
        grad = [0.0] * (k + 1)
        hess = [[0.0] * (k + 1) for _ in range(k + 1)]
        for z, y in zip(zs, ys):
            p = sigmoid(sum(b * v for b, v in zip(beta, z)))
            w = max(p * (1 - p), 1e-9)
            for i in range(k + 1):
                grad[i] += (p - y) * z[i]
                zi = w * z[i]
                row = hess[i]
                for j in range(i, k + 1):
                    row[j] += zi * z[j]
        for i in range(k + 1):
            for j in range(i):
                hess[i][j] = hess[j][i]
            if i:  # the bias is not shrunk
                grad[i] += l2 * beta[i]
                hess[i][i] += l2
        step = _solve(hess, grad)
        beta = [b - s for b, s in zip(beta, step)]
        if max(abs(s) for s in step) < 1e-10:
            break
    return mean, scale, beta[1:], beta[0]


def choose_thresholds(probs: list[float], right: list[bool], in_scope: list[bool], right_in_top: list[bool],
                      wrong_cost: float = 3.0) -> tuple[float, float]:
    """``answer_at`` and ``suggest_at`` that do best on the labelled messages.

    Answering right gains 1, answering wrong (another entry, or an off-topic message) costs
    ``wrong_cost``: a wrong answer misleads, a "not sure" only sends the user to the hotline.
    ``probs`` should be probabilities each message got from a model fitted without it (fit.py).
    The cost 3 was chosen by leave-one-set-out cross-validation over the six tuning sets
    (scripts/cv_policy.py: fit on five, measure on the one left out): among the costs keeping
    wrong answers at or below the 2 % target, 2.5 and 3 gave the best sum of questions answered
    right and off-topic messages not answered (1.5: 90.9 % / 89.2 %, wrong 2.0 %; 2: 89.0 % /
    90.9 %; 2.5 and 3: 88.4 % / 93.4 %, wrong 1.7 %; 4: 84.8 % / 94.8 %, wrong 1.2 %).
    Below ``answer_at``, suggesting gains 0.5 when the right entry is among the suggestions
    and costs 0.5 for an off-topic message.
    """
    grid = sorted({round(p, 4) for p in probs} | {0.5})
    best_answer, best_gain = 0.5, -math.inf
    for t in grid:
        gain = sum((1.0 if r else -wrong_cost) for p, r in zip(probs, right) if p >= t)
        if gain > best_gain:
            best_answer, best_gain = t, gain
    best_suggest, best_gain = best_answer, -math.inf
    for t in (g for g in grid if g <= best_answer):
        gain = sum((0.5 if top else (-0.5 if not scope else 0.0))
                   for p, top, scope in zip(probs, right_in_top, in_scope) if t <= p < best_answer)
        if gain > best_gain:
            best_suggest, best_gain = t, gain
    return best_answer, best_suggest
