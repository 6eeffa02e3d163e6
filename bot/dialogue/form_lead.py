"""What a submitted form hands the lead store: the record staff receive, the listings it was about,
the conversation that led to it and where the user came from."""
from __future__ import annotations

import time
from typing import Any

from ..store.conversation_state import InquiryForm
from .form_values import lead_fields
from .origin import lead_origin
from .turn import Turn


def conversation(t: Turn) -> list[dict[str, Any]]:
    """This conversation from the user's first message (the log's cap permitting), with this 确认."""
    from ..store.leads import TRANSCRIPT_LIMIT

    since = t.data.since or 0
    turns = [turn for turn in t.services.storage.transcript(t.incoming.openid, TRANSCRIPT_LIMIT)
             if (turn.get("t") or 0) >= since - 1]
    if t.text:
        turns.append({"t": round(time.time()), "who": "user", "text": t.text})
    return turns[-TRANSCRIPT_LIMIT:]


def lead_of(t: Turn, form: InquiryForm) -> dict[str, Any]:
    """The lead store's ``submit`` arguments beyond the form's id and the user."""
    listings = list(dict.fromkeys(form.listings + t.data.viewed[-5:]))
    fields = lead_fields(t, form.slots, t.spec)
    titles = [t.kb.listing_by_id[x].title for x in listings if x in t.kb.listing_by_id]
    if titles:  # staff read titles, not ids
        fields["listing_titles"] = "、".join(titles)
    return {"fields": fields, "listings": listings, "transcript": conversation(t), **lead_origin(t)}
