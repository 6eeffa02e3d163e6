"""The per-user conversation document: every key the dialogue keeps about a user, in one place.

Stored as one JSON object per user (bot/store/session.py; in memory: bot/store/memory.py). A key at
its default is left out of the stored object, so a new conversation costs a few bytes, and a
document stored before a key existed reads as that key's default. Keys the document no longer has
are dropped when it is read. The document is validated once, when a message's turn reads it, and
written once when the turn ends; handlers change attributes in between without re-validation.

The open inquiry form (:class:`InquiryForm`) and the last search (:class:`LastSearch`) are documents of
their own inside it, kept the same way: every key declared here, defaults left out when stored.
"""
from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

log = logging.getLogger(__name__)


class NeedDraft(BaseModel):
    """Half a need: 「1500平」 without the kind of space, kept until the next answer completes it."""

    model_config = ConfigDict(extra="ignore")

    text: str
    detail: dict[str, Any] = Field(default_factory=dict)


class InquiryForm(BaseModel):
    """The open inquiry form (bot/dialogue/form.py); its fields come from bot/form_spec.py."""

    model_config = ConfigDict(extra="ignore")

    id: str  # the lead's idempotency key: the same form submitted twice keeps one lead number
    slots: dict[str, Any] = Field(default_factory=dict)  # field name → value (None: skipped); need_detail too
    listings: list[str] = Field(default_factory=list)  # listings the form was opened from
    started: float | None = None  # when the form was opened (unix s)
    updated: float | None = None  # when it last moved on: the timeout and the resume offer count from here
    asking: str | None = None  # the field the last question asked for; None at the summary
    follow_up: str | None = None  # "size": the need's size is being asked, once
    size_asked: bool = False
    editing: bool = False  # a field is asked again from the summary: back to the summary after it
    tries: dict[str, int] = Field(default_factory=dict)  # failed answers per field (the second is rephrased)
    draft: NeedDraft | None = None
    asked: str | None = None  # the question the funnel last counted (bot/dialogue/progress.py)
    reached: list[str] = Field(default_factory=list)  # questions this form reached, each counted once


class LastSearch(BaseModel):
    """The last list of listings shown, so 更多 pages on (bot/dialogue/search.py)."""

    model_config = ConfigDict(extra="ignore")

    filters: dict[str, Any] = Field(default_factory=dict)  # what was asked for (type, deal, area, park ...)
    offset: int = 0  # the first listing of the page shown
    ids: list[str] = Field(default_factory=list)  # every listing found, best first
    km: dict[str, float] | None = None  # a search by location: each listing's distance, shown on every page


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
    search: LastSearch | None = None  # the last search: filters, offset, the ids found (and km)
    invited: bool = False  # the invitation to 登记 was said once after an answer
    topic: str | None = None  # what the last answered question was about (国际客厅): 「它在哪」 means it
    topic_turn: int | None = None  # the turn that answered it
    form: InquiryForm | None = None  # the open inquiry form (bot/dialogue/form.py)

    def document(self) -> dict[str, Any]:
        """The object as stored: keys at their default left out (an all-default state is empty)."""
        return self.model_dump(exclude_defaults=True)

    def to_json(self) -> str:
        """The stored JSON; an empty string for an all-default state (the store deletes it).

        ``model_dump_json(exclude_defaults=True)``'s bytes from the model's serializer itself: the
        method's Python around it is a quarter of its cost, and it runs for every message."""
        raw = ConversationState.__pydantic_serializer__.to_json(self, exclude_defaults=True)
        return "" if raw == b"{}" else raw.decode()


def from_json(raw: str | bytes | None) -> ConversationState:
    """The stored document; a corrupt one (not JSON, not an object, a key of the wrong type) is a
    fresh start rather than a failure on every message of that user until it expires."""
    if not raw:
        return ConversationState()
    try:
        return ConversationState.__pydantic_validator__.validate_json(raw)  # model_validate_json, without its wrapper
    except ValidationError as exc:
        log.warning("a stored conversation did not read (%s): starting afresh", exc.errors()[0]["type"])
        return ConversationState()


def from_document(value: ConversationState | dict[str, Any] | None) -> ConversationState:
    """A document given as a dict (tests, tools) checked as a stored one would be."""
    if isinstance(value, ConversationState):
        return value
    return ConversationState.model_validate(value or {})
