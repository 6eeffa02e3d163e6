"""What a negation in a message reaches: whether an intent's words are said or negated (「别让人给我打电话」
「这间不太合适」「暂时不需要派人跟我联系」), and what the message says besides the intent it negates.

Asked only of a reading that a negation can turn (command_rules.NEGATABLE) and at the offer to resume a
form; commands.py applies it. Each clause is scanned once for the command words (the commands' phrase
index) and its negations (command_shapes).
"""
from __future__ import annotations

import re
from typing import Iterable

from .command_rules import ACCEPT, NEGATABLE, NEGATIVE, SAID_NEGATIVELY
from .command_shapes import CLAUSE_SPLIT, NEGATION, allowed, in_reach, negation_heads
from .command_text import clean
from .index import PhraseIndex
from .normalize import surface


class Negations:
    def __init__(self, spotter: PhraseIndex, exact: dict[str, set[str]], not_negating: Iterable[str]):
        self._spotter = spotter  # every intent's words, owned by ("word", intent) (commands.py)
        self._exact = exact
        self._not_negating = tuple(not_negating)  # intents.yaml words: not_negating (「差不多」)

    def how(self, name: str, text: str) -> str:
        """How a message says the intent's words: "said", "negated" (every one in the reach of a negation
        of its clause, or the subject of one that is: 「这间」 in 「这间不太合适」) or "absent". The words of
        cancel, deny and skip, 不提交, are negations themselves and say what they say."""
        if clean(text) in self._exact[name]:
            return "said"
        negated = False
        for clause in _clauses(text):
            found = self._spotter.find(clause)
            heads = negation_heads(clause, self._evaluations(clause, found))
            flags = [in_reach(clause, at, heads) or not allowed(clause, at, word)
                     or bool(_DECLINED_AFTER.match(clause, at + len(word)))
                     for at, word in sorted((at, word) for at, word, owners in found if ("word", name) in owners)]
            for i, flag in enumerate(flags):
                if not flag and not any(flags[i + 1:]):
                    return "said"
            negated = negated or any(flags)
        return "negated" if negated else "absent"

    def negated(self, name: str, text: str) -> bool:
        """「别提交」「没想登记」「暂时不需要派人跟我联系」: the intent's words negated and none said; a reading
        with none of its words (the model's) is negated when the message is one clause that negates
        something, unless the intent is often said with a negation (SAID_NEGATIVELY)."""
        how = self.how(name, text)
        if how != "absent" or name in SAID_NEGATIVELY:
            return how == "negated"
        clauses = _clauses(text)
        return len(clauses) == 1 and bool(negation_heads(clauses[0],
                                                         self._evaluations(clauses[0], self._spotter.find(clauses[0]))))

    def besides(self, negated: str, text: str, scores: dict[str, float]) -> str | None:
        """What a message says besides the intent it negates (「不要转人工,直接提交」 submits): the best other
        reading at ACCEPT, not a negation's (the negation was about the other intent) nor negated itself."""
        rest = [n for n, v in scores.items() if v >= ACCEPT and n != negated and n not in NEGATIVE
                and not (n in NEGATABLE and self.negated(n, text))]
        return max(rest, key=scores.__getitem__) if rest else None

    def _evaluations(self, clause: str, found) -> list[int]:
        """Where a 不 or 没 of a clause is no negation: at the start of a command word that says how things
        are (「没问题」「不错」; a negation's own words, 不用, 不填, do negate) or inside a word of
        ``not_negating`` (「差不多」「不好意思」)."""
        out = [at for at, word, owners in found
               if word[0] in NEGATION and any(r == "word" and n not in NEGATIVE for r, n in owners)]
        for word in self._not_negating:
            at = clause.find(word)
            while at >= 0:
                out += [at + k for k, ch in enumerate(word) if ch in NEGATION]
                at = clause.find(word, at + 1)
        return out


# 「人工就先不用了」「登记暂时不需要」: the command's words said first, as what the rest of the clause declines
_DECLINED_AFTER = re.compile(r"(?:就|先|也|都|还是|暂时|暂且|目前|现在|这次)*(?:不用|不要|不需要|没必要|不必|免了|算了)"
                             r"(?:了|吧|啦|哈|啊|呀|哦)*$")


def _clauses(text: str) -> list[str]:
    return [c for c in (clean(p) for p in CLAUSE_SPLIT.split(surface(text))) if c]
