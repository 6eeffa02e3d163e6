"""The per-user conversation document: every key the dialogue keeps about a user, in one place.

Stored as one JSON object per user (bot/store/session.py; in memory: bot/store/memory.py). A key at
its default is left out of the stored object, so a new conversation costs a few bytes, and a
document stored before a key existed reads as that key's default. Keys the document no longer has
are dropped when it is read. The document is validated once, when a message's turn reads it, and
written once when the turn ends; handlers change attributes in between without re-validation.
"""
from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

log = logging.getLogger(__name__)


class ConversationState(BaseModel):
    model_config = ConfigDict(extra="ignore")

    state: str = "idle"  # a dialogue State's value; "form:<field>" from when each field had its own state
    turn: int = 0  # messages answered in this conversation; 0: none yet (new, or expired)
    since: int | None = None  # when the conversation began (unix s): a lead keeps the transcript from here
    last_seen: float | None = None  # when the user last wrote
    seen: dict[str, Any] = Field(default_factory=dict)  # entities heard outside the form, to prefill it
    choices: list[dict[str, Any]] = Field(default_factory=list)  # the numbered list a digit picks from
    choices_turn: int | None = None  # the turn whose reply showed ``choices``
    viewed: list[str] = Field(default_factory=list)  # listings whose details were shown, newest last (10)
    viewed_turn: int | None = None  # the turn that showed the last of them
    search: dict[str, Any] | None = None  # the last search: filters, offset, the ids found (and km)
    invited: bool = False  # the invitation to 登记 was said once after an answer
    form: dict[str, Any] | None = None  # the open inquiry form (bot/dialogue/form.py): slots, asking, …

    def document(self) -> dict[str, Any]:
        """The object as stored: keys at their default left out (an all-default state is empty)."""
        return self.model_dump(exclude_defaults=True)

    def to_json(self) -> str:
        """The stored JSON; an empty string for an all-default state (the store deletes it)."""
        raw = self.model_dump_json(exclude_defaults=True)
        return "" if raw == "{}" else raw


def from_json(raw: str | bytes | None) -> ConversationState:
    """The stored document; a corrupt one (not JSON, not an object, a key of the wrong type) is a
    fresh start rather than a failure on every message of that user until it expires."""
    if not raw:
        return ConversationState()
    try:
        return ConversationState.model_validate_json(raw)
    except ValidationError as exc:
        log.warning("a stored conversation did not read (%s): starting afresh", exc.errors()[0]["type"])
        return ConversationState()


def from_document(value: ConversationState | dict[str, Any] | None) -> ConversationState:
    """A document given as a dict (tests, tools) checked as a stored one would be."""
    if isinstance(value, ConversationState):
        return value
    return ConversationState.model_validate(value or {})
