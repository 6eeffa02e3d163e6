"""What a stored conversation document reads as, and what it is written back as.

A document stored by earlier code reads as every key it has, the rest at their defaults — inside the
open form and the last search too; written back, every key at its default is left out, at every level.
"""
from __future__ import annotations

from typing import Any

from bot.store.conversation_state import ConversationState, InquiryForm, LastSearch

_PARTS = {"form": InquiryForm(id="-").model_dump(), "search": LastSearch().model_dump()}


def read_as(doc: dict[str, Any]) -> dict[str, Any]:
    """``ConversationState.model_dump()`` of the document ``doc`` once it is read."""
    out = {**ConversationState().model_dump(), **doc}
    for part, defaults in _PARTS.items():
        if doc.get(part) is not None:
            out[part] = {**defaults, **doc[part]}
    return out


def written_as(doc: dict[str, Any]) -> dict[str, Any]:
    """The JSON object stored for the document ``doc``: keys at their default left out, at every level."""
    top = ConversationState().model_dump()
    out = {k: v for k, v in doc.items() if v != top[k]}
    for part, defaults in _PARTS.items():
        if out.get(part) is not None:
            out[part] = {k: v for k, v in out[part].items() if v != defaults[k]}
    return out
