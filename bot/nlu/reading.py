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

from bot.knowledge.schema import QUESTION_WORDS, ParkEntry

from .normalize import surface

# what makes a message a question rather than a value or a command is knowledge (intents.yaml
# ``question``): each knowledge version's commands hold its pattern and hand it to whatever reads
# (commands, the command model, FAQ matching), so a version being built or refused never changes
# how the version in use reads; the schema's default serves a reading without knowledge
DEFAULT_QUESTION = re.compile(QUESTION_WORDS)


@lru_cache(maxsize=8192)
def _asks(text: str, pattern: re.Pattern[str]) -> bool:
    return bool(pattern.search(surface(text or "")))


def asks_question(text: str, pattern: re.Pattern[str] = DEFAULT_QUESTION) -> bool:
    """Whether ``text`` asks something by ``pattern`` (asked of one message by the command scores,
    the command model, the fusion and the reading: worked out once)."""
    return _asks(text, pattern)


# where one clause of a chat message ends and the next begins
_CLAUSES = re.compile(r"[,，。!！?？;；~～\s]+|(?<!\d)\.(?!\d)")


def asking_clause(text: str, question: re.Pattern[str] = DEFAULT_QUESTION, min_chars: int = 3) -> str | None:
    """The last clause that asks something (by ``question``), when the message has more than one
    clause; else None."""
    parts = [p for p in _CLAUSES.split(surface(text or "")) if len(p) >= min_chars]
    if len(parts) < 2:
        return None
    asking = [p for p in parts if question.search(p)]
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
