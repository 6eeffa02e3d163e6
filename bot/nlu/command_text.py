"""The forms of a message commands are read in: without spaces and punctuation (``clean``), without
polite particles at the ends (``bare``), and the context row a conversation context is weighed by.
"""
from __future__ import annotations

import re
from functools import lru_cache

from .normalize import surface
from .numbers import picked_number

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
TRAILING = re.compile(r"(?:一下|下|吧|啊|呀|呢|哦|嘛|了|哈|啦|的|么)+$")
LEADING = re.compile(r"^(?:嗯+|那个|请|麻烦|帮我|我想|我要)?")


@lru_cache(maxsize=4096)
def clean(text: str) -> str:
    """The matcher's surface form (width, script, case) without spaces and punctuation."""
    return _NOISE.sub("", surface(text))


@lru_cache(maxsize=4096)
def bare(text: str) -> str:
    """``clean`` without polite particles at the ends, for whole-message commands."""
    cleaned = clean(text)
    stripped = TRAILING.sub("", cleaned)
    return stripped or cleaned


def context_row(context: str) -> str:
    return context.split(":", 1)[0]



# 「第二个带装修吗」「二号那个可以养殖吗」「第3套在哪」: a message that begins by naming an item of a list
# (「第一次」「1号楼」 name no item: the ordinal needs its measure word, the number its 那个)
_ITEM = re.compile(r"(?:那个|这个|那|就)?(?:第(?:\d{1,2}|十[一二三四五六七八九]|[一二三四五六七八九十])(?:个|套|家|条|项|号|间|处)"
                   r"|(?:\d{1,2}|[一二三四五六七八九])号(?:那个|那套|那间|那家|那处))")


@lru_cache(maxsize=4096)
def item_named(cleaned: str) -> int | None:
    """The list item a message begins with and goes on about (``cleaned`` as ``clean`` makes it): 2 for
    「第二个带装修吗」; None when it names none, or is nothing but the pick (「第二个」 picks it: numbers.py)."""
    m = _ITEM.match(cleaned)
    if m is None or m.end() == len(cleaned):
        return None
    return picked_number(m.group(0).removeprefix("那个").removeprefix("这个").removeprefix("那").removeprefix("就")
                         .removesuffix("那个").removesuffix("那套").removesuffix("那间").removesuffix("那家")
                         .removesuffix("那处"))


# 「税收这个能不写吗」「可以不留电话吗」: asking whether a question may be left unanswered (may one not …?)
_MAY_NOT = re.compile(r"(?:能|可以|可不可以|能不能|行)不(?:填|写|答|说|留|给|提供|透露|回答)")


def asks_may_not(cleaned: str) -> bool:
    """Whether a message (``clean``) asks if something may be left out, rather than leaving it out."""
    return bool(_MAY_NOT.search(cleaned))
