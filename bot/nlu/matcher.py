"""Question -> knowledge entry, or an honest "not sure".

Everything is built in :class:`Understanding`'s constructor from an immutable Knowledge value;
afterwards every method only reads, so one instance serves all threads.

Scores are per entry, not per paraphrase, so an entry with many paraphrases cannot take the
runner-up slot from itself. Features of an entry against a message:

* ``ratio`` -- best ``fuzz.ratio`` against its paraphrases, on characters (the ``token_*``
  scorers see an unsegmented Chinese sentence as one token; ``partial_ratio`` and ``WRatio``
  were not better on the labelled set);
* ``own``   -- IDF-weighted share of the message's content characters that sit in a bigram
  of the entry's paraphrases or keywords;
* ``told``  -- the same share counting the entry's answer too: how much of the message the
  entry can speak about. Characters the knowledge base never uses (下雨, 找工作, 首都) weigh
  most, which is what keeps off-topic questions out; question-frame words (是不是, 哪里,
  from entities.yaml ``neutral``) are not content and do not count;
* ``keys``  -- share of the message's characters covered by the entry's keywords.

Real and off-topic questions overlap on any one score, so answering needs a margin over the
runner-up entry and enough of the message explained (:class:`Policy`), not a single cut-off.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from typing import Any, Literal

from rapidfuzz import fuzz
from rapidfuzz.process import extractOne as fuzz_best

from bot.knowledge.schema import Intents, ParkEntry

from .commands import Commands
from .intent_model import IntentModel

# a question the knowledge answers outright beats a command it only resembles this much (weighted)
OVERRIDE = 85.0
from .entities import EntityExtractor
from .entries import Entry, Item, bigram_text, build_items, doc_table, probe
from .fields import FieldReaders
from .index import BigramIndex, PhraseIndex, grams, idf_table
from .normalize import Normalizer, surface, with_park_aliases
from .other_topics import OtherTopics
from .places import Places
from .policy import FEATURES, AnswerModel, features
from .reading import Reading, asking_clause
from .rerank import FEATURES as RERANK_FEATURES, TOP as RERANK_TOP, Reranker, Wording, candidate_features
from .tfidf import CharTfidf
from .vocab import load_vocab
from .weights import Policy, Scored

Status = Literal["answer", "suggest", "none"]
__all__ = ["Conflict", "Entry", "Match", "Policy", "Understanding"]


@dataclass(frozen=True)
class Match:
    status: Status
    best: Entry | None
    suggestions: list[Entry]
    score: float
    normalized: str
    confidence: float | None = None  # the answer model's probability that the best entry is right


@dataclass(frozen=True)
class Conflict:
    faq_id: str
    question_index: int
    question: str
    other_id: str
    score: float


class Understanding:
    """Normalisation, matching and entity extraction for one knowledge version (read-only)."""

    def __init__(self, kb: Any, policy: Policy | None = None):
        self.policy = p = policy or Policy()
        self.vocab = load_vocab(kb.directory)
        synonyms = with_park_aliases(kb.synonyms, kb.parks)
        self._normalizer = Normalizer(synonyms, self.vocab.fillers,
                                      self.vocab.particles, self.vocab.keep)
        self._extractor = EntityExtractor(self.vocab, self._normalizer,
                                          names=[n for park in kb.parks for n in park.names])
        # each text normalised once while building (questions are read for the parks they name, answers
        # for the places the knowledge speaks of); the memo goes with the constructor
        norm = cache(self._normalizer.normalize)
        self._items: list[Item] = build_items(kb, norm)
        self._faqs = {f.id: f for f in kb.faqs}

        docs, self._doc_item, self._item_docs = doc_table(self._items)
        self._index = BigramIndex(docs)
        self._keywords: PhraseIndex[int] = PhraseIndex((k, i) for i, it in enumerate(self._items) for k in it.keywords)
        self._neutral: PhraseIndex[bool] = PhraseIndex((surface(w), True) for w in self.vocab.neutral)
        idf, unseen = idf_table(it.bigrams() for it in self._items)
        self._idf, self._idf_unseen = idf, unseen * p.unseen_boost
        self._idf_known_char = self._idf_unseen * p.unseen_known_char
        self._entry_by_id = {it.entry.id: it.entry for it in self._items}
        # what the knowledge says itself: a place named there (盐城 in a park's news) is not elsewhere
        ours = " ".join([*(norm(f.answer) for f in kb.faqs), *(norm(p.summary) for p in kb.parks),
                         *(t for it in self._items for t in it.texts)])
        self.places = Places(kb, norm, ours)
        self.other_topics = OtherTopics(kb, norm, ours)
        self._content_cache = lru_cache(maxsize=512)(self._content_chars_uncached)
        # each text as a tuple of interned characters: the vectors keep one string per distinct
        # character, not one per character of every paraphrase (~20 MB at 10 000 entries)
        self._answers = [(norm(it.entry.answer),) for it in self._items]
        self._tfidf = CharTfidf([tuple(tuple(map(sys.intern, t)) for t in (*it.texts, *it.keywords))
                                 for it in self._items], self._answers)
        weights = getattr(kb, "answer_policy", None)
        self._model = (AnswerModel(weights) if weights is not None and len(weights.weights) == len(FEATURES)
                       and weights.features == list(FEATURES) else None)
        rerank = getattr(kb, "rerank", None)
        self._reranker = (Reranker(rerank) if rerank is not None and rerank.features == list(RERANK_FEATURES)
                          and len(rerank.weights) == len(RERANK_FEATURES) else None)
        self._wording = self.wording(rerank.counts) if self._reranker is not None else None
        # a message is normalised for its FAQ match, the park it names and its command scores: once
        self._normalized = lru_cache(maxsize=1024)(self._normalizer.normalize)
        # within one knowledge version a message's FAQ match is a function of its normalised text and
        # its entities of its text: what many people type (你好, 登记, digits, the common questions,
        # the form's answers read twice) is worked out once. Both only read the knowledge.
        self._matched = lru_cache(maxsize=4096)(self._match_normalized)
        self._extracted = lru_cache(maxsize=4096)(self._extractor.extract)
        model = getattr(kb, "command_model", None)
        # a knowledge value without commands (a bare FAQ set) reads no message as a command
        self.commands = Commands(getattr(kb, "intents", None) or Intents(intents={}), self._normalized,
                                 IntentModel.from_weights(model) if model is not None else None)
        # the inquiry form's readers with the rest of the knowledge version, not on a worker's first form answer
        self.field_readers = FieldReaders(self.vocab, self.entities)

    # ------------------------------------------------------------------ public API
    def normalize(self, text: str) -> str:
        return self._normalized(text)

    def entities(self, text: str) -> dict[str, Any]:
        return dict(self._extracted(text))  # a copy: the cached one stays as extracted (values are flat)

    def read(self, text: str, context: str = "idle", kind: str = "text") -> Reading:
        """Everything understanding says about one message, in its conversation context."""
        talk = kind in ("text", "voice") and bool(text and text.strip())
        if not talk:
            return Reading(text or "", context, None, None, {}, None, {}, False,
                           Match("none", None, [], 0.0, ""), None)
        match = self.match(text)
        asks = self.commands.asks(text)
        intent, scores = self.commands.read(text, context)
        if intent is not None and asks and match.status == "answer" and scores[intent] < OVERRIDE:
            # a question the knowledge answers outright is not a command that only resembles it
            intent = None
        field = self.commands.field_named(text) if intent == "modify" else None
        return Reading(text, context, intent, field, scores, self.commands.digit(text), self.entities(text), asks,
                       match, self.mentions_park(text))

    def entry(self, entry_id: str) -> Entry | None:
        return self._entry_by_id.get(entry_id)

    def match(self, text: str) -> Match:
        norm = self.normalize(text)
        whole, first = self._matched(norm)
        if whole.status == "answer" or self._model is None:
            return whole
        # 「我们是小微企业，有什么扶持」: a preamble dilutes the question it comes with, so the clause
        # that asks is tried alone. It may only confirm the entry the whole message already ranks
        # first (the preamble's own words are context, not a new topic), and only when the model is
        # surer of it; the unanswered-questions log keeps the whole message.
        clause = asking_clause(text, self.commands.question)
        # a question that is about another place (我在苏州工业园区，那边有什么优惠政策) stays held back, whatever
        # its asking clause would say alone
        if clause is None or self.places.about_another_place(norm) or self.other_topics.named(norm):
            return whole
        part, _ = self._matched(self.normalize(clause))
        pick = part.best if part.status == "answer" else (part.suggestions[0] if part.suggestions else None)
        if (part.status != "none" and pick is not None and (part.confidence or 0.0) > (whole.confidence or 0.0)
                and pick.id == first):
            return replace(part, normalized=norm)
        return whole

    def _match_normalized(self, norm: str) -> tuple[Match, str | None]:
        """The decision on a normalised message, and the entry it ranks first (None: no evidence)."""
        ranked = self.rank(norm)
        return self._decide(norm, ranked), (self._items[ranked[0].item].entry.id if ranked else None)

    def mentions_park(self, text: str) -> ParkEntry | None:
        return self.places.park_named(self.normalize(text))

    def conflicts(self, min_gap: float = 0.0) -> list[Conflict]:
        """FAQ paraphrases answered with another entry once left out of their own entry.

        ``min_gap`` keeps only clear steals: the other entry must out-score the paraphrase's
        own entry by at least that much (0 reports every paraphrase sent elsewhere).
        """
        out = []
        for i, item in enumerate(self._items):
            faq = self._faqs.get(item.entry.id)
            if faq is None:
                continue
            for j, question in enumerate(faq.questions):
                # the matcher's own order: the re-ranker never moves a paraphrase written for an entry
                # (verbatim), and its labelled wordings are not what this check is about
                ranked = self.rank(item.texts[j], exclude_doc=self._item_docs[i][j], rerank=False)
                m = self._decide(item.texts[j], ranked=ranked)
                if m.status != "answer" or m.best is None or m.best.id == faq.id:
                    continue
                own = next((s.score for s in ranked if s.item == i), 0.0)
                if m.score - own >= min_gap:
                    out.append(Conflict(faq.id, j, question, m.best.id, round(m.score, 1)))
        return out

    # ------------------------------------------------------------------ scoring
    def _content_chars(self, norm: str) -> list[tuple[float, str, str]]:
        # ranking and the answer model both read it: computed once per message (a small cache per
        # knowledge version, thread-safe in CPython)
        return self._content_cache(norm)

    def _content_chars_uncached(self, norm: str) -> list[tuple[float, str, str]]:
        """``(weight, left bigram, right bigram)`` of each content character of the message.

        Question-frame characters are skipped. A character the knowledge base never uses (首 in
        以色列首都) weighs ``unseen_boost``; one it uses, but never next to these neighbours (号 of
        号码, 星 of 星期), ``unseen_known_char`` of that: everyday words of a new wording are
        weaker evidence of an off-topic message than characters nobody here ever wrote. One inside a
        known bigram weighs the best IDF of those bigrams. A lone character is its own "bigram".
        """
        neutral = set()
        for start, phrase, _ in self._neutral.find(norm):
            neutral.update(range(start, start + len(phrase)))
        idf, out = self._idf, []
        for i in range(len(norm)):
            if i in neutral:
                continue
            left, right = (norm[i - 1:i + 1] if i else ""), norm[i:i + 2]
            known = [idf[g] for g in (left, right) if g in idf]
            if known:
                out.append((max(known), left, right))
            elif self._tfidf.knows(norm[i]):
                out.append((self._idf_known_char, left, right))
            else:
                out.append((self._idf_unseen, left, right))
        # each neighbour as what to look for in an entry's bigrams (entries.bigram_text: a string or a set
        # of probes); a pair of a normalised text is its own probe, only the message's two ends are not pairs
        return [(w, left if len(left) == 2 else probe(left), right if len(right) == 2 else probe(right))
                for w, left, right in out]

    def _keyword_cover(self, norm: str, hits: list, item: int) -> float:
        covered: set[int] = set()
        for start, phrase, owners in hits:
            if item in owners:
                covered.update(range(start, start + len(phrase)))
        return len(covered) / len(norm)

    def _score(self, norm: str, content: list[tuple[float, str, str]], message: dict[str, float], i: int,
               keys: float, exclude_doc: int | None) -> Scored:
        item, p = self._items[i], self.policy
        own = item.own
        ratio = 0.0
        if exclude_doc is None or exclude_doc not in self._item_docs[i]:
            # the closest paraphrase in one call: the common case, on every message
            best = fuzz_best(norm, item.texts, scorer=fuzz.ratio, processor=None)
            ratio = best[1] if best else 0.0
            cos = None  # the rank's fusion computes it, for the front runners only
        else:
            kept = [t for d, t in zip(self._item_docs[i], item.texts) if d != exclude_doc]
            # leave-one-out: also forget the words and characters only that paraphrase brought
            own = bigram_text((*kept, *item.keywords))
            cos = self._tfidf.cosine_with(message, (*kept, *item.keywords), self._answers[i])
            ratio = max((fuzz.ratio(norm, t, processor=None) for t in kept), default=0.0)
        own_share, told_share = self._char_cover(content, own, item.told)
        base = 100 * (p.w_own * own_share + p.w_told * told_share + p.w_keys * keys) + p.w_ratio * ratio
        if cos is None:
            return Scored(i, base, ratio, own_share, told_share, keys, -1.0)
        return Scored(i, (1 - p.w_cos) * base + p.w_cos * 100 * cos, ratio, own_share, told_share, keys, cos)

    @staticmethod
    def _char_cover(content: list[tuple[float, str, str]], own: str | frozenset, told: str | frozenset) -> tuple[float, float]:
        """Weighted shares of content characters in a bigram of the entry's wording / answer."""
        total = in_own = in_told = 0.0
        for w, left, right in content:
            total += w
            if left in own or right in own:
                in_own += w
                in_told += w
            elif left in told or right in told:
                in_told += w
        return (in_own / total, in_told / total) if total else (0.0, 0.0)

    def _candidates(self, norm: str, hits: list, exclude_doc: int | None) -> list[int]:
        """Entries worth scoring: those of the best bigram-index paraphrases, then keyword owners.

        A keyword many entries share (介绍) adds no candidates of its own; it only counts
        for entries already found. Both lists are capped, so scoring cost does not grow with
        the knowledge base.
        """
        p = self.policy
        found: dict[int, None] = {}
        for doc, _ in self._index.candidates(grams(norm), p.candidates):
            if doc != exclude_doc:
                found.setdefault(self._doc_item[doc], None)
        out = list(found)[:p.max_entries]
        by_keyword: dict[int, int] = {}
        for _, phrase, owners in hits:
            if len(owners) <= p.keyword_fanout:
                for owner in owners:
                    if owner not in found:
                        by_keyword[owner] = by_keyword.get(owner, 0) + len(phrase)
        out += sorted(by_keyword, key=by_keyword.__getitem__, reverse=True)[:p.max_keyword_entries]
        return out

    def rank(self, norm: str, exclude_doc: int | None = None, rerank: bool = True,
             forget: tuple[str, dict[str, int]] | None = None) -> list[Scored]:
        """Candidate entries scored, best first (the front runners in the re-ranker's order).

        ``forget``: (entry id, bigram counts) of a labelled message that is in the re-ranker's counts,
        taken out of them while it is ranked (fitting reads it as it would an unseen message)."""
        if not norm:
            return []
        hits = self._keywords.find(norm)
        content = self._content_chars(norm)
        message = self._tfidf.message(norm)
        scored = [self._score(norm, content, message, i, self._keyword_cover(norm, hits, i), exclude_doc)
                  for i in self._candidates(norm, hits, exclude_doc)]
        # the cosine for the entries the other evidence puts in front (where the order matters and a
        # few points move one past another), not for every candidate: its cost stays flat; the rest
        # keep their share of the score without it
        p, tfidf = self.policy, self._tfidf
        scored.sort(key=lambda s: s.score, reverse=True)
        for rank, s in enumerate(scored):
            if s.cos < 0:  # not yet fused (a left-out paraphrase's entry already is)
                s.cos = tfidf.cosine(message, s.item) if rank < p.fuse_top else 0.0
                s.score = (1 - p.w_cos) * s.score + p.w_cos * 100 * s.cos
        scored.sort(key=lambda s: s.score, reverse=True)
        if rerank and self._reranker is not None and len(scored) > 1 and scored[0].ratio < p.verbatim:
            top = scored[:RERANK_TOP]
            order = self._reranker.order(self.rerank_rows(norm, top, exclude_doc, hits, forget))
            scored[:len(top)] = [top[j] for j in order]
        return scored

    def wording(self, counts: dict[str, dict[str, int]]) -> Wording:
        """Each entry's bigram evidence: its own wording, and ``counts`` (entry id -> bigram -> times asked)."""
        sizes = [len(frozenset().union(*map(grams, (*it.texts, *it.keywords)))) for it in self._items]
        return Wording([it.own for it in self._items], sizes, [counts.get(it.entry.id, {}) for it in self._items])

    def rerank_rows(self, norm: str, top: list[Scored], exclude_doc: int | None = None,
                    hits: list | None = None, forget: tuple[str, dict[str, int]] | None = None) -> list[list[float]]:
        """The re-ranker's feature rows for the front runners ``top`` (bot/nlu/rerank.py); ``forget``:
        (entry id, bigram counts) of a labelled message taken out of that entry's counts."""
        if hits is None:
            hits = self._keywords.find(norm)
        owns = [] if exclude_doc is not None else [self._items[s.item].own for s in top]
        for s in top if exclude_doc is not None else ():
            item = self._items[s.item]
            if exclude_doc is not None and exclude_doc in self._item_docs[s.item]:
                # leave-one-out: the paraphrase left out brings none of its bigrams
                kept = [t for d, t in zip(self._item_docs[s.item], item.texts) if d != exclude_doc]
                owns.append(bigram_text((*kept, *item.keywords)))
            else:
                owns.append(item.own)
        pairs = [(g, probe(g)) for g in sorted(grams(norm))]
        index = {it.entry.id: i for i, it in enumerate(self._items)} if forget is not None else {}
        forgot = (index[forget[0]], forget[1]) if forget is not None and forget[0] in index else None
        if self._wording is None:
            self._wording = self.wording({})
        evidence = self._wording.evidence(pairs, [s.item for s in top], owns, forgot)
        return candidate_features(norm, self._content_chars(norm), hits, top, owns,
                                  [self._items[s.item].told for s in top], evidence)

    def features(self, norm: str, ranked: list[Scored]) -> list[float]:
        """The answer model's inputs for the best of ``ranked`` (see bot/nlu/policy.py)."""
        runner = ranked[1] if len(ranked) > 1 else None
        cos_best = ranked[0].cos
        cos_runner = max((s.cos for s in ranked[1:3]), default=0.0)
        rule = {"answer": 1.0, "suggest": 0.5}.get(self._decide_by_rule(norm, ranked).status, 0.0)
        content = self._content_chars(norm)
        total = sum(w for w, _, _ in content)
        unseen = sum(w for w, _, _ in content if w == self._idf_unseen) / total if total else 0.0
        elsewhere = 1.0 if self.places.names_elsewhere(norm) else 0.0
        item = self._items[ranked[0].item]
        # characters the best entry can say nothing about (出生 in 爱因斯坦是哪一年出生的)
        unexplained = sum(1 for _, left, right in content
                          if not (left in item.own or right in item.own or left in item.told or right in item.told))
        return features(norm, ranked[0], runner, cos_best, cos_runner, self.policy.short, unseen, rule, elsewhere,
                        unexplained)

    def _decide(self, norm: str, ranked: list[Scored] | None = None) -> Match:
        if ranked is None:
            ranked = self.rank(norm)
        if not ranked:
            return Match("none", None, [], 0.0, norm)
        if self._model is not None:
            return self._decide_by_model(norm, ranked)
        return self._decide_by_rule(norm, ranked)

    def _decide_by_rule(self, norm: str, ranked: list[Scored]) -> Match:
        """The hand-set rule: enough score, a margin over the runner-up, and enough of the message explained."""
        p = self.policy
        best = ranked[0]
        runner = ranked[1].score if len(ranked) > 1 else 0.0
        evidence = best.told >= p.min_told or best.ratio >= p.verbatim
        # 「以色列」 is as close to 「以色列餐厅」 as to every other entry about Israel: a short
        # message's character ratio favours the shortest paraphrase, not the right entry
        topic = len(norm) <= p.short and not best.keys
        margin = p.short_margin if topic else p.margin
        if best.score >= p.answer_at and best.score - runner >= margin and evidence:
            return Match("answer", self._items[best.item].entry, [], best.score, norm)
        if best.score >= p.suggest_at and (evidence or best.told >= p.min_told / 2):
            floor = max(p.suggest_at, best.score - (p.short_margin if topic else p.suggest_spread))
            top = [self._items[s.item].entry for s in ranked[:3] if s.score >= floor]
            return Match("suggest", None, top, best.score, norm)
        return Match("none", None, [], best.score, norm)

    def _decide_by_model(self, norm: str, ranked: list[Scored]) -> Match:
        p, model, best = self.policy, self._model, ranked[0]
        runner = ranked[1].score if len(ranked) > 1 else 0.0
        confidence = model.probability(self.features(norm, ranked))
        # a message that is one of the entry's paraphrases, give or take a character, or wholly one
        # of its keywords (园区有多大), is answered: an admin wrote those words for that entry
        verbatim = (best.ratio >= p.verbatim or best.keys >= 0.999) and best.score > runner
        # a question about another city or park (济南高新区…), or on another subject that only shares a name
        # or a word with an entry (爱因斯坦的相对论), is not answered with ours, at most suggested
        elsewhere = self.places.about_another_place(norm) or self.other_topics.named(norm)
        if (confidence >= model.answer_at or verbatim) and not elsewhere:
            return Match("answer", self._items[best.item].entry, [], best.score, norm, confidence)
        # a bare topic word (以色列) is as close to every entry about it: the model, trained on
        # sentences, has little to go on, so the hand-set rule's suggestions stand
        topic = len(norm) <= p.short and not best.keys
        if confidence >= model.suggest_at or (topic and self._decide_by_rule(norm, ranked).status == "suggest"):
            floor = best.score - (p.short_margin if topic else p.suggest_spread)
            top = [self._items[s.item].entry for s in ranked[:3] if s.score >= floor]
            return Match("suggest", None, top, best.score, norm, confidence)
        return Match("none", None, [], best.score, norm, confidence)
