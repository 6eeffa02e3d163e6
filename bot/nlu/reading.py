"""One reading of one message: everything understanding says about it, computed once.

The routing table and the handlers consume this value instead of asking understanding again:
the intent the message means in its conversation context, a picked digit, entities, whether it
asks something, the FAQ match with its calibrated decision, and the park it names.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from bot.knowledge.schema import ParkEntry

from .normalize import surface

# what makes a message a question rather than a value or a command: one list for commands, FAQ
# matching and the inquiry form's answers alike
QUESTION = re.compile(r"[??]|吗|呢|什么|哪|怎么|怎样|多少|多久|几[个家年天]|啥|咋|是不是|有没有|能不能|可不可以|为何|为什么"
                      r"|行不行")


@lru_cache(maxsize=4096)
def asks_question(text: str) -> bool:
    # asked of one message by the command scores, the command model, the fusion and the reading
    return bool(QUESTION.search(surface(text or "")))


# where one clause of a chat message ends and the next begins
_CLAUSES = re.compile(r"[,，。!！?？;；~～\s]+|(?<!\d)\.(?!\d)")


def asking_clause(text: str, min_chars: int = 3) -> str | None:
    """The last clause that asks something, when the message has more than one clause; else None."""
    parts = [p for p in _CLAUSES.split(surface(text or "")) if len(p) >= min_chars]
    if len(parts) < 2:
        return None
    asking = [p for p in parts if QUESTION.search(p)]
    return asking[-1] if asking else None


@dataclass(frozen=True)
class Reading:
    text: str
    context: str  # idle / prompt:<field> / confirm / listing_details / list_shown / resume
    intent: str | None  # the command meant here, or None
    field: str | None  # the form field a 修改 names
    scores: dict[str, float]  # weighted score of each plausible intent
    digit: int | None
    entities: dict[str, Any]
    asks: bool
    match: Any  # Match: answer / suggest / none, by the calibrated policy
    park: ParkEntry | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def is_(self, intent: str) -> bool:
        return self.intent == intent
