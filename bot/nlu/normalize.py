"""One canonical spelling for a message, so that fuzzy matching compares meaning, not noise.

The same :class:`Normalizer` runs once over every knowledge entry when the knowledge loads and
once over each incoming message; matching then calls rapidfuzz with ``processor=None``.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Iterable, Mapping

# zhconv: pure Python (no native build to break a deploy), a few hundred KB, and its
# dictionary-based conversion is adequate for short chat messages; OpenCC would be more exact
# on long prose but needs a compiled extension.
import zhconv

from bot.knowledge.schema import ParkEntry, Synonyms

_ASCII_WORD = re.compile(r"[a-z0-9]+")


# one message is folded for its reading, its command scores, its match and its entities: the
# conversion (the costliest step) runs once per message, not once per reader
@lru_cache(maxsize=512)
def written(text: str) -> str:
    """Width and script folded, case kept: names are reported in this form (ABC科技)."""
    # zh-cn also maps Taiwan/HK vocabulary (軟體 -> 软件), which users in Qingdao may paste in.
    return zhconv.convert(unicodedata.normalize("NFKC", text or ""), "zh-cn")


def alternation(words: Iterable[str]) -> str:
    """A regex alternation of ``words``, longest first, so the longest word at a place wins."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True) if w)


def starts_with(words: Iterable[str]) -> str:
    """A look-ahead for the characters ``words`` begin with, to put in front of their alternation.

    It changes no match (every word begins with one of them) but the regex engine then tries the
    alternatives only where one can begin, not each of the hundreds at every character: an
    alternation whose first branch is not a plain literal (a look-behind, a group) gets no such
    skip of its own.
    """
    firsts = "".join(sorted({re.escape(w[0]) for w in words if w}))
    return f"(?=[{firsts}])" if firsts else ""


# asked of one message by its reading, its command scores, the command model and entity extraction
@lru_cache(maxsize=1024)
def surface(text: str) -> str:
    """Width, script and case folded, nothing removed: the form entity extraction reads."""
    return written(text).lower()


def _is_kept(ch: str) -> bool:
    # letters (incl. CJK) and digits carry meaning; punctuation, symbols (emoji), spaces and
    # control characters only make two spellings of one question look different.
    cat = unicodedata.category(ch)
    return cat[0] in "LN"


MARKS_KEPT = 16384  # characters whose verdict is kept (the common CJK characters are some 3 500)


class _Marks(dict):
    """``str.translate``'s table for :func:`strip_marks`, filled as characters are met: a character
    not kept maps to None (dropped), a kept one is absent from ``translate``'s point of view by mapping
    to itself. One dict lookup a character in C instead of a Python call of ``unicodedata``."""

    __slots__ = ()

    def __missing__(self, code: int):
        value = code if _is_kept(chr(code)) else None
        if len(self) < MARKS_KEPT:  # bounded: a stream of rare characters cannot grow it without end
            self[code] = value
        return value


_MARKS = _Marks()


def strip_marks(text: str) -> str:
    return text.translate(_MARKS)


class Folder:
    """Replace variants by a canonical word in one left-to-right pass.

    One regex alternation, longest first, so 高新技术产业开发区 wins over 高新 at the same
    position; canonical words (and a ``keep`` list) map to themselves, so a canonical word that
    contains a shorter variant is never rewritten into a longer, corrupted one.
    """

    def __init__(self, mapping: Mapping[str, Iterable[str]], keep: Iterable[str] = (), prepare=surface):
        table: dict[str, str] = {}
        for canonical, variants in mapping.items():
            canon = prepare(canonical)
            if not canon:
                continue
            for variant in variants:
                v = prepare(variant)
                if v and v != canon:
                    table.setdefault(v, canon)
        for word in (*mapping.keys(), *keep):
            w = prepare(word)
            if w:
                table[w] = w
        self._table = table
        if not any(k != v for k, v in table.items()):
            self._pattern = None
            return
        parts = []
        for key in sorted(table, key=lambda k: (-len(k), k)):
            piece = re.escape(key)
            # an ASCII variant ("ai") must not fire inside an ASCII word ("mail")
            if _ASCII_WORD.fullmatch(key):
                piece = rf"(?<![a-z0-9]){piece}(?![a-z0-9])"
            parts.append(piece)
        self._pattern = re.compile(starts_with(table) + "(?:" + "|".join(parts) + ")")

    def __call__(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(lambda m: self._table[m.group(0)], text)


class Normalizer:
    """``Normalizer(synonyms, fillers, particles).normalize(text)``: the matching form of a message.

    Steps: NFKC, traditional -> simplified, lower case, typo folding, synonym folding, filler
    and sentence-final particle removal, then every non letter/digit character dropped.
    Typos fold before synonyms so that a misspelt variant still reaches its canonical word.
    """

    def __init__(
        self,
        synonyms: Synonyms,
        fillers: Iterable[str],
        particles: Iterable[str],
        keep: Iterable[str] = (),
    ):
        keep = tuple(keep)
        # typo folding must not eat a synonym canonical either, hence keep includes them
        self._typos = Folder(synonyms.typos, keep=(*keep, *synonyms.synonyms.keys()))
        self._synonyms = Folder(synonyms.synonyms, keep=keep)
        fill = sorted({surface(f) for f in fillers if f}, key=len, reverse=True)
        self._fillers = re.compile("|".join(map(re.escape, fill))) if fill else None
        parts = "".join(re.escape(surface(p)) for p in particles if len(surface(p)) == 1)
        # a particle only where a clause ends: 有优惠政策吗 / 吗? -- never 吗啡 in mid-sentence
        self._particles = re.compile(rf"[{parts}]+(?=[^\w]|$)") if parts else None

    def fold(self, text: str) -> str:
        """Surface form with typos and synonyms folded but punctuation kept."""
        return self._synonyms(self._typos(surface(text)))

    def fold_typos(self, surfaced: str) -> str:
        """Only typos folded in text already in :func:`surface` form (entity extraction keeps
        the user's own words)."""
        return self._typos(surfaced)

    def normalize(self, text: str) -> str:
        text = self.fold(text)
        if self._fillers is not None:
            text = self._fillers.sub(" ", text)
        if self._particles is not None:
            text = self._particles.sub("", text)
        return strip_marks(text)


_CONNECTORS = ("的", "那个", "这个", "那边的", "这边的")


def _qualified_variants(park: ParkEntry, owner: dict[str, str]) -> list[str]:
    """「即墨的科创园」「即墨那个科创园」 for the alias 即墨科创园, whose tail 科创园 names another park:
    with a word between the place and the tail, the tail alone would fold to that other park."""
    out = []
    for name in park.names:
        for cut in range(2, len(name) - 2):
            head, tail = name[:cut], name[cut:]
            if owner.get(tail) not in (None, park.name):
                out += [head + c + tail for c in _CONNECTORS]
    return out


def with_park_aliases(synonyms: Synonyms, parks: list[ParkEntry]) -> Synonyms:
    """synonyms.yaml plus every park alias folded to the park's name.

    parks.yaml already says 科创园 and SCC青岛科技创新园 are one place; folding them lets a
    question naming the park one way match an FAQ that names it another. Entries written in
    synonyms.yaml win.
    """
    taken = {v for vs in synonyms.synonyms.values() for v in vs} | set(synonyms.synonyms)
    merged = {k: list(v) for k, v in synonyms.synonyms.items()}
    owner = {n: park.name for park in parks for n in park.names}
    for park in parks:
        extra = [a for a in park.aliases if a not in taken and a != park.name]
        extra += [v for v in _qualified_variants(park, owner) if v not in taken and v not in extra]
        if extra:
            merged.setdefault(park.name, []).extend(extra)
            taken.update(extra)
    return Synonyms(synonyms=merged, typos=synonyms.typos)
