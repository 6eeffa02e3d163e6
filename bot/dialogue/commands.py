"""Recognising the bot's commands (登记, 取消, 确认, 人工...) from ``knowledge/intents.yaml``.

Commands are matched on a light clean-up of the message, not the matcher's full
normalisation: synonym folding is for questions, and would blur words like 确认/确定.
"""
from __future__ import annotations

import re
from functools import lru_cache

from ..knowledge.schema import Intents
from ..nlu.normalize import surface

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
_TRAILING = re.compile(r"(?:一下|下|吧|啊|呀|呢|哦|嘛|了|哈|啦|的|么)+$")
_LEADING = re.compile(r"^(?:嗯+|那个|请|麻烦|帮我|我想|我要)?")


@lru_cache(maxsize=4096)
def clean(text: str) -> str:
    """The matcher's surface form (width, script, case) without spaces and punctuation."""
    return _NOISE.sub("", surface(text))


@lru_cache(maxsize=4096)
def bare(text: str) -> str:
    """``clean`` without polite particles at the ends, for whole-message commands."""
    cleaned = clean(text)
    stripped = _TRAILING.sub("", cleaned)
    return stripped or cleaned


class Commands:
    def __init__(self, intents: Intents):
        self._exact = {name: {clean(p) for p in phrases.exact} for name, phrases in intents.intents.items()}
        self._contains = {name: [clean(p) for p in phrases.contains if clean(p)]
                          for name, phrases in intents.intents.items()}
        self._fields = {slot: [clean(w) for w in words] for slot, words in intents.fields.items()}

    def is_(self, name: str, text: str) -> bool:
        cleaned = clean(text)
        if not cleaned:
            return False
        exact = self._exact.get(name, ())
        if cleaned in exact or bare(text) in exact or _LEADING.sub("", bare(text)) in exact:
            return True
        return any(p in cleaned for p in self._contains.get(name, ()))

    def _field_word(self, cleaned: str) -> tuple[str, int, int] | None:
        """The longest field word in ``cleaned``: (field, where, length)."""
        best = None
        for slot, words in self._fields.items():
            for word in words:
                at = cleaned.find(word)
                if at >= 0 and (best is None or len(word) > best[2]):
                    best = (slot, at, len(word))
        return best

    def field_named(self, text: str) -> str | None:
        """Which form field ``修改手机号`` / ``改一下公司`` names, if any."""
        found = self._field_word(clean(text))
        return found[0] if found else None

    def after_field(self, text: str) -> str:
        """What follows the field word in 「公司改成蓝海科技」: the new value, if one was given."""
        cleaned = clean(text)
        found = self._field_word(cleaned)
        rest = cleaned[found[1] + found[2]:] if found else cleaned
        for phrase in self._contains.get("modify", ()):
            rest = rest.replace(phrase, "")
        return _TRAILING.sub("", rest.lstrip("是为成"))

    def digit(self, text: str) -> int | None:
        cleaned = clean(text)
        return int(cleaned) if cleaned.isdigit() and len(cleaned) <= 2 else None
