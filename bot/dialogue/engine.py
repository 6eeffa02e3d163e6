"""The dialogue engine: an ``Incoming`` in, a ``Reply`` out. It knows no HTTP and no XML.

One user's messages are handled one at a time (the storage's per-user lock), on the user's
state loaded fresh from the store, so any worker can serve any message and no update is lost.
The storage opens a message's turn and ends it with one write; the engine never talks to Redis.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from .form import heard
from .replies import Incoming, Reply
from .states import State
from .table import route_for
from .turn import Turn

if TYPE_CHECKING:
    from ..store.dedup import Claim


@dataclass
class Services:
    storage: Any  # a StateStorage (bot/store/session.py)
    leads: Any  # LeadStore
    unanswered: Any  # UnansweredLog
    funnel: Any = None  # Funnel: conversation stages for the admin page


class Engine:
    def __init__(self, holder, storage, leads, unanswered, *, form_ttl: int, resume_after: int = 1800,
                 now: Callable[[], float] = time.time, funnel=None):
        self.holder = holder
        self.services = Services(storage, leads, unanswered, funnel)
        self.form_ttl = form_ttl
        self.resume_after = resume_after
        self.now = now

    def handle(self, incoming: Incoming, claim: Claim | None = None) -> Reply:
        """The reply to ``incoming``; with a ``claim``, made once however often the channel delivers it
        (a repeat raises ``AlreadyClaimed``, carrying the first reply once there is one)."""
        storage = self.services.storage
        if incoming.kind == "event" and incoming.event == "unsubscribe":
            storage.erase(incoming.openid)  # leaving the account takes the conversation with it
            return Reply()
        kb, derived = self.holder.snapshot()
        with storage.turn(incoming.openid, claim) as session:
            data = session.state
            t = Turn(kb, derived["nlu"], derived["nlu"].commands, incoming, data, self.now(), self.services)
            if not data.get("turn"):
                t.hit("conversations")  # a user's first message, or the first after the session expired
            data["turn"] = data.get("turn", 0) + 1
            offer_resume = self._pause_or_expire_form(t)
            route = route_for(t)
            next_state = route.run(t)
            if next_state not in route.to:
                raise RuntimeError(f"route {route.name!r} went to {next_state}, not declared in the table")
            if offer_resume and next_state is State.IDLE and t.data.get("form"):
                t.say("form_resume_offer")
                next_state = State.RESUME
            if t.data.pop("erased", False):
                reply = t.reply()
                storage.erase(incoming.openid)
                session.finish({}, reply=reply.to_dict())  # nothing kept but the reply for retries
                return reply
            data["state"] = next_state.value
            if not next_state.in_form and incoming.kind in ("text", "voice"):
                seen = data.setdefault("seen", {})
                seen.update(heard(t.entities))
            data["last_seen"] = t.now
            reply = t.reply()
            said = incoming.text or f"[{incoming.kind}:{incoming.event or incoming.msg_type}]"
            session.finish(data, [("user", said), ("bot", reply.text or (reply.article.title if reply.article else ""))],
                           reply.to_dict())
        return reply

    def _pause_or_expire_form(self, t: Turn) -> bool:
        """An unfinished form: dropped quietly after its TTL; offered again after a long pause."""
        form = t.data.get("form")
        if not form:
            if t.state.in_form or t.state is State.RESUME:
                t.data["state"] = State.IDLE.value
            return False
        idle = t.now - form.get("updated", t.now)
        if idle > self.form_ttl:
            t.data.pop("form", None)
            t.data["state"] = State.IDLE.value
            return False
        if t.state.in_form and idle > self.resume_after:
            t.data["state"] = State.IDLE.value
            return True
        return False
