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
    if at >= 3 and before == "能" and text[at - 2] == "不" and text[at - 3] == before:
        return True  # 「能不能安排个人」 asks for it politely, it negates nothing (「要不要登记」 is still undecided)
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


# 「能不能安排个招商的跟我对接」「麻烦让负责人联系我」「可否请专人回个电话」: a polite frame (may you, please)
# around a verb that has someone do something for the user: a request, however it ends, not a question
_REQUEST = re.compile(r"^(?:请问|您好|你好|那|那个|嗯|好的)?(?:能不能|能否|可不可以|可否|可以|能|麻烦|劳驾|劳烦|请)"
                      r"(?:请|麻烦|帮忙|您|你|你们)?(?:安排|让|叫|派|请|帮我|给我|替我|找)")


def requests(cleaned: str) -> bool:
    """Whether a message asks someone to do something rather than asks a question (``cleaned`` as
    commands.py ``clean`` makes it)."""
    return bool(_REQUEST.match(cleaned))


# how far back a negation reaches over the words between it and what it negates (「别让人给我打电话」
# 「没打算留电话」「不需要人工服务」), within one clause, and what ends its reach (「不登了转人工」)
NEGATION_REACH = 3
_REACH_ENDS = frozenset("了吧啊呀呢吗嘛哈")


def negation_heads(clause: str, evaluations: Iterable[int] = ()) -> list[int]:
    """Where a clause negates something: each negation character that is not a question's A-not-A
    (「能不能」「是不是」), not the end of the clause (「不了」 says no, it negates nothing after it), and not
    the start of a word that says how things are (``evaluations``: 「没问题」「不错」「不对」)."""
    skip = set(evaluations)
    heads = []
    for i, ch in enumerate(clause):
        if ch not in NEGATION or i in skip:
            continue
        if 0 < i < len(clause) - 1 and clause[i - 1] == clause[i + 1]:
            continue
        if i == len(clause) - 1 or clause[i + 1] in _REACH_ENDS:
            continue
        heads.append(i)
    return heads


def in_reach(clause: str, at: int, heads: Iterable[int]) -> bool:
    """Whether the word at ``at`` of a clause is negated by one of its ``heads`` (negation_heads)."""
    for head in heads:
        if head < at <= head + NEGATION_REACH + 1 and not _REACH_ENDS.intersection(clause[head + 1:at]):
            return True
    return False


# 「离地铁近不近」「带不带办公室」「去没去过」: a verb or adjective said, negated and said again asks whether;
# added to the knowledge's question words when commands are read (and when their model is fitted), not
# where FAQ matching looks for the clause that asks
A_NOT_A = r"(?<![不没])(?P<a_not_a>[^\W\d_不没])[不没](?P=a_not_a)"


def command_question(question: str) -> re.Pattern[str]:
    """The knowledge's question words (intents.yaml ``question``) with A_NOT_A: what asks, for commands."""
    return re.compile(f"(?:{question})|{A_NOT_A}")
