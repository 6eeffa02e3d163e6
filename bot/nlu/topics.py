"""What a question is about, so that a follow-up which leaves it out can be read with it.

「国际客厅是干嘛的」 then 「它在哪」: people drop the subject they just named, or say 它/那里
instead. The subjects are the parks (``parks.yaml``, every name and alias) and the other things
``entities.yaml`` ``subjects`` lists (the hall, a company, the zone); the pronouns that stand for
them are ``entities.yaml`` ``pronouns``. Pure functions of the knowledge and the text: the
conversation keeps the subject (bot/dialogue/answers.py), this module only reads.
"""
from __future__ import annotations

import re
import weakref
from typing import Any

from .commands import clean
from .index import PhraseIndex
from .normalize import alternation, surface

# a follow-up is short: 「它在哪」「那有多大面积」「里面能吃饭吗」; a long message is a question of its own
FOLLOW_UP_CHARS = 12


class Subjects:
    """The subjects one knowledge version knows, by every name they are called."""

    def __init__(self, vocab: Any, parks: list[Any]):
        names: list[tuple[str, str]] = []
        for park in parks:
            names += [(surface(n), park.name) for n in park.names]
        for canon, aliases in (getattr(vocab, "subjects", None) or {}).items():
            names += [(surface(n), canon) for n in (canon, *aliases)]
        self._names: PhraseIndex[str] = PhraseIndex((n, canon) for n, canon in names if n)
        pronouns = [surface(p) for p in (getattr(vocab, "pronouns", None) or []) if p]
        self._pronoun = re.compile(alternation(pronouns)) if pronouns else None

    def named(self, text: str) -> str | None:
        """The subject ``text`` names (the longest name, the first one when several), by its canonical name."""
        hits = self._names.find(surface(text))
        return min(hits[0][2]) if hits else None

    def is_follow_up(self, text: str) -> bool:
        """Short and naming no subject: 「它在哪」「有多大」「营收多少」."""
        bare = clean(text)
        return 0 < len(bare) <= FOLLOW_UP_CHARS and self.named(text) is None

    def with_subject(self, text: str, subject: str) -> str:
        """「它在哪」 about 工研院 → 「工研院在哪」: the pronoun replaced, or the subject put in front."""
        s = surface(text).strip()
        if self._pronoun is not None:
            s = self._pronoun.sub("", s)
        return subject + s


_BUILT: "weakref.WeakKeyDictionary[Any, Subjects]" = weakref.WeakKeyDictionary()


def subjects_of(nlu: Any, parks: list[Any]) -> Subjects:
    """The Subjects of one knowledge version's understanding, built once and dropped with it."""
    built = _BUILT.get(nlu)
    if built is None:
        built = _BUILT[nlu] = Subjects(nlu.vocab, parks)
    return built
