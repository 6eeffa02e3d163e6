"""Shapes of a message that change what its command words mean: negation, clauses, a question about
what is on offer, and a name at the form's question that holds a command word.

Pure functions over a message's clean form (commands.py ``clean``) and the ``words`` of intents.yaml;
commands.py applies them.
"""
from __future__ import annotations

import re
from typing import Iterable

from .normalize import alternation

NEGATION = frozenset("不别没甭勿")
# what may stand between a negation and the word it negates (「不想登记」「别再提交」); 「都不对,重新来」's
# 不 belongs to 不对 and leaves 重新 as it is
_NEGATED_VIA = frozenset("想要用再必太会能")
_CLAUSE_MARK = re.compile(r"[,，。;；!！?？、]")
CLAUSE_SPLIT = re.compile(r"[,，。;；!！?？、~～\s]+")
CLAUSE_KEEP = re.compile(f"({CLAUSE_SPLIT.pattern})")  # the same, the marks kept as parts of their own


def allowed(text: str, at: int, word: str) -> bool:
    """「不提交了」「不想登记」 are not 提交 / 登记: a negated word says the opposite (words that are
    themselves negations, 不填, stay)."""
    if word[0] in NEGATION or at == 0:
        return True
    before = text[at - 1]
    return not (before in NEGATION or (at >= 2 and before in _NEGATED_VIA and text[at - 2] in NEGATION))


def offer_pattern(offers: list[str], types: list[str], tail: list[str]) -> re.Pattern[str] | None:
    """「有没有仓库」「还有没有空着的土地」: asking what is on offer (``offer``), at most three characters,
    then a property type (``types``) that ends the message but for ``tail`` words; None without words."""
    if not offers or not types:
        return None
    return re.compile(f"(?:{alternation(offers)}).{{0,3}}?(?:{alternation(types)})(?:{alternation(tail) or '(?!)'})*$")


def company_name(text: str, cleaned: str, ends: Iterable[str]) -> bool:
    """「重来餐饮有限公司」: one clause, nothing negated, ending in a company's kind (``company_ends``) after
    at least two characters of name (「暂不透露公司」「个人,没有公司」 are no names)."""
    return (not _CLAUSE_MARK.search(text) and not NEGATION.intersection(cleaned)
            and any(cleaned.endswith(w) and len(cleaned) > len(w) + 1 for w in ends))


def contact_name(cleaned: str, words_after_first: Iterable[str]) -> bool:
    """「王更正」: two or three characters, the first (a surname) no negation, the rest wholly a command word."""
    return (2 <= len(cleaned) <= 3 and cleaned[0] not in NEGATION
            and any(len(w) == len(cleaned) - 1 for w in words_after_first))


# 「公司叫海辰,不叫海晨」「要租的不是厂房,是写字楼」: one thing said to be so and another not, in either order
_CORRECTION = re.compile(r"不(?:是|叫|姓).+?(?:是|叫|姓|为)|(?:是|叫|姓).+?不(?:是|叫|姓)")


def correction(cleaned: str) -> bool:
    """Whether a message sets one value against another (「不叫海晨,叫海辰」): at the confirmation step
    that corrects an item. ``cleaned`` as commands.py ``clean`` makes it; a question is no correction."""
    return bool(_CORRECTION.search(cleaned))
