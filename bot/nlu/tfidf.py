"""Character-unigram TF-IDF of each entry, compared by cosine with a message.

The bigram features of the matcher miss single characters a new wording shares with an entry
(吃 of 吃午饭 with 吃饭, 税 of 税收有优惠吗); unigrams over the whole knowledge base weigh
them by how rare they are, so the entry that owns the rare character of the message wins.
The entry's answer counts too, but weakly (``weak``): a question may ask about something only
the answer talks about (网上 in the digital hall's 线上), yet answers are long and say much
that nobody asks. Pure Python, a few microseconds a candidate.
"""
from __future__ import annotations

import math
from array import array
from collections import Counter
from operator import mul
from typing import Iterable, Sequence

ANSWER_WEIGHT = 0.3  # one character of the answer counts this much of one in a paraphrase


class CharTfidf:
    def __init__(self, entry_texts: Sequence[Iterable[str]], weak: Sequence[Iterable[str]] = (),
                 weak_weight: float = ANSWER_WEIGHT):
        self._weak_weight = weak_weight
        counts = [self._counts(texts, weak[i] if i < len(weak) else ()) for i, texts in enumerate(entry_texts)]
        df: Counter[str] = Counter()
        for c in counts:
            df.update(c.keys())
        n = len(counts)
        self._idf = {ch: math.log((n + 1) / (d + 0.5)) for ch, d in df.items()}
        self._unseen = math.log((n + 1) / 0.5)
        # each entry's vector as its characters (one string per entry: str.find without bounds is the
        # fastest lookup) and their weights, all entries' in one array of doubles, entry e's from
        # offsets[e] on after a 0.0 that str.find's -1 (a character the entry lacks) reads: a tenth of a
        # dict of float objects per entry (~55 MB at 10 000 entries), no array object per entry
        # (~1 MB, and 10 000 fewer objects to read back at a restart), the same numbers
        self._chars: list[str] = []
        self._weights = array("d")
        self._offsets = array("i")
        for v in map(self._vector, counts):
            self._chars.append("".join(v))
            self._weights.append(0.0)
            self._offsets.append(len(self._weights))
            self._weights.extend(v.values())

    def _counts(self, texts: Iterable[str], weak: Iterable[str]) -> dict[str, float]:
        c: dict[str, float] = {}
        for text in texts:
            for ch in text:
                c[ch] = c.get(ch, 0.0) + 1.0
        for text in weak:
            for ch in text:
                c[ch] = c.get(ch, 0.0) + self._weak_weight
        return c

    def _vector(self, counts: dict[str, float]) -> dict[str, float]:
        # sublinear term frequency; a character seen only in the answer keeps its fraction
        idf = self._idf
        vec = {ch: (1 + math.log(tf) if tf >= 1 else tf) * idf.get(ch, self._unseen) for ch, tf in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {ch: v / norm for ch, v in vec.items()}

    def knows(self, ch: str) -> bool:
        """Whether any entry's wording or answer uses the character."""
        return ch in self._idf

    def message(self, text: str) -> dict[str, float]:
        c: dict[str, int] = {}
        for ch in text:
            c[ch] = c.get(ch, 0) + 1
        idf, unseen = self._idf, self._unseen
        vec = {ch: (1 + math.log(tf) if tf > 1 else 1.0) * idf.get(ch, unseen) for ch, tf in c.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {ch: v / norm for ch, v in vec.items()}

    def cosine(self, message: dict[str, float], entry: int) -> float:
        # every candidate of every message: the products in C (map), not in a generator
        at = map(self._offsets[entry].__add__, map(self._chars[entry].find, message))
        return sum(map(mul, message.values(), map(self._weights.__getitem__, at)))

    def cosine_with(self, message: dict[str, float], texts: Iterable[str], weak: Iterable[str] = ()) -> float:
        """Cosine with an entry built from ``texts`` now (leave-one-out: a paraphrase left out of its
        entry must not be found by its own characters)."""
        vec = self._vector(self._counts(texts, weak))
        return sum(w * vec.get(ch, 0.0) for ch, w in message.items())
