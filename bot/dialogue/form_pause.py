"""An unfinished form left waiting: dropped quietly after its TTL, offered again after a long pause.

The first three are routes that only move the conversation (``Route.goes_on``): the message is then
read by the routes of the state they went to. The resume offer is tried once the message's own route
has run, when it went back to idle with the form still kept (bot/dialogue/table.py).
"""
from __future__ import annotations

from .states import State
from .turn import Turn


def _idle_for(t: Turn) -> float:
    """Seconds since the form last moved on."""
    updated = t.form.updated
    return t.now - (t.now if updated is None else updated)


def form_gone(t: Turn) -> bool:
    """The state says form or resume offer, but no form is kept (it was dropped or never saved)."""
    return not t.form and (t.state.in_form or t.state is State.RESUME)


def form_expired(t: Turn) -> bool:
    return bool(t.form) and _idle_for(t) > t.form_ttl


def form_paused(t: Turn) -> bool:
    """Filling the form, after a pause long enough that the message may be about something else."""
    return bool(t.form) and t.state.in_form and _idle_for(t) > t.resume_after


def to_idle(t: Turn) -> State:
    return State.IDLE


def expire(t: Turn) -> State:
    t.data.form = None
    return State.IDLE


def pause(t: Turn) -> State:
    """The message is read as if idle; if it leaves the form where it was, the form is offered again."""
    t.form_paused = True
    return State.IDLE


def resume_due(t: Turn) -> bool:
    """After a paused form, the message's route went idle and the form is still kept."""
    return t.form_paused and t.state is State.IDLE and bool(t.form)


def offer_resume(t: Turn) -> State:
    t.say("form_resume_offer")
    return State.RESUME
