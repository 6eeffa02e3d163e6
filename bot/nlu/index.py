"""Candidate filters that keep matching cost nearly flat as the knowledge base grows.

Chinese has no spaces, so "words" are unavailable without a segmenter; character bigrams are
the usual stand-in and work well on short questions. Two structures:

* :class:`BigramIndex` -- inverted index from bigram to the paraphrases containing it. Only
  the rarest bigrams of a message are expanded in full (within a fixed budget of postings);
  common ones (园区, 什么) only re-rank the survivors. Work per message is therefore bounded
  by the budget, not by the number of entries.
* :class:`PhraseIndex` -- exact phrase lookup (keywords, park names) by probing each position
  of the message for the phrases that begin with its two characters: O(len(message)) lookups.
"""
from __future__ import annotations

import math
import sys
from array import array
from collections import Counter, defaultdict
from itertools import repeat
from operator import add, contains, itemgetter
from typing import Generic, Hashable, Iterable, Sequence, TypeVar

T = TypeVar("T", bound=Hashable)


def grams(text: str) -> frozenset[str]:
    """Character bigrams; a one-character text is its own gram so it can still be found."""
    if len(text) < 2:
        return frozenset((text,)) if text else frozenset()
    return frozenset(text[i:i + 2] for i in range(len(text) - 1))


class BigramIndex:
    """Top paraphrases sharing the most bigrams with a message."""

    def __init__(self, docs: Sequence[str], budget: int = 500, rerank: int = 100):
        postings: dict[str, list[int]] = defaultdict(list)
        for doc_id, text in enumerate(docs):
            for gram in grams(text):
                postings[gram].append(doc_id)
        # arrays of C ints: 4 bytes a posting, where a tuple takes 8 and, once read back from the
        # built knowledge kept on disk, an int object of 28 more for each. The bigrams interned: the
        # IDF table and the phrase index key the same strings (one object each, ~3 MB at 10 000 entries)
        self._postings = {sys.intern(g): array("i", ids) for g, ids in postings.items()}
        # the documents themselves (the items' own strings, not copies): a long posting list is asked
        # only whether it holds each of the ~100 survivors, and "gram in text" answers that
        self._docs = docs
        self._budget = budget
        self._rerank = rerank

    def __reduce__(self):
        # kept on disk as one array of every posting and one of their lengths: read back at a restart
        # by slicing it, not as 35 000 arrays each rebuilt from its own bytes (at 10 000 entries)
        flat, lengths = array("i"), array("i")
        for ids in self._postings.values():
            flat.extend(ids)
            lengths.append(len(ids))
        return _index_restored, (list(self._postings), flat, lengths, self._docs, self._budget, self._rerank)

    def candidates(self, message_grams: Iterable[str], limit: int) -> list[tuple[int, int]]:
        """``(doc id, shared bigram count)``, best first, at most ``limit``."""
        # rarest first; equally rare grams in their own order, not the set's (which follows the
        # process's string hashing): which paraphrases tie for the last places must not vary
        known = sorted((g for g in message_grams if g in self._postings), key=lambda g: (len(self._postings[g]), g))
        if not known:
            return []
        counts: Counter[int] = Counter()
        spent = 0
        common: list[str] = []
        for gram in known:
            ids = self._postings[gram]
            # the rarest bigram is always expanded so a message never comes back empty-handed
            if not spent or spent + len(ids) <= self._budget:
                counts.update(ids)
                spent += len(ids)
            else:
                common.append(gram)
        # sorted(...)[:n] is what Counter.most_common and heapq.nlargest promise to equal, ties
        # included, and sorts a few hundred counts in C instead of heap-pushing them in Python
        if not common:
            return sorted(counts.items(), key=itemgetter(1), reverse=True)[:limit]
        top = sorted(counts.items(), key=itemgetter(1), reverse=True)[:self._rerank]
        survivors = [doc for doc, _ in top]
        totals = [count for _, count in top]
        texts = list(map(self._docs.__getitem__, survivors))
        for gram in common:
            if len(gram) == 2:
                # a text holds a two-character gram exactly when the gram is one of its bigrams: asked
                # of the ~100 survivors in C, as their sets were (24 MB at 10 000 entries), +10 µs a message
                totals = list(map(add, totals, map(contains, texts, repeat(gram))))
            else:  # a one-character gram is the whole of a one-character text: asked of its posting list
                totals = list(map(add, totals, map(self._postings[gram].__contains__, survivors)))
        return sorted(zip(survivors, totals), key=itemgetter(1), reverse=True)[:limit]


def _index_restored(grams_: list[str], flat: array, lengths: array, docs: Sequence[str], budget: int,
                    rerank: int) -> BigramIndex:
    index = BigramIndex.__new__(BigramIndex)
    index._postings, at = {}, 0
    for gram, n in zip(grams_, lengths):
        index._postings[gram] = flat[at:at + n]
        at += n
    index._docs, index._budget, index._rerank = docs, budget, rerank
    return index


class PhraseIndex(Generic[T]):
    """Which known phrases occur verbatim in a message, without scanning every phrase."""

    def __init__(self, phrases: Iterable[tuple[str, T]]):
        table: dict[str, set[T]] = defaultdict(set)
        for phrase, owner in phrases:
            if phrase:
                table[phrase].add(owner)
        # each phrase's owners as a tuple in the order a frozenset of them iterates (callers count
        # owners in that order): a tuple of one owner takes a fifth of a frozenset's memory
        self._table = {p: tuple(frozenset(owners)) for p, owners in table.items()}
        # the lengths of the phrases that begin with each pair of characters, longest first: a
        # message position is probed only for phrases that can start there, not for every length
        by_pair: dict[str, set[int]] = defaultdict(set)
        for phrase in self._table:
            if len(phrase) >= 2:
                by_pair[phrase[:2]].add(len(phrase))
        # one tuple object for each set of lengths (most pairs begin phrases of one length or two)
        shared: dict[tuple[int, ...], tuple[int, ...]] = {}
        self._by_pair = {sys.intern(pair): shared.setdefault(t, t)
                         for pair, t in ((p, tuple(sorted(ls, reverse=True))) for p, ls in by_pair.items())}
        self._singles = any(len(p) == 1 for p in self._table)
        self._firsts = frozenset(p[0] for p in self._table)

    def find(self, text: str) -> list[tuple[int, str, tuple[T, ...]]]:
        """Every ``(start, phrase, owners)`` found in ``text``, longer phrases first, then by start."""
        hits = []
        n = len(text)
        table, by_pair, singles, firsts = self._table, self._by_pair, self._singles, self._firsts
        for start, char in enumerate(text):
            if char not in firsts:
                continue
            for length in by_pair.get(text[start:start + 2], ()):
                if start + length <= n:
                    phrase = text[start:start + length]
                    owners = table.get(phrase)
                    if owners:
                        hits.append((start, phrase, owners))
            if singles:
                owners = table.get(char)
                if owners:
                    hits.append((start, char, owners))
        # stable: within one length the hits stay in the order of their starts
        hits.sort(key=lambda hit: -len(hit[1]))
        return hits


class IdfTable(dict):
    """Bigram -> IDF weight: a dict, asked as one, whose equal weights are one float object.

    A weight depends only on how many entries have the bigram, so the 100 000 bigrams of 10 000
    entries share a few hundred floats (~2.4 MB less). Pickled as those floats and one small int per
    bigram, so the built knowledge read back at a restart shares them too.
    """

    __slots__ = ()

    def __reduce__(self):
        shared = list(dict.fromkeys(self.values()))
        index = {w: k for k, w in enumerate(shared)}
        return _idf_restored, (list(self), array("i", map(index.__getitem__, self.values())), shared)


def _idf_restored(keys: list[str], codes: array, shared: list[float]) -> IdfTable:
    return IdfTable(zip(keys, map(shared.__getitem__, codes)))


def idf_table(entry_grams: Iterable[frozenset[str]]) -> tuple[IdfTable, float]:
    """Inverse document frequency of each bigram over entries, plus the weight of an unseen one.

    An unseen bigram gets the highest weight: words the knowledge base has never used are the
    strongest sign that a message is about something else. ``entry_grams`` may be a generator:
    one entry's set at a time, not all of them at once.
    """
    df: Counter[str] = Counter()
    n = 0
    for gs in entry_grams:
        df.update(gs)
        n += 1
    weight: dict[int, float] = {}
    table = IdfTable((sys.intern(g), weight.setdefault(c, math.log((n + 1) / (c + 0.5)))) for g, c in df.items())
    return table, math.log((n + 1) / 0.5)
