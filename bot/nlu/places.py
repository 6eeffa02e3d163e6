"""Where a message is about: one of our parks, another city or park, or this office itself.

Built from the knowledge (parks.yaml names, synonyms.yaml ``elsewhere``, ``other_parks`` and
``to_us``) once per knowledge version; afterwards only read. Messages arrive normalised.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from bot.knowledge.schema import ParkEntry

from .index import PhraseIndex


class Places:
    def __init__(self, kb: Any, norm: Callable[[str], str], ours: str):
        """``ours``: the normalised text of everything the knowledge says (questions, answers,
        summaries): a place it speaks of itself (盐城 in a park's news) is not another place."""
        self._parks: Sequence[ParkEntry] = list(kb.parks)
        self._park_names: PhraseIndex[int] = PhraseIndex(
            (norm(n), i) for i, park in enumerate(self._parks) for n in park.names)
        synonyms = kb.synonyms
        elsewhere, other_parks = getattr(synonyms, "elsewhere", ()), getattr(synonyms, "other_parks", ())
        # the fitted answer model's feature reads the first list only ...
        self._elsewhere: PhraseIndex[bool] = PhraseIndex(
            (n, True) for n in (norm(x) for x in elsewhere) if n and n not in ours)
        # ... holding back an answer reads every place not ours
        self._not_ours: PhraseIndex[bool] = PhraseIndex(
            (n, True) for n in (norm(x) for x in (*elsewhere, *other_parks)) if n and n not in ours)
        # words that address this office (你们, 贵园), found as written in the normalised message
        self._to_us: PhraseIndex[bool] = PhraseIndex((w, True) for w in getattr(synonyms, "to_us", ()))

    def park_named(self, norm: str) -> ParkEntry | None:
        hits = self._park_names.find(norm)
        if not hits:
            return None
        # the longest name wins: 即墨科技创新园 names a park; a shorter alias inside it does not
        _, _, owners = max(hits, key=lambda h: (len(h[1]), -h[0]))
        return self._parks[min(owners)]

    def names_elsewhere(self, norm: str) -> bool:
        """It names another city or country (the answer model's ``elsewhere`` feature)."""
        return bool(self._elsewhere.find(norm))

    def about_another_place(self, norm: str) -> bool:
        """It asks about another city or park, not about ours: at most suggested. One that also
        speaks to us (我们在苏州,你们园区…) still asks about ours."""
        return bool(self._not_ours.find(norm)) and not self._to_us.find(norm)
