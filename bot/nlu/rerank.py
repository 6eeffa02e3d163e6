"""Re-ranking the matcher's front runners: a small linear model over their own evidence.

The matcher ranks the right entry first for most questions; most of the rest have it second or
third, behind a neighbouring entry (the 2024 ranking behind its indicators, one Israeli hall behind
another). The re-ranker scores each of the first ``TOP`` candidates by a weighted sum of features the
matcher already has (score, its gap to the best, closest paraphrase, coverage by the wording, by the
answer only, keyword share, TF-IDF cosine and its gap) and two that relate the candidates to each
other: how much of the message the candidate covers that the other front runners do not
(``contrast``), and how specific its keyword evidence is (a keyword owned by one entry counts whole,
one shared by three a third). Two more are learned from wordings: each entry's bigrams, from its
paraphrases and keywords and from the labelled questions it answers (counts kept in the file, as the
command model keeps its own), give the share of the message's bigrams the entry has been asked with
(``seen``) and a smoothed log-likelihood of them, relative to the best front runner's (``likely``).
The candidates are put in the order of that sum; the rest keep theirs.

The weights come from ``parkbot kb fit-rerank`` (bot/nlu/fit_rerank.py), a pairwise logistic model
(the right candidate against each wrong one of the same message) fitted on the labelled sets and the
FAQ paraphrases; they live in ``knowledge/rerank.yaml``.
"""
from __future__ import annotations

import hashlib
import math
from itertools import repeat
from operator import add, mul
from typing import Mapping, Sequence

TOP = 4  # candidates re-ordered (the right entry is within the first three for ~98 % of questions)
FEATURES = ("score", "gap", "first", "ratio", "own", "answer_only", "keys", "cos", "cos_gap", "contrast",
            "answer_contrast", "key_unique", "likely", "seen")
SMOOTH = 0.5


def rerank_digest(weights) -> str:
    """Names a re-ranker file's content (its weights, counts and the sets counted): the answer model
    records the one it was fitted with, and `kb check` says when rerank.yaml changed since. "" for none."""
    if weights is None or not weights.weights:
        return ""
    rows = (list(weights.features), list(weights.scale), list(weights.weights), sorted(weights.counted),
            sorted((e, sorted(c.items())) for e, c in weights.counts.items()))
    return hashlib.sha1(repr(rows).encode()).hexdigest()[:12]


class Wording:
    """Bigram evidence per entry: its own wording (a bigram text, asked with ``in``) plus labelled counts."""

    def __init__(self, owns: Sequence, own_sizes: Sequence[int], labelled: Sequence[Mapping[str, int]]):
        self.owns, self.labelled = owns, labelled
        self.totals = [n + sum(c.values()) for n, c in zip(own_sizes, labelled)]
        vocabulary = {g for c in labelled for g in c}
        self.log_v = SMOOTH * (sum(own_sizes) + len(vocabulary))  # a generous vocabulary size: smoothing only
        # log(count + SMOOTH) for every count a bigram can have (its wording's 1 plus its labelled count)
        self._logs = [math.log(c + SMOOTH) for c in range(max((max(c.values(), default=0) for c in labelled), default=0) + 2)]

    def evidence(self, bigrams: Sequence[tuple[str, str]], items: Sequence[int], owns: Sequence,
                 forget: tuple[int, Mapping[str, int]] | None = None) -> list[tuple[float, float]]:
        """(likelihood relative to the best, share seen) of ``bigrams`` ((gram, probe) pairs) for each of ``items``.

        ``forget``: (entry, counts) left out of that entry's labelled counts (a message fitted on itself)."""
        out = []
        n = len(bigrams) or 1
        log, one, none = math.log, math.log(1 + SMOOTH), math.log(SMOOTH)
        grams, probes = [g for g, _ in bigrams], [p for _, p in bigrams]
        for i, own in zip(items, owns):
            lab = self.labelled[i]
            total = self.totals[i]
            minus = forget[1] if forget is not None and forget[0] == i else None
            if minus:
                total -= sum(minus.values())
            if not lab:  # most entries: their own wording only, each bigram there or not
                seen = sum(map(own.__contains__, probes))
                ll = seen * one + (len(bigrams) - seen) * none
            elif minus:  # fitting only: a labelled message read with itself left out
                counts = [(p in own) + lab.get(g, 0) - minus.get(g, 0) for g, p in bigrams]
                seen = len(counts) - counts.count(0)
                ll = sum([log(c + SMOOTH) for c in counts])
            else:
                counts = list(map(add, map(own.__contains__, probes), map(lab.get, grams, repeat(0))))
                seen = len(counts) - counts.count(0)
                ll = sum(map(self._logs.__getitem__, counts))
            out.append(((ll - len(bigrams) * log(total + self.log_v)) / n, seen / n))
        best = max(ll for ll, _ in out)
        return [(ll - best, seen) for ll, seen in out]


def candidate_features(norm: str, content: Sequence[tuple[float, str, str]], hits: list, top: Sequence,
                       owns: Sequence, tolds: Sequence, wording: Sequence[tuple[float, float]]) -> list[list[float]]:
    """One feature row per candidate of ``top`` (Scored, best first; ``owns``/``tolds`` their bigram texts)."""
    best, best_cos = top[0].score, max(s.cos for s in top)
    weights, lefts, rights = zip(*content) if content else ((), (), ())
    total = sum(weights)
    # per candidate, which content characters its wording (and then its answer too) covers; a character
    # covered by several front runners counts for each a share
    in_own = [[left in own or right in own for left, right in zip(lefts, rights)] for own in owns]
    in_told = [[o or left in told or right in told for o, left, right in zip(covered, lefts, rights)]
               for covered, told in zip(in_own, tolds)]
    shares_own = [w / n if n else 0.0 for w, n in zip(weights, map(sum, zip(*in_own)))]
    shares_told = [w / n if n else 0.0 for w, n in zip(weights, map(sum, zip(*in_told)))]
    covers_own = [sum([w for w, x in zip(shares_own, covered) if x]) for covered in in_own]
    covers_told = [sum([w for w, x in zip(shares_told, covered) if x]) for covered in in_told]
    unique = [0.0] * len(top)
    where = {s.item: j for j, s in enumerate(top)}
    for _, phrase, owners in hits:
        for owner in owners:
            j = where.get(owner)
            if j is not None:
                unique[j] += len(phrase) / len(owners)
    total = total or 1.0
    length = len(norm) or 1
    return [[s.score / 100, (best - s.score) / 100, 1.0 if j == 0 else 0.0, s.ratio / 100, s.own, s.told - s.own,
             s.keys, s.cos, best_cos - s.cos, covers_own[j] / total, covers_told[j] / total, unique[j] / length,
             *wording[j]]
            for j, s in enumerate(top)]


class Reranker:
    """A linear score per candidate; higher is better (weights already divided by the features' scales)."""

    def __init__(self, weights):
        self.coef = [w / s for w, s in zip(weights.weights, weights.scale)]

    def order(self, rows: list[list[float]]) -> list[int]:
        """Indices of ``rows`` best first (ties keep the matcher's order)."""
        coef = self.coef
        values = [sum(map(mul, coef, row)) for row in rows]
        return sorted(range(len(rows)), key=lambda j: (-values[j], j))
