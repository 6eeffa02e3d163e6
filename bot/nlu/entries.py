"""The matchable entries: every FAQ, and every park no FAQ already introduces."""
from __future__ import annotations

import sys
from array import array
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from bot.knowledge.schema import Faq, ParkEntry

from .index import grams


# slots: no __dict__ per entry or item (~200 bytes each, 2 MB a kind at 10 000 entries)
@dataclass(frozen=True, slots=True)
class Entry:
    id: str  # faq id, or "park:<park id>"
    title: str  # shown in did-you-mean lists
    answer: str
    follow_ups: list[str] = field(default_factory=list)

    def __reduce__(self):
        # read back by the constructor: a slotted dataclass's own __setstate__ asks for its fields
        # each time, twice as slow over 20 000 entries and items at a restart
        return Entry, (self.id, self.title, self.answer, self.follow_ups)


# what never occurs in a normalised text: every character that is not a letter or a digit is dropped
SEP = "\x00"


@dataclass(frozen=True, slots=True)
class Item:
    """An entry with its normalised wording, ready for scoring."""

    entry: Entry
    texts: tuple[str, ...]  # paraphrases (fuzzy-compared with the message)
    keywords: tuple[str, ...]
    # the bigrams of paraphrases and keywords, and of the answer (words the entry can speak about),
    # each as :func:`bigram_text` makes it, asked with ``probe(gram) in own``: a short one as its own
    # text (a set of bigrams is a hash table of 64-128 slots, ~2 KB; the text a tenth of that, the
    # answer's the answer itself), a long one as a set
    own: str | frozenset[str]
    told: str | frozenset[str]

    def __reduce__(self):
        return Item, (self.entry, self.texts, self.keywords, self.own, self.told)

    def bigrams(self) -> frozenset[str]:
        """Every bigram of the entry's wording and answer (what the IDF table counts)."""
        return _grams_in(self.own) | _grams_in(self.told)


def _grams_in(bigrams: str | frozenset[str]) -> frozenset[str]:
    if not isinstance(bigrams, str):
        return frozenset(p.strip(SEP) for p in bigrams)
    parts = bigrams.strip(SEP).split(SEP) if bigrams.startswith(SEP) else [bigrams]
    return frozenset().union(*map(grams, parts))


# asking a string is a scan (~0.9 ns a character), a set a hash (~16 ns): a longer text (a real
# answer of a few hundred characters) is kept as the set of its probes, a shorter one as itself, a
# tenth of its set's memory. The wording is asked for every character of a message, the answer only
# for those the wording lacks: wordings up to 48 characters and answers up to 96 kept matching within
# a few % of sets throughout at 100 and 1 000 entries (wordings up to 96 too: 20 % slower at 100).
# A wording keeps each bigram once (new_pieces), and up to 64 of those characters matched as fast as
# sets at 10 000 entries or faster (0.24 against 0.26 ms a message, p99 0.88 against 1.03, each
# message's fastest of 11 rounds): 10 000 strings of a few hundred bytes stay in the processor's
# caches where 10 000 sets of 2 KB do not
LONGEST_SCANNED = 64
LONGEST_SCANNED_ANSWER = 96


def bigram_text(texts: Iterable[str], longest: int | None = None) -> str | frozenset[str]:
    """``texts`` as what ``probe(g) in`` asks whether ``g`` is in ``grams`` of one of them.

    A string: a two-character probe cannot span two texts (SEP is in none) and a one-character gram
    (the whole of a one-character text) is probed with SEP on both sides; a single text of two
    characters or more is its own bigram text, the same string object, kept once. Of several texts
    only the pieces that bring bigrams no earlier text has are kept (:func:`new_pieces`): an entry's
    questions that all name its subject hold its bigrams once. Longer than ``longest``
    (LONGEST_SCANNED by default): the set of the probes of its bigrams.
    """
    parts = [t for t in texts if t]
    if len(parts) == 1 and len(parts[0]) > 1:
        joined = parts[0]
    else:
        pieces = new_pieces(parts)
        joined = SEP + SEP.join(pieces) + SEP if pieces else ""
    if len(joined) <= (LONGEST_SCANNED if longest is None else longest):
        return joined
    return frozenset(map(sys.intern, map(probe, frozenset().union(*map(grams, parts)))))


def new_pieces(texts: Iterable[str]) -> list[str]:
    """The stretches of ``texts`` holding every bigram of them, each bigram in the first text that has it.

    Each piece is a substring of one text, so its bigrams are bigrams of that text; a stretch of new
    bigrams runs on over one bigram seen before (a character more, where a new piece would cost a
    separator and a character). A one-character text is a piece of its own, once.
    """
    seen: set[str] = set()
    out: list[str] = []
    for text in texts:
        if len(text) == 1:
            if text not in seen:
                seen.add(text)
                out.append(text)
            continue
        start = end = -1  # the piece being kept: text[start:end]
        for i in range(len(text) - 1):
            gram = text[i:i + 2]
            if gram in seen:
                continue
            seen.add(gram)
            if start >= 0 and i <= end:
                end = i + 2
            else:
                if start >= 0:
                    out.append(text[start:end])
                start, end = i, i + 2
        if start >= 0:
            out.append(text[start:end])
    return out


def probe(gram: str) -> str:
    """What to look for in a :func:`bigram_text` to know whether ``gram`` is one of its bigrams."""
    if len(gram) == 2 and SEP not in gram:
        return gram
    # no text is empty or holds SEP, so SEP twice is in no bigram text: "" (the message's start) and a
    # pair with SEP are no one's bigram, as they were in no set of bigrams
    return SEP + gram + SEP if len(gram) == 1 and gram != SEP else SEP + SEP


class DocRanges(Sequence[range]):
    """Item i's paraphrases are documents ``starts[i]`` to ``starts[i + 1]`` of the bigram index.

    A range per item, made when asked (only the leave-one-out checks ask), instead of a tuple of
    int objects per item (~2.6 MB at 10 000 entries).
    """

    def __init__(self, counts: Iterable[int]):
        self._starts = array("i", [0])
        for n in counts:
            self._starts.append(self._starts[-1] + n)

    def __len__(self) -> int:
        return len(self._starts) - 1

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        return range(self._starts[i], self._starts[i + 1])


def doc_table(items: Sequence[Item]) -> tuple[list[str], array, DocRanges]:
    """The paraphrases in one list (the bigram index's documents), each one's item, each item's documents."""
    docs = [t for item in items for t in item.texts]
    doc_item = array("i", [i for i, item in enumerate(items) for _ in item.texts])
    return docs, doc_item, DocRanges(len(item.texts) for item in items)


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


def _kept(normalised: str, raw: str) -> str:
    """``raw`` itself when normalising left it as it was: one string object for both, not two equal ones
    (most keywords and half the questions at 10 000 entries, ~4 MB)."""
    return raw if normalised == raw else normalised


def build_items(kb: Any, norm: Callable[[str], str]) -> list[Item]:
    faqs: list[Faq] = list(kb.faqs)
    parks: list[ParkEntry] = list(kb.parks)
    park_faq = parks_introduced_by_faqs(faqs, parks, norm)
    items = []
    for faq in faqs:
        # texts[j] stays questions[j] (the conflict report relies on it)
        texts = [_kept(norm(q), q) for q in faq.questions]
        names = [n for park in parks if park_faq.get(park.id) == faq.id for n in park.names]
        # the park's names are evidence for its FAQ, but as keywords, not paraphrases: as a
        # paraphrase "青岛科技创新园" would pull every question naming the park to this one FAQ
        keywords = tuple(k for k in dict.fromkeys(_kept(norm(k), k) for k in [*faq.keywords, *names]) if len(k) >= 2)
        # the FAQ's own list of follow-ups, not a copy of it in every entry
        entry = Entry(faq.id, faq.questions[0], faq.answer.strip(), faq.follow_ups)
        # normalised as the matcher normalises the entry's answer (the same memo: one string for both)
        answer = norm(entry.answer)
        items.append(Item(entry, tuple(texts), keywords, bigram_text([*texts, *keywords]), bigram_text([answer], LONGEST_SCANNED_ANSWER)))
    for park in parks:
        if park.id in park_faq:
            continue
        names = tuple(t for t in dict.fromkeys(_kept(norm(n), n) for n in park.names) if t)
        entry = Entry(f"park:{park.id}", park.name, park.summary.strip())
        items.append(Item(entry, names, tuple(n for n in names if len(n) >= 2), bigram_text(names),
                          bigram_text([norm(entry.answer)], LONGEST_SCANNED_ANSWER)))
    return items
