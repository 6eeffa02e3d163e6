"""Where a prospect is in the inquiry form, for the per-question funnel on the admin page.

The engine asks :func:`asked_field` before and after each turn and counts the difference in
one place, so the form's states may change shape without the counting following them.
"""
from __future__ import annotations

from ..store.conversation_state import ConversationState
from .states import State

CONFIRM = "confirm"  # the confirmation step counts as the form's last question


def asked_field(data: ConversationState) -> str | None:
    """The question the user is at: a slot name, ``confirm``, or None outside a form.

    A form paused by a long absence (the 继续吗? offer) is still at the question it paused on.
    """
    form = data.form
    if not form:
        return None
    value = data.state
    if value == State.FORM_CONFIRM.value:
        return CONFIRM
    if value == State.FORM_ASKING.value and form.asking:
        return form.asking
    if value.startswith("form:") and value[5:] not in ("asking", "confirm"):
        return value[5:]  # stored when the form had one state per field ("form:phone")
    return form.asked


def count_progress(t, before: str | None, after: str | None) -> None:
    """Count a question reached (once per form) and a form left at the question it was on."""
    funnel = getattr(t.services, "funnel", None) if t.services is not None else None
    if funnel is None or before == after:
        return
    form = t.data.form
    if after is not None and form is not None:
        form.asked = after
        reached = form.reached
        if after not in reached:
            reached.append(after)
            t.counts.append(lambda pipe: funnel.queue_field_hit(pipe, "reached", after))
    if before is not None and after is None and "forms_submitted" not in t.hits:
        t.counts.append(lambda pipe: funnel.queue_field_hit(pipe, "left", before))  # cancelled, dropped, or expired
