"""The forms of a message commands are read in: without spaces and punctuation (``clean``), without
polite particles at the ends (``bare``), and the context row a conversation context is weighed by.
"""
from __future__ import annotations

import re
from functools import lru_cache

from .normalize import surface

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

