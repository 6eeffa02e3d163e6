"""Question -> knowledge entry, or an honest "not sure".

Everything is built in :class:`Understanding`'s constructor from an immutable Knowledge value;
after that every method only reads, so one instance serves all threads.

Scoring (per entry, not per paraphrase, so an entry with many paraphrases does not crowd the
runner-up slot with itself):

* ``ratio``  -- best ``fuzz.ratio`` against the entry's paraphrases (character level; the
  ``token_*`` scorers treat an unsegmented Chinese sentence as a single token);
* ``cover``  -- IDF-weighted share of the message's bigrams that the entry's own wording uses
  anywhere: what the entry "explains" of the message; words the knowledge base never uses
  (下雨, 找工作) weigh most, which is what keeps off-topic questions out;
* ``keys``   -- share of the message's characters covered by the entry's keywords.

Real and off-topic questions overlap on any single score, so the decision uses the margin to
the runner-up entry and a minimum-evidence rule, not one cut-off (see :class:`Policy`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from rapidfuzz import fuzz

from bot.knowledge.schema import Faq, ParkEntry

from .entities import EntityExtractor
from .index import BigramIndex, PhraseIndex, grams, idf_table
from .normalize import Normalizer
from .vocab import Vocab, load_vocab

Status = Literal["answer", "suggest", "none"]


@dataclass(frozen=True)
class Entry:
    id: str  # faq id, or "park:<park id>"
    title: str  # shown in did-you-mean lists
    answer: str
    follow_ups: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Match:
    status: Status
    best: Entry | None
    suggestions: list[Entry]
    score: float
    normalized: str


@dataclass(frozen=True)
class Conflict:
    faq_id: str
    question_index: int
    question: str
    other_id: str
    score: float


@dataclass(frozen=True)
class Policy:
    """Weights and thresholds; tuned on tests/data/nlu.yaml (see bot/nlu/eval.py)."""

    w_ratio: float = 0.5
    w_cover: float = 0.35
    w_keys: float = 0.15
    answer_at: float = 55.0  # combined score needed to answer ...
    margin: float = 6.0  # ... with this lead over the runner-up entry ...
    min_cover: float = 0.6  # ... and this much of the message explained (or a near-verbatim paraphrase)
    verbatim: float = 90.0
    suggest_at: float = 42.0
    suggest_spread: float = 12.0  # suggestions within this distance of the best
    candidates: int = 40


@dataclass(frozen=True)
class _Item:
    entry: Entry
    texts: tuple[str, ...]  # normalised paraphrases
    doc_ids: tuple[int, ...]  # their ids in the bigram index
    grams: frozenset[str]


@dataclass(frozen=True)
class Scored:
    item: int
    score: float
    ratio: float
    cover: float
    keys: float


class Understanding:
    def __init__(self, kb: Any, policy: Policy | None = None, vocab: Vocab | None = None):
        self.policy = policy or Policy()
        self.vocab = vocab or load_vocab(kb.directory)
        self._normalizer = Normalizer(kb.synonyms, self.vocab.fillers, self.vocab.particles, self.vocab.keep)
        self._extractor = EntityExtractor(self.vocab, self._normalizer)
        norm = self._normalizer.normalize
        self._faqs: list[Faq] = list(kb.faqs)
        self._parks: list[ParkEntry] = list(kb.parks)
        self._park_faq = self._parks_introduced_by_faqs(norm)

        items: list[tuple[Entry, list[str], list[str]]] = []
        for faq in self._faqs:
            texts = [norm(q) for q in faq.questions]
            for park in self._parks:
                if self._park_faq.get(park.id) == faq.id:
                    texts += [norm(n) for n in park.names]
            entry = Entry(faq.id, faq.questions[0], faq.answer.strip(), list(faq.follow_ups))
            items.append((entry, texts, [norm(k) for k in faq.keywords]))
        for park in self._parks:
            if park.id not in self._park_faq:
                names = [norm(n) for n in park.names]
                items.append((Entry(f"park:{park.id}", park.name, park.summary.strip()), names, names))

        docs: list[str] = []
        self._doc_item: list[int] = []
        self._doc_pos: list[tuple[int, int]] = []  # doc -> (item, paraphrase index)
        built: list[_Item] = []
        keyword_pairs: list[tuple[str, int]] = []
        for i, (entry, texts, keywords) in enumerate(items):
            ids = []
            g: set[str] = set()
            for j, text in enumerate(texts):
                ids.append(len(docs))
                docs.append(text)
                self._doc_item.append(i)
                self._doc_pos.append((i, j))
                g |= grams(text)
            for k in keywords:
                if len(k) >= 2:
                    keyword_pairs.append((k, i))
                    g |= grams(k)
            built.append(_Item(entry, tuple(texts), tuple(ids), frozenset(g)))
        self._items = built
        self._index = BigramIndex(docs)
        self._keywords: PhraseIndex[int] = PhraseIndex(keyword_pairs)
        self._idf, self._idf_unseen = idf_table([it.grams for it in built])
        self._park_names: PhraseIndex[int] = PhraseIndex(
            (norm(n), i) for i, p in enumerate(self._parks) for n in p.names
        )
        self._entry_by_id = {it.entry.id: it.entry for it in built}

    # ------------------------------------------------------------------ public API
    def normalize(self, text: str) -> str:
        return self._normalizer.normalize(text)

    def entities(self, text: str) -> dict[str, Any]:
        return self._extractor.extract(text)

    def entry(self, entry_id: str) -> Entry | None:
        return self._entry_by_id.get(entry_id)

    def match(self, text: str) -> Match:
        return self._match(self.normalize(text))

    def mentions_park(self, text: str) -> ParkEntry | None:
        hits = self._park_names.find(self.normalize(text))
        if not hits:
            return None
        # longest name wins: 即墨科技创新园 names a park, 科创园 inside it is not another one
        start, phrase, owners = max(hits, key=lambda h: (len(h[1]), -h[0]))
        return self._parks[min(owners)]

    def conflicts(self) -> list["Conflict"]:
        """FAQ paraphrases answered with another entry once they are left out of their own."""
        out = []
        for item in self._items:
            if item.entry.id.startswith("park:"):
                continue
            faq = next(f for f in self._faqs if f.id == item.entry.id)
            for j, question in enumerate(faq.questions):
                m = self._match(item.texts[j], exclude_doc=item.doc_ids[j])
                if m.status == "answer" and m.best is not None and m.best.id != item.entry.id:
                    out.append(Conflict(faq.id, j, question, m.best.id, round(m.score, 1)))
        return out

    # ------------------------------------------------------------------ internals
    def _parks_introduced_by_faqs(self, norm) -> dict[str, str]:
        """Park id -> the FAQ that is about that park.

        When an admin wrote an FAQ about a park, that FAQ and the park's own summary would
        compete for the same questions and split the vote; the FAQ is the curated answer, so
        the park's names become extra paraphrases of it instead of a separate entry.
        """
        out: dict[str, str] = {}
        normalized = {f.id: [norm(q) for q in f.questions] for f in self._faqs}
        for park in self._parks:
            names = [n for n in (norm(x) for x in park.names) if n]
            best_id, best_count = None, 0
            for faq in self._faqs:
                qs = normalized[faq.id]
                count = sum(any(n in q for n in names) for q in qs)
                if count > best_count:
                    best_id, best_count = faq.id, count
            if best_id and best_count >= max(2, len(normalized[best_id]) / 2):
                out[park.id] = best_id
        return out

    def _score(self, norm: str, qgrams: frozenset[str], item_id: int, key_cover: float,
               exclude_doc: int | None) -> Scored:
        item = self._items[item_id]
        p = self.policy
        ratio = 0.0
        item_grams = item.grams
        for doc, text in zip(item.doc_ids, item.texts):
            if doc == exclude_doc:
                # leave-one-out: also forget the words only that paraphrase contributed
                item_grams = frozenset().union(
                    *(grams(t) for d, t in zip(item.doc_ids, item.texts) if d != exclude_doc))
                continue
            r = fuzz.ratio(norm, text, processor=None)
            if r > ratio:
                ratio = r
        idf, unseen = self._idf, self._idf_unseen
        total = explained = 0.0
        for g in qgrams:
            w = idf.get(g, unseen)
            total += w
            if g in item_grams:
                explained += w
        cover = explained / total if total else 0.0
        score = p.w_ratio * ratio + p.w_cover * 100 * cover + p.w_keys * 100 * key_cover
        return Scored(item_id, score, ratio, cover, key_cover)

    def _keyword_cover(self, norm: str) -> dict[int, float]:
        covered: dict[int, set[int]] = {}
        for start, phrase, owners in self._keywords.find(norm):
            span = range(start, start + len(phrase))
            for owner in owners:
                covered.setdefault(owner, set()).update(span)
        return {i: len(pos) / len(norm) for i, pos in covered.items()}

    def rank(self, norm: str, exclude_doc: int | None = None) -> list[Scored]:
        """Every candidate entry scored, best first (also used by eval and benchmarks)."""
        if not norm:
            return []
        qgrams = grams(norm)
        keys = self._keyword_cover(norm)
        cand = {self._doc_item[d] for d, _ in self._index.candidates(qgrams, self.policy.candidates)
                if d != exclude_doc}
        cand.update(keys)
        scored = [self._score(norm, qgrams, i, keys.get(i, 0.0), exclude_doc) for i in cand]
        scored.sort(key=lambda s: s.score, reverse=True)
        return scored

    def _match(self, norm: str, exclude_doc: int | None = None) -> Match:
        p = self.policy
        ranked = self.rank(norm, exclude_doc)
        if not ranked:
            return Match("none", None, [], 0.0, norm)
        best = ranked[0]
        runner = ranked[1].score if len(ranked) > 1 else 0.0
        evidence = best.cover >= p.min_cover or best.ratio >= p.verbatim
        entry = self._items[best.item].entry
        if best.score >= p.answer_at and best.score - runner >= p.margin and evidence:
            return Match("answer", entry, [], best.score, norm)
        if best.score >= p.suggest_at:
            floor = max(p.suggest_at, best.score - p.suggest_spread)
            top = [self._items[s.item].entry for s in ranked[:3] if s.score >= floor]
            return Match("suggest", None, top, best.score, norm)
        return Match("none", None, [], best.score, norm)
