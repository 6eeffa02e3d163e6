"""The matchable entries: every FAQ, and every park no FAQ already introduces."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from bot.knowledge.schema import Faq, ParkEntry

from .index import grams


@dataclass(frozen=True)
class Entry:
    id: str  # faq id, or "park:<park id>"
    title: str  # shown in did-you-mean lists
    answer: str
    follow_ups: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Item:
    """An entry with its normalised wording, ready for scoring."""

    entry: Entry
    texts: tuple[str, ...]  # paraphrases (fuzzy-compared with the message)
    keywords: tuple[str, ...]
    # bigrams of paraphrases and keywords, and of the answer (words the entry can speak about);
    # the strings are interned: one object per distinct bigram, not one per entry that has it
    # (~60 MB at 10 000 entries)
    own: frozenset[str]
    told: frozenset[str]


def parks_introduced_by_faqs(faqs: list[Faq], parks: list[ParkEntry], norm: Callable[[str], str]) -> dict[str, str]:
    """Park id -> the FAQ that is about that park.

    When an admin wrote an FAQ about a park, that FAQ and the park's own summary would compete
    for the same questions and split the vote; the FAQ is the curated answer, so the park's
    names become keywords of it instead of a separate entry.
    """
    out: dict[str, str] = {}
    normalized = {f.id: [norm(q) for q in f.questions] for f in faqs}
    for park in parks:
        names = [n for n in (norm(x) for x in park.names) if n]
        best_id, best_count = None, 0
        for faq in faqs:
            count = sum(any(n in q for n in names) for q in normalized[faq.id])
            if count > best_count:
                best_id, best_count = faq.id, count
        if best_id and best_count >= max(2, len(normalized[best_id]) / 2):
            out[park.id] = best_id
    return out


def _grams_of(texts: Iterable[str]) -> frozenset[str]:
    out: set[str] = set()
    for t in texts:
        out |= grams(t)
    return frozenset(map(sys.intern, out))


def build_items(kb: Any, norm: Callable[[str], str]) -> list[Item]:
    faqs: list[Faq] = list(kb.faqs)
    parks: list[ParkEntry] = list(kb.parks)
    park_faq = parks_introduced_by_faqs(faqs, parks, norm)
    items = []
    for faq in faqs:
        # texts[j] stays questions[j] (the conflict report relies on it)
        texts = [norm(q) for q in faq.questions]
        names = [n for park in parks if park_faq.get(park.id) == faq.id for n in park.names]
        # the park's names are evidence for its FAQ, but as keywords, not paraphrases: as a
        # paraphrase "青岛科技创新园" would pull every question naming the park to this one FAQ
        keywords = tuple(k for k in dict.fromkeys(norm(k) for k in [*faq.keywords, *names]) if len(k) >= 2)
        answer = norm(faq.answer)
        entry = Entry(faq.id, faq.questions[0], faq.answer.strip(), list(faq.follow_ups))
        items.append(Item(entry, tuple(texts), keywords, _grams_of([*texts, *keywords]), _grams_of([answer])))
    for park in parks:
        if park.id in park_faq:
            continue
        names = tuple(t for t in dict.fromkeys(norm(n) for n in park.names) if t)
        entry = Entry(f"park:{park.id}", park.name, park.summary.strip())
        items.append(Item(entry, names, tuple(n for n in names if len(n) >= 2), _grams_of(names),
                          _grams_of([norm(park.summary)])))
    return items
