"""Question -> knowledge entry, or an honest "not sure".

Everything is built in :class:`Understanding`'s constructor from an immutable Knowledge value;
afterwards every method only reads, so one instance serves all threads.

Scores are per entry, not per paraphrase, so an entry with many paraphrases cannot take the
runner-up slot from itself. Features of an entry against a message:

* ``ratio`` -- best ``fuzz.ratio`` against its paraphrases, on characters (the ``token_*``
  scorers see an unsegmented Chinese sentence as one token);
* ``own``   -- IDF-weighted share of the message's content bigrams that the entry's
  paraphrases and keywords use;
* ``told``  -- the same share counting the entry's answer too: how much of the message the
  entry can speak about. Words the knowledge base never uses (下雨, 找工作, 首都) weigh most,
  which is what keeps off-topic questions out; question-frame words (是不是, 哪里) are neutral;
* ``keys``  -- share of the message's characters covered by the entry's keywords.

Real and off-topic questions overlap on any one score, so answering needs a margin over the
runner-up entry and enough of the message explained (:class:`Policy`), not a single cut-off.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from rapidfuzz import fuzz

from bot.knowledge.schema import ParkEntry, Synonyms

from .entities import EntityExtractor
from .entries import Entry, Item, build_items
from .index import BigramIndex, PhraseIndex, grams, idf_table
from .normalize import Normalizer, surface
from .vocab import Vocab, load_vocab

Status = Literal["answer", "suggest", "none"]
__all__ = ["Conflict", "Entry", "Match", "Policy", "Understanding"]


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
    """Weights and thresholds, tuned on tests/data/nlu.yaml with `parkbot eval`."""

    w_ratio: float = 0.4
    w_own: float = 0.5
    w_told: float = 0.1
    w_keys: float = 0.1
    unseen_boost: float = 2.0  # a character the knowledge base never uses counts this much more
    answer_at: float = 36.0  # combined score needed to answer ...
    margin: float = 3.0  # ... with this lead over the runner-up entry ...
    min_told: float = 0.15  # ... and this much of the message within what the entry talks about
    verbatim: float = 90.0  # (or a paraphrase this close)
    suggest_at: float = 28.0
    suggest_spread: float = 8.0  # suggestions within this distance of the best
    candidates: int = 60
    chars: bool = True
    names_as_paraphrases: bool = False


@dataclass(frozen=True)
class Scored:
    item: int
    score: float
    ratio: float
    own: float
    told: float
    keys: float


def with_park_aliases(synonyms: Synonyms, parks: list[ParkEntry]) -> Synonyms:
    """synonyms.yaml plus every park alias folded to the park's name.

    parks.yaml already says 科创园 and SCC青岛科技创新园 are one place; folding them lets a
    question naming the park one way match an FAQ that names it another. Entries written in
    synonyms.yaml win.
    """
    taken = {v for vs in synonyms.synonyms.values() for v in vs} | set(synonyms.synonyms)
    merged = {k: list(v) for k, v in synonyms.synonyms.items()}
    for park in parks:
        extra = [a for a in park.aliases if a not in taken and a != park.name]
        if extra:
            merged.setdefault(park.name, []).extend(extra)
            taken.update(extra)
    return Synonyms(synonyms=merged, typos=synonyms.typos)


class Understanding:
    def __init__(self, kb: Any, policy: Policy | None = None, vocab: Vocab | None = None):
        self.policy = p = policy or Policy()
        self.vocab = vocab or load_vocab(kb.directory)
        self._merged_synonyms = with_park_aliases(kb.synonyms, kb.parks)
        self._normalizer = Normalizer(self._merged_synonyms, self.vocab.fillers,
                                      self.vocab.particles, self.vocab.keep)
        self._extractor = EntityExtractor(self.vocab, self._normalizer)
        norm = self._normalizer.normalize
        self._items: list[Item] = build_items(kb, norm, p.names_as_paraphrases)
        self._faqs = {f.id: f for f in kb.faqs}
        self._parks: list[ParkEntry] = list(kb.parks)

        docs: list[str] = []
        self._doc_item: list[int] = []
        self._item_docs: list[tuple[int, ...]] = []
        for i, item in enumerate(self._items):
            ids = []
            for text in item.texts:
                ids.append(len(docs))
                docs.append(text)
                self._doc_item.append(i)
            self._item_docs.append(tuple(ids))
        self._index = BigramIndex(docs)
        self._keywords: PhraseIndex[int] = PhraseIndex((k, i) for i, it in enumerate(self._items) for k in it.keywords)
        self._neutral: PhraseIndex[bool] = PhraseIndex((surface(w), True) for w in self.vocab.neutral)
        idf, unseen = idf_table([it.own | it.told for it in self._items])
        self._idf, self._idf_unseen = idf, unseen * p.unseen_boost
        self._park_names: PhraseIndex[int] = PhraseIndex(
            (norm(n), i) for i, park in enumerate(self._parks) for n in park.names)
        self._entry_by_id = {it.entry.id: it.entry for it in self._items}

    # ------------------------------------------------------------------ public API
    def normalize(self, text: str) -> str:
        return self._normalizer.normalize(text)

    def entities(self, text: str) -> dict[str, Any]:
        return self._extractor.extract(text)

    def entry(self, entry_id: str) -> Entry | None:
        return self._entry_by_id.get(entry_id)

    def match(self, text: str) -> Match:
        return self._decide(self.normalize(text))

    def mentions_park(self, text: str) -> ParkEntry | None:
        hits = self._park_names.find(self.normalize(text))
        if not hits:
            return None
        # the longest name wins: 即墨科技创新园 names a park; a shorter alias inside it does not
        _, _, owners = max(hits, key=lambda h: (len(h[1]), -h[0]))
        return self._parks[min(owners)]

    def conflicts(self) -> list[Conflict]:
        """FAQ paraphrases answered with another entry once left out of their own entry."""
        out = []
        for i, item in enumerate(self._items):
            faq = self._faqs.get(item.entry.id)
            if faq is None:
                continue
            for j, question in enumerate(faq.questions):
                m = self._decide(item.texts[j], exclude_doc=self._item_docs[i][j])
                if m.status == "answer" and m.best is not None and m.best.id != faq.id:
                    out.append(Conflict(faq.id, j, question, m.best.id, round(m.score, 1)))
        return out

    # ------------------------------------------------------------------ scoring
    def _content_grams(self, norm: str) -> list[str]:
        """Bigrams of the message that say what it is about.

        Bigrams made only of question-frame words are dropped. A bigram straddling a frame
        word and a content word is kept only when the knowledge base uses it: 智能 (能 is
        also a frame word) is a real word, 你吃 / 们要 are just where two words meet.
        """
        neutral = set()
        for start, phrase, _ in self._neutral.find(norm):
            neutral.update(range(start, start + len(phrase)))
        if len(norm) < 2:
            return [norm] if norm and 0 not in neutral else []
        out = []
        for i in range(len(norm) - 1):
            g = norm[i:i + 2]
            frame = (i in neutral) + (i + 1 in neutral)
            if frame == 0 or (frame == 1 and g in self._idf):
                out.append(g)
        return list(dict.fromkeys(out))

    def _content_chars(self, norm: str) -> tuple[list[int], list[float]]:
        """Positions of content characters and their weights.

        A character the knowledge base never uses next to its neighbours (首 in 以色列首都)
        weighs ``unseen_boost``; one inside a known bigram weighs the best IDF of those bigrams.
        """
        neutral = set()
        for start, phrase, _ in self._neutral.find(norm):
            neutral.update(range(start, start + len(phrase)))
        pos, weights = [], []
        for i in range(len(norm)):
            if i in neutral:
                continue
            known = [self._idf[g] for g in (norm[i - 1:i + 1] if i else "", norm[i:i + 2]) if g in self._idf]
            pos.append(i)
            weights.append(max(known) if known else self._idf_unseen)
        return pos, weights

    def _keyword_cover(self, norm: str) -> dict[int, float]:
        covered: dict[int, set[int]] = {}
        for start, phrase, owners in self._keywords.find(norm):
            for owner in owners:
                covered.setdefault(owner, set()).update(range(start, start + len(phrase)))
        return {i: len(pos) / len(norm) for i, pos in covered.items()}

    def _score(self, norm: str, content: list[str], weights: list[float], i: int, keys: float,
               exclude_doc: int | None) -> Scored:
        item, p = self._items[i], self.policy
        own = item.own
        ratio = 0.0
        for doc, text in zip(self._item_docs[i], item.texts):
            if doc == exclude_doc:
                # leave-one-out: also forget the words only that paraphrase brought
                own = frozenset().union(*(grams(t) for d, t in zip(self._item_docs[i], item.texts)
                                          if d != exclude_doc), *(grams(k) for k in item.keywords))
                continue
            r = fuzz.ratio(norm, text, processor=None)
            if r > ratio:
                ratio = r
        if p.chars:
            own_share, told_share = self._char_cover(norm, content, weights, own, item.told)
        else:
            total = sum(weights)
            in_own = sum(w for g, w in zip(content, weights) if g in own)
            in_told = sum(w for g, w in zip(content, weights) if g in own or g in item.told)
            own_share = in_own / total if total else 0.0
            told_share = in_told / total if total else 0.0
        score = 100 * (p.w_own * own_share + p.w_told * told_share + p.w_keys * keys) + p.w_ratio * ratio

        return Scored(i, score, ratio, own_share, told_share, keys)

    def _char_cover(self, norm, content_chars, weights, own, told):
        """Weighted share of content characters that sit in a bigram the entry uses."""
        total = a = b = 0.0
        for pos, w in zip(content_chars, weights):
            total += w
            left = norm[pos - 1:pos + 1] if pos else ""
            right = norm[pos:pos + 2]
            if left in own or right in own or (len(norm) == 1 and norm in own):
                a += w
                b += w
            elif left in told or right in told:
                b += w
        return (a / total, b / total) if total else (0.0, 0.0)

    def rank(self, norm: str, exclude_doc: int | None = None) -> list[Scored]:
        """Candidate entries scored, best first."""
        if not norm:
            return []
        keys = self._keyword_cover(norm)
        cand = {self._doc_item[d] for d, _ in self._index.candidates(grams(norm), self.policy.candidates)
                if d != exclude_doc}
        cand.update(keys)
        if self.policy.chars:
            content, weights = self._content_chars(norm)
        else:
            content = self._content_grams(norm)
            weights = [self._idf.get(g, self._idf_unseen) for g in content]
        scored = [self._score(norm, content, weights, i, keys.get(i, 0.0), exclude_doc) for i in cand]
        scored.sort(key=lambda s: s.score, reverse=True)
        return scored

    def _decide(self, norm: str, exclude_doc: int | None = None) -> Match:
        p = self.policy
        ranked = self.rank(norm, exclude_doc)
        if not ranked:
            return Match("none", None, [], 0.0, norm)
        best = ranked[0]
        runner = ranked[1].score if len(ranked) > 1 else 0.0
        evidence = best.told >= p.min_told or best.ratio >= p.verbatim
        if best.score >= p.answer_at and best.score - runner >= p.margin and evidence:
            return Match("answer", self._items[best.item].entry, [], best.score, norm)
        if best.score >= p.suggest_at and (evidence or best.told >= p.min_told / 2):
            floor = max(p.suggest_at, best.score - p.suggest_spread)
            top = [self._items[s.item].entry for s in ranked[:3] if s.score >= floor]
            return Match("suggest", None, top, best.score, norm)
        return Match("none", None, [], best.score, norm)
