"""The bot's commands (登记, 取消, 确认, 人工...) read in the conversation's context.

Commands are knowledge: each intent in ``knowledge/intents.yaml`` has paraphrases matched the
way FAQ questions are (the matcher's normalisation and synonyms, then ``fuzz.ratio``), plus
``exact`` whole-message words and ``contains`` phrases. The same words mean different things in
different places -- 「好的」 at the confirmation submits, at the resume offer continues, elsewhere
it is nothing -- so each context (``contexts`` in intents.yaml) says which intents are plausible
and how strongly, and a message's intent is the best plausible one, weighted, above a floor.
"""
from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Callable

from rapidfuzz import fuzz, process

from ..knowledge.schema import Intents
from .command_clauses import clause_says, other_clause, past_courtesy, stated
from .command_fields import FieldWords, collisions
from .command_negation import Negations
from .command_rules import (ACCEPT, ASKED_FOR, ASKING_INTENTS, CONTAINS, COURTESY, CONTEXTS, COVER_BASE, COVER_SPAN,
                            COVER_TOP, EXACT, EXPLAIN_LEAN, FUSED_ACCEPT, FUZZY_FLOOR, MODEL_NEEDS_WORDS, NEGATABLE,
                            NO_COMMAND, PROMPT_MODEL, QUESTION_INTENTS, QUESTION_MARGIN, RIVALS, RULE_SHARE,
                            WORD_LISTS_ONLY)
from .command_shapes import (CLAUSE_KEEP, CLAUSE_SPLIT, NEGATION, allowed, command_question, company_name,
                             contact_name, correction, offer_pattern, requests)
from .command_text import LEADING, asks_may_not, bare, clean, context_row, item_named
from .index import PhraseIndex
from .intent_model import NONE, IntentModel
from .normalize import Folder, surface
from .numbers import picked_number
from .reading import asks_question

__all__ = ["CONTEXTS", "Commands", "bare", "clean", "context_row"]



class Commands:
    def __init__(self, intents: Intents, normalize: Callable[[str], str] | None = None,
                 model: IntentModel | None = None, fusion: tuple[float, float] = (RULE_SHARE, FUSED_ACCEPT)):
        self._norm = normalize or clean
        self.question = re.compile(intents.question)  # this knowledge's question words (intents.yaml)
        self._asking = command_question(intents.question)  # ... and 「近不近」, for commands
        self.model = model
        self._rule_share, self._fused_accept = fusion
        self._probs = lru_cache(maxsize=2048)(model.probs) if model is not None else None
        self.names = tuple(intents.intents)
        self._signs = str.maketrans({sign: f" {word} " for sign, word in intents.signs.items()})
        self._sign_chars = frozenset(intents.signs)
        self._homophones = Folder(intents.homophones, prepare=clean)
        self._exact = {name: {clean(p) for p in phrases.exact} | {clean(p) for p in phrases.examples}
                       for name, phrases in intents.intents.items()}
        self._contains = {name: [clean(p) for p in phrases.contains if clean(p)]
                          for name, phrases in intents.intents.items()}
        self._fields = FieldWords(intents.fields, self._contains.get("modify", ()))
        self._not_in = {name: [clean(w) for w in phrases.not_in if clean(w)] for name, phrases in intents.intents.items()}
        # every paraphrase in the matcher's form, flat, for one rapidfuzz pass per message
        self._texts: list[str] = []
        self._owner: list[str] = []
        self._negative: list[bool] = []
        for name, phrases in intents.intents.items():
            seen: set[str] = set()
            for x in (*phrases.examples, *phrases.exact):
                p = self._norm(x)
                # a wording normalisation mostly erased (了解这个 -> 了解) is compared as written
                if len(p) * 2 < len(clean(x)):
                    p = clean(x)
                if p and p not in seen:
                    seen.add(p)
                    self._texts.append(p)
                    self._owner.append(name)
                    self._negative.append(bool(NEGATION.intersection(p)))
        # for a message of each length, the paraphrases long or short enough that fuzz.ratio can reach
        # FUZZY_FLOOR at all (at most 200 * the shorter length / both lengths), with their places above:
        # the others are not compared. A message longer than every paraphrase uses the last list.
        longest = max(map(len, self._texts), default=0)
        self._near: list[tuple[list[str], list[int]]] = []
        places = list(range(len(self._texts)))  # one int object per place, shared by the lists
        lengths = [len(p) for p in self._texts]
        for n in range(longest + 2):
            at = [i for i in places if 200 * min(n, lengths[i]) >= (FUZZY_FLOOR - 0.5) * (n + lengths[i])]
            self._near.append(([self._texts[i] for i in at], at))
        self._plausible = {row: dict(weights) for row, weights in intents.contexts.items()}
        # words of each intent, for messages made of several of them (「没问题,提交吧」)
        self._words = {name: sorted(self._exact[name] | set(self._contains[name])
                                    | {clean(k) for k in intents.intents[name].keywords if clean(k)}, key=len, reverse=True)
                       for name in self.names}
        # the form's field names are what is being talked about, not a command: 「不留公司名了」 is 不留
        field_words = {clean(w) for words in intents.fields.values() for w in words}
        self._words_about = {group: [clean(w) for w in words if clean(w)] for group, words in intents.words.items()}
        neutral = {clean(w) for w in intents.neutral if clean(w)} | field_words
        # every intent's words, the neutral words and the longer words that block an intent in one
        # index, owned by (role, intent): a message is scanned once for all of them, not per intent
        self._spotter: PhraseIndex[tuple[str, str]] = PhraseIndex(
            [(w, ("word", name)) for name in self.names for w in self._words[name]]
            + [(w, ("neutral", "")) for w in neutral]
            + [(w, ("not_in", name)) for name in self.names for w in self._not_in[name]])
        self._contains_set = {name: frozenset(words) for name, words in self._contains.items()}
        # whole-message word -> the intents it is wholly (one dict look-up per wording, not a set per intent)
        self._exact_of: dict[str, tuple[str, ...]] = {}
        for name in self.names:
            for w in self._exact[name]:
                self._exact_of[w] = (*self._exact_of.get(w, ()), name)
        self._order = {name: i for i, name in enumerate(self.names)}  # the scores keep the intents' order
        self._negations = Negations(self._spotter, self._exact, self._words_about.get("not_negating", ()))
        # 「有没有仓库」: asking what is on offer, then a property type that ends the message
        self._offer = offer_pattern(*(self._words_about.get(g, []) for g in ("offer", "types", "tail")))
        # the words many people type (登记, 确认, 你好, digits) are scored once per knowledge version,
        # and a message asked about twice (the 「删除我的信息」 check while a person holds the
        # conversation, then its reading) once
        self._scored = lru_cache(maxsize=2048)(self._score_all)

    # ------------------------------------------------------------------ in context
    def scores(self, text: str) -> dict[str, float]:
        """How much ``text`` reads as each intent (0-100), before the context weighs in."""
        return dict(self._scored(text))

    def _score_all(self, text: str) -> dict[str, float]:
        cleaned = clean(text)
        if not cleaned:
            return {}
        out: dict[str, float] = {}
        whole = {cleaned, bare(text), LEADING.sub("", bare(text))}
        half = len(cleaned) // 2
        if half >= 2 and cleaned[:half] == cleaned[half:]:  # 「行啊行啊」「取消取消」: the word said twice
            whole |= {cleaned[:half], bare(cleaned[:half])}
        blocked: set[str] = set()  # intents whose words this message has only inside a longer word (人工智能)
        present: dict[str, set[str]] = {}  # each intent's words in the message
        neutral: set[int] = set()
        long_words: dict[str, set[int]] = {}  # positions inside an intent's words of 2+ characters
        single: dict[str, set[int]] = {}  # ... and inside its one-character words
        for at, word, owners in self._spotter.find(cleaned):
            span = range(at, at + len(word))
            said = allowed(cleaned, at, word)
            into = long_words if len(word) >= 2 else single
            for role, name in owners:
                if role == "word":
                    present.setdefault(name, set()).add(word)
                    if said:
                        into.setdefault(name, set()).update(span)
                elif role == "neutral":
                    neutral.update(span)
                else:
                    blocked.add(name)
        exact_of = self._exact_of
        said = {name for w in whole for name in exact_of.get(w, ())}
        ruled = said | {name for name, words in present.items()
                        if name not in blocked and not self._contains_set[name].isdisjoint(words)}
        # 「这个我不清楚,跳」: one clause of the message is wholly the command
        ruled.update(name for w in self._clauses(text) for name in exact_of.get(w, ()) if name not in COURTESY)
        for name in sorted(ruled, key=self._order.__getitem__):
            out[name] = EXACT if name in said else CONTAINS
        if ("listings" in self._exact and self._offer is not None and self._offer.search(cleaned)
                and not self.mentions("other", text)):
            out["listings"] = EXACT  # asking what is on offer of a type: a search, in any context that lists
        norm = self._norm(text) or cleaned
        if len(norm) * 2 < len(cleaned):  # 「了解了,谢谢」 is not 「了解」
            norm = cleaned
        asks = self.asks(text)
        negative = bool(NEGATION.intersection(norm))
        texts, at = self._near[min(len(norm), len(self._near) - 1)]
        for _, score, j in process.extract(norm, texts, scorer=fuzz.ratio, processor=None,
                                           limit=None, score_cutoff=FUZZY_FLOOR):
            i = at[j]
            if self._negative[i] != negative:  # 「接着填」 is close to 「不接着填了」 in letters only
                continue
            name = self._owner[i]
            if name in blocked:
                continue
            if score > out.get(name, 0.0):
                out[name] = score
        for name in sorted(long_words, key=self._order.__getitem__):
            if out.get(name, 0.0) >= CONTAINS or name in blocked:
                continue
            covered = long_words[name]
            covered = covered | single.get(name, set())
            rest = len(cleaned) - len(neutral - covered)
            share = min(1.0, len(covered) / rest) if rest > 0 else 0.0
            # a statement made partly of an intent's words leans to it; a question must be mostly them
            # (「取消订单怎么操作」 asks about something else)
            score = min(COVER_TOP, COVER_BASE + COVER_SPAN * (share if asks else math.sqrt(share)))
            if score > out.get(name, 0.0):
                out[name] = score
        return out

    @staticmethod
    def _clauses(text: str) -> frozenset[str]:
        """The clauses of a message of several (「不了,谢谢」), each as a whole-message command is read."""
        parts = [p for p in CLAUSE_SPLIT.split(surface(text)) if p]
        if len(parts) < 2:
            return frozenset()
        return frozenset(b for p in parts for b in (clean(p), bare(p)) if b)

    def plausible(self, context: str) -> dict[str, float]:
        return self._plausible.get(context_row(context), {})

    def read(self, text: str, context: str) -> tuple[str | None, dict[str, float]]:
        """The intent ``text`` means in ``context`` (or None), and every plausible intent's weighted score
        (the intent read among them, at ACCEPT at least, however it was read)."""
        intent, scores = self._in_context(text, context)
        if intent is not None and intent not in scores:
            scores = {**scores, intent: ACCEPT}
        return intent, scores

    def _in_context(self, text: str, context: str) -> tuple[str | None, dict[str, float]]:
        text = self.signed(text)
        intent, scores = self._read(text, context)
        if intent == "modify" and self.scores(text).get("restart", 0.0) >= ACCEPT and self.field_named(text) is None:
            # 「全错了,从头来」: an error in no field named, and starting over said: start over
            return "restart", scores
        if intent == "restart" and self.scores(text).get("modify", 0.0) >= ACCEPT and self.field_named(text) is not None:
            return "modify", scores  # 「公司名写错了,重来」: a field named wrong is edited, the rest kept
        if (intent is not None and intent not in ASKING_INTENTS and self.asks_about(text)
                and self.scores(text).get(intent, 0.0) < EXACT and not stated(self, intent, text, context)):
            return None, scores
        if context == "resume" and intent != "affirm" and self._negations.how("restart", text) == "negated":
            return "affirm", scores  # 「不想重新填」「别重来了」 at the offer: the form kept is continued
        if intent in NEGATABLE and self._negations.negated(intent, text):
            besides = self._negations.besides(intent, text, scores)
            if besides is None and context_row(context) in ("confirm", "prompt", "resume"):
                besides = other_clause(self, intent, text, context)  # with a form waiting, not its answer
            return besides, scores
        if (intent == "interest" and self.asks(text) and self.scores(text).get(intent, 0.0) < CONTAINS
                and self.item_named(text) is not None and not stated(self, intent, text, context)):
            return None, scores  # 「第二套离地铁近不近」「二号那个可以养殖吗」 ask about the item they name
        if intent in COURTESY and (said := past_courtesy(self, text, context)) is not None:
            return said, scores  # 「谢谢啊,先下了」: the thanks is said on the way out
        if intent is not None and self._a_value(intent, text, context):
            return None, scores
        if (context == "confirm" and intent == "cancel" and self.scores(text).get(intent, 0.0) < EXACT
                and self.mentions("deferring", text)):
            return None, scores  # 「不要提交,我再想想」: not yet, the filled form is not thrown away
        if intent is None and context == "confirm" and not self.asks(text) and correction(clean(text)):
            return "modify", {**scores, "modify": max(scores.get("modify", 0.0), ACCEPT)}
        if (intent is None and context_row(context) == "prompt" and not self.asks(text)
                and self.mentions("thanking", text) and self.mentions("holding_on", text)):
            return "thanks", scores  # 「谢谢,稍等我查下」: thanked, the answer is still to come
        if intent is None and self._asks_of_field(text, context, scores):
            scores = {**scores, "explain": max(scores.get("explain", 0.0), ACCEPT)}
            return "explain", scores
        if (context_row(context) == "prompt" and intent == "skip" and self.asks(text) and asks_may_not(clean(text))
                and not stated(self, intent, text, context)):
            return "explain", scores  # 「税收这个能不写吗」 asks whether it may be left out: what it is for, and how to
        if context_row(context) == "prompt" and intent == "deny":
            # 「不用了,谢谢」 at a form's question declines the form; 「这项不用了」 only the question asked
            return ("skip" if self.mentions("this_item", text) else "cancel"), scores
        if context_row(context) == "prompt" and (
                (intent == "identity" and not self.asks(text))  # 「人工智能」 answering 用途 is the usage
                or (intent == "thanks" and not self.mentions("thanking", text))):  # 「好的」 is no thanks
            return None, scores
        return intent, scores

    def declines(self, text: str) -> bool:
        """「暂时不需要派人跟我联系」「人工就先不用了」: a message that asks nothing and says no (a ``deny``, 不用,
        不需要) where no offer was made: a person acknowledges it, it is no question left unanswered."""
        text = self.signed(text)
        return not self.asks(text) and self.scores(text).get("deny", 0.0) >= ACCEPT

    def _asks_of_field(self, text: str, context: str, scores: dict[str, float]) -> bool:
        """「行业是指主营业务吗」「为啥一定要手机号」: at a form's question, a question that names the field
        asked, or leans to 什么意思 in words, asks what the question means (a question about something
        else, 「500平的厂房有吗」, names no field and stays a question)."""
        row, _, field = context.partition(":")
        if row != "prompt" or not self.asks(text) or self.asks_about(text):
            return False
        return self.field_named(text) == field or self._scored(text).get("explain", 0.0) >= EXPLAIN_LEAN

    def _a_value(self, name: str, text: str, context: str) -> bool:
        """At the form's company or name question, a name holding a command word is that name:
        「重来餐饮有限公司」 is a company, 「王更正」 a contact (a surname's one character before the word)."""
        row, _, field = context.partition(":")
        if row != "prompt" or name in ("handoff", "forget_me") or self.asks(text):
            return False
        cleaned = bare(text)
        if field == "company":
            return name != "modify" and company_name(text, cleaned, self._words_about.get("company_ends", ()))
        if field == "contact":
            return contact_name(cleaned, [w for at, w, owners in self._spotter.find(cleaned)
                                          if at == 1 and ("word", name) in owners])
        return False

    def signed(self, text: str) -> str:
        """``text`` with the signs people send for a word (👌) written as that word, and command words
        typed with a same-sounding character (在见) written right where the clause is then a command."""
        if text and not self._sign_chars.isdisjoint(text):  # most messages have none: no per-character pass
            text = text.translate(self._signs)
        return self._heard(text) if text else text

    def _heard(self, text: str) -> str:
        """「确人提交」「好的在见」: a clause holding a homophone of a command word (intents.yaml ``homophones``)
        is read with the word folded when it then reads as a command at CONTAINS or better; 「现在见个面」
        only resembles 再见 there and keeps its letters."""
        def best(clause: str) -> float:
            return max(self._scored(clause).values(), default=0.0)

        parts = CLAUSE_KEEP.split(text)
        changed = False
        for i, part in enumerate(parts):
            cleaned = clean(part)
            folded = self._homophones(cleaned)
            if folded != cleaned and (score := best(folded)) >= CONTAINS and score > best(part):
                parts[i], changed = folded, True
        return "".join(parts) if changed else text

    def asks(self, text: str) -> bool:
        """Whether ``text`` asks something, by this knowledge's question words; a polite request
        (「能不能安排人联系我」) asks for something to be done and is none."""
        return asks_question(text, self._asking) and not requests(clean(text))

    def asks_about(self, text: str) -> bool:
        """「转人工以后要等多久」: a question about a command's consequences, cost or requirements
        (``asks_how`` words, 「这间净高有几米」, ask it without a question word)."""
        if self.mentions("asks_how", text) and (self.asks(text) or not self.mentions("not_knowing", text)):
            return True  # 「不知道要多大,先跳过」 says what is not known, it asks nothing
        return self.asks(text) and self.mentions("asks_about", text)

    def _read(self, text: str, context: str) -> tuple[str | None, dict[str, float]]:
        weights = self.plausible(context)
        raw = self._scored(text)
        weighted = {name: score * weights[name] for name, score in raw.items() if weights.get(name, 0) > 0}
        if not weighted and self._probs is None:
            return None, weighted
        # the whole message being one of an intent's words beats resembling another (「重新开始」 is
        # 重新开始, not a greeting that happens to contain 开始)
        exact = [name for name in weighted if raw[name] >= EXACT]
        best = max(exact or weighted, key=lambda n: (weighted[n], weights[n])) if weighted else None
        if best in COURTESY and not exact:
            # 「不需要了,谢谢你们」: the courtesy is said around the command, it is not the message
            said = [n for n in weighted if n not in COURTESY and weighted[n] >= ACCEPT]
            best = max(said, key=lambda n: (weighted[n], weights[n])) if said else best
        ruled = best if best is not None and weighted[best] >= ACCEPT else None
        if self._probs is None or (ruled is not None and raw[ruled] >= CONTAINS and not self._rivalled(ruled, raw, weighted)):
            return ruled, weighted
        return self._fuse(text, context, weights, weighted, ruled)

    @staticmethod
    def _rivalled(ruled: str, raw: dict[str, float], weighted: dict[str, float]) -> bool:
        """Whether the words of an opposite intent (RIVALS) are in the message too (「不填了,全部取消」 is
        跳过 and 取消 in words): then the model weighs in, unless the whole message is the reading's word."""
        return raw[ruled] < EXACT and any(weighted.get(n, 0.0) >= ACCEPT for n in RIVALS.get(ruled, ()))

    def _fuse(self, text: str, context: str, weights: dict[str, float], weighted: dict[str, float],
              ruled: str | None) -> tuple[str | None, dict[str, float]]:
        """The word lists' reading and the model's, weighed together (see RULE_SHARE)."""
        probs = self._probs(text, self.asks(text))
        plausible = {name: probs.get(name, 0.0) * w for name, w in weights.items() if w > 0}
        total = sum(plausible.values()) + NO_COMMAND.get(context_row(context), 1.0) * probs.get(NONE, 0.0)
        if not plausible or total <= 0:
            return ruled, weighted
        share = self._rule_share
        fused = {name: share * weighted.get(name, 0.0) + (1 - share) * 100 * p / total for name, p in plausible.items()}
        best = max(fused, key=lambda n: (fused[n], weights[n]))
        if best != ruled and not self._model_may_read(best, text, context, fused[best]):
            return ruled, fused
        # asking what something means or who answers is no sign of another question (还有吗 may be one)
        accept = self._fused_accept + (QUESTION_MARGIN if self.asks(text) and best not in QUESTION_INTENTS else 0.0)
        if best == ruled and best not in ASKED_FOR and plausible[best] < probs.get(NONE, 0.0):
            # the model reads no command at all (「第二个带装修吗」 asks about a listing): the word lists'
            # reading, only partly made of its words, stands on the fused score alone (see ASKED_FOR)
            return (best if fused[best] >= accept else None), fused
        if best == ruled:
            # the word lists and the model agree: two readings that are each fairly sure are, together,
            # surer than either (「有没有人工」 is a call for a person, not the FAQ entry it resembles)
            doubt = (1 - min(weighted[best], 100.0) / 100) * (1 - plausible[best] / total)
            fused[best] = max(fused[best], weighted[best], 100 * (1 - doubt))
        return (best if fused[best] >= accept or best == ruled else None), fused

    def _model_may_read(self, name: str, text: str, context: str, score: float) -> bool:
        """Whether the model alone, against the word lists, may read ``name`` here (see
        MODEL_NEEDS_WORDS and WORD_LISTS_ONLY)."""
        if name in MODEL_NEEDS_WORDS and not self.mentions(MODEL_NEEDS_WORDS[name], text):
            return False
        cleaned = clean(text)
        if any(w in cleaned for w in self._not_in[name]):  # 「这个房东是谁」: 房东 is not 这个房
            return False
        return (name not in WORD_LISTS_ONLY.get(context_row(context), ())
                or self._prompt_model(name, text, context, score)
                or (context_row(context) == "confirm" and clause_says(self, name, text)))

    def _prompt_model(self, name: str, text: str, context: str, score: float) -> bool:
        """Whether the model alone may read ``name`` at a form's question (see PROMPT_MODEL)."""
        if context_row(context) != "prompt" or name not in PROMPT_MODEL:
            return False
        return score >= PROMPT_MODEL[name] and (name != "explain" or self.asks(text))

    def is_(self, name: str, text: str, context: str = "idle") -> bool:
        return self.read(text, context)[0] == name

    def mentions(self, group: str, text: str) -> bool:
        """Whether ``text`` has one of the ``words`` of ``group`` (intents.yaml), e.g. 附近 for nearby."""
        cleaned = clean(text)
        return any(w in cleaned for w in self._words_about.get(group, ()))

    # ------------------------------------------------------------------ form fields
    def field_named(self, text: str) -> str | None:
        """Which form field ``修改手机号`` / ``手机号错了`` / ``改一下公司`` names, if any."""
        return self._fields.named(text)

    def after_field(self, text: str) -> str:
        """What follows the field word in 「公司改成蓝海科技」: the new value, if one was given."""
        return self._fields.after(text)

    @staticmethod
    def item_named(text: str) -> int | None:
        """The list item a message begins with and says more about (「第二个带装修吗」: 2), or None."""
        return item_named(clean(text))

    @staticmethod
    def digit(text: str) -> int | None:
        """The list item a message picks (「2」「第二个」「我要1号」), or None."""
        return picked_number(clean(text))

    def collisions(self, faq_questions: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
        """Wordings shared by two intents plausible in one context, or with an FAQ question (command_fields)."""
        return collisions(self._exact, self._plausible.values(), faq_questions)
