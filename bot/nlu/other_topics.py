"""Words of other subjects: a question that uses one is about something the knowledge does not cover.

「爱因斯坦的质能方程怎么理解」 names the exhibition's scientist, and 「全国排名前十的大学有哪些」 the
ranking's words, yet they ask about physics and universities: the entry sharing the name cannot answer
them. synonyms.yaml ``other_topics`` lists such words (相对论, 诺贝尔, 大学, 天气, 股价…); a message
that contains one is not answered, at most the entries are suggested, as for another city or park.
A word the knowledge itself uses (in a question, keyword or answer) never counts, so an admin who adds
an entry about it does not have to remember this list. Built once per knowledge version; only read.
"""
from __future__ import annotations

from typing import Any, Callable

from .index import PhraseIndex


class OtherTopics:
    def __init__(self, kb: Any, norm: Callable[[str], str], ours: str):
        """``ours``: the normalised text of everything the knowledge says."""
        words = getattr(kb.synonyms, "other_topics", ())
        self._words: PhraseIndex[bool] = PhraseIndex(
            (n, True) for n in (norm(w) for w in words) if n and n not in ours)

    def named(self, norm: str) -> bool:
        """Whether the normalised message uses a word of another subject."""
        return bool(self._words.find(norm))
