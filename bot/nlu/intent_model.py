"""A learned reading of commands: naive Bayes over a message's character n-grams.

The word lists in intents.yaml recognise the wordings someone thought of; a prospect types
others (「停下停下」「想跟你们的业务员通个话」). This model generalises from every wording we do
have — the intents' paraphrases, the labelled command sets and the FAQ's questions (which are not
commands) — to new ones by their pieces: characters, pairs and triples of characters. It is fitted
by ``parkbot kb fit-commands`` (bot/nlu/fit_commands.py) into ``knowledge/command_model.yaml``
and loaded with the knowledge; the context then says which of its intents are plausible
(commands.py fuses the two).

Multinomial naive Bayes because it is fitted in closed form (counts, so the same data give the
same file byte for byte), needs no library, and scores a message in a few microseconds. Its
log-likelihood is averaged over the message's n-grams before the softmax, so a long message is
not more certain than a short one only for being long.
"""
from __future__ import annotations

import math
import re
import sys
from array import array
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache, partial, reduce
from operator import add
from typing import Any, Iterable

from .normalize import surface
from .reading import DEFAULT_QUESTION, asks_question

# a column's floats added one after another from the first, as ``sums[k] += v`` did: ``sum`` does
# exactly that up to Python 3.11; from 3.12 it compensates the rounding (other last digits), so
# there the same additions go through ``reduce``
_in_order_sum = sum if sys.version_info < (3, 12) else partial(reduce, add)

NONE = "none"  # the class of messages that are no command (questions, a form's answers)
ORDERS = (1, 2, 3)
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
_DIGITS = re.compile(r"\d+")
_LATIN = re.compile(r"[a-z]+")
QUESTION = "?"  # a pseudo-gram: the message asks something
WORD = "="  # marks a latin word (or a pair of them) among the character grams


def grams(text: str, asks: bool) -> tuple[str, ...]:
    """The n-grams of a message: its surface form without punctuation, digits each as one symbol
    (a phone number is 'a number', not its digits), between ^ and $ so that the whole short message
    (「停」) differs from the same characters inside a longer one; and latin words as words, each and
    each pair of neighbours (「cancel the form」 is cancel, the, form -- not a run of letters, and a
    name the model never saw, 「Siemens」, says nothing to any class)."""
    return _grams(text or "", asks)  # whether it asks is read by the knowledge's question words


@lru_cache(maxsize=4096)
def _grams(text: str, asks: bool) -> tuple[str, ...]:
    folded = surface(text)
    words = _LATIN.findall(folded)
    cleaned = _NOISE.sub("", _DIGITS.sub("0", _LATIN.sub(" ", folded)))
    out: list[str] = []
    if cleaned:
        # ORDERS' pieces of ^cleaned$, the markers alone left out: the characters (cleaned has no ^ or $,
        # they are not word characters), then every pair and every triple, each in order
        s = f"^{cleaned}$"
        out = [*cleaned, *map(add, s, s[1:]), *map(add, map(add, s, s[1:]), s[2:])]
    out += [f"{WORD}{w}" for w in words]
    out += [f"{WORD}{a}_{b}" for a, b in zip(words, words[1:])]
    if words and not cleaned:  # a message only of latin words: its first and its last
        out += [f"{WORD}^{words[0]}", f"{WORD}{words[-1]}$"]
    if asks:
        out.append(QUESTION)
    return tuple(out)


def fit_counts(samples: Iterable[tuple[str, str]], question: re.Pattern[str] = DEFAULT_QUESTION,
               ) -> tuple[list[str], dict[str, dict[str, int]], dict[str, int]]:
    """(classes, per class the count of each gram, per class the number of messages); a message
    asks by ``question``, the knowledge's question words."""
    counts: dict[str, Counter] = {}
    docs: Counter = Counter()
    for text, label in samples:
        g = grams(text, asks_question(text, question))
        if not g:
            continue
        counts.setdefault(label, Counter()).update(g)
        docs[label] += 1
    classes = sorted(counts)
    return classes, {c: dict(sorted(counts[c].items())) for c in classes}, {c: docs[c] for c in classes}


@dataclass(frozen=True)
class IntentModel:
    """Posterior of each class for a message; built from the counts in command_model.yaml."""

    classes: tuple[str, ...]
    loglik: dict[str, tuple[float, ...]]  # gram -> log P(gram | class), per class; grams not in it
    # were never seen in training and say nothing to any class
    sharpness: float

    @classmethod
    def from_counts(cls, counts: dict[str, dict[str, int]], alpha: float = 0.5, sharpness: float = 4.0) -> "IntentModel":
        classes = tuple(sorted(counts))
        vocab = sorted({g for per in counts.values() for g in per})
        totals = [sum(counts[c].values()) + alpha * (len(vocab) + 1) for c in classes]
        # equal weights are one float object: most pieces were never seen with most classes, so the
        # 330 000 weights of the shipped model take some 500 values (~8 MB less in every worker)
        shared: dict[float, float] = {}
        loglik = {g: tuple(shared.setdefault(w, w) for w in (math.log((counts[c].get(g, 0) + alpha) / t)
                                                             for c, t in zip(classes, totals)))
                  for g in vocab}
        return cls(classes, loglik, sharpness)

    def __reduce__(self):
        # pickle writes every float anew: kept on disk as the distinct weights and one small int for each,
        # so the built knowledge read back at a restart shares them too
        shared = list(dict.fromkeys(w for row in self.loglik.values() for w in row))
        code = {w: k for k, w in enumerate(shared)}
        flat = array("i", (code[w] for row in self.loglik.values() for w in row))
        return _model_restored, (self.classes, list(self.loglik), flat, shared, self.sharpness)

    @classmethod
    def from_weights(cls, weights: Any) -> "IntentModel | None":
        """From the loaded command_model.yaml (CommandModel); None when the file has no model."""
        if not weights.counts:
            return None
        return cls.from_counts(weights.counts, weights.alpha, weights.sharpness)

    def probs(self, text: str, asks: bool) -> dict[str, float]:
        """P(class | message): averaged log-likelihood (uniform prior), sharpened, normalised.
        ``asks``: whether the message asks something, by the knowledge's question words."""
        # the known pieces' rows, in the message's order; each class's column summed in C, in that same
        # order (a Python loop over pieces and classes was the costliest part of a command's reading)
        rows = [row for row in map(self.loglik.get, grams(text, asks)) if row is not None]
        if not rows:
            return {}
        n, sharpness = len(rows), self.sharpness
        scaled = [sharpness * s / n for s in map(_in_order_sum, zip(*rows))]
        top = max(scaled)
        exps = [math.exp(v - top) for v in scaled]
        total = sum(exps)
        return {c: e / total for c, e in zip(self.classes, exps)}


def _model_restored(classes: tuple[str, ...], pieces: list[str], flat: array, shared: list[float],
                    sharpness: float) -> IntentModel:
    width, weights = len(classes), list(map(shared.__getitem__, flat))
    return IntentModel(classes, {g: tuple(weights[k * width:(k + 1) * width]) for k, g in enumerate(pieces)}, sharpness)
