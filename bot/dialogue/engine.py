"""The dialogue engine: an ``Incoming`` in, a ``Reply`` out. It knows no HTTP and no XML.

One user's messages are handled one at a time (the storage's per-user lock), on the user's
state loaded fresh from the store, so any worker can serve any message and no update is lost.
The storage opens a message's turn and ends it with one write; the engine never talks to Redis.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from ..form_spec import FORM, FormSpec
from .form_reading import heard
from .ports import FunnelCounter, LeadSink, ProfileBook, StateStorage, TakeoverBook, UnansweredLog
from .progress import asked_field, count_progress
from .replies import Incoming, Reply
from .table import step
from .turn import Turn

if TYPE_CHECKING:
    from ..store.dedup import Claim


@dataclass
class Services:
    storage: StateStorage  # the conversation (bot/store/session.py; in memory: bot/store/memory.py)
    leads: LeadSink  # LeadStore
    unanswered: UnansweredLog
    funnel: FunnelCounter | None = None  # conversation stages for the admin page
    profile: ProfileBook | None = None  # the user's last reported location and campaign sources
    takeovers: TakeoverBook | None = None  # whether a person holds the conversation
    staff_channel: Callable[[], str] | None = None  # "ok" | "failing" | "none": can staff be told now?
    admin_link: Callable[[str], str] | None = None  # the conversation's address on the admin page


class Engine:
    def __init__(self, holder, storage: StateStorage, leads: LeadSink, unanswered: UnansweredLog, *, form_ttl: int,
                 resume_after: int = 1800, now: Callable[[], float] = time.time, funnel: FunnelCounter | None = None,
                 profile: ProfileBook | None = None, takeovers: TakeoverBook | None = None,
                 staff_channel: Callable[[], str] | None = None, admin_link: Callable[[str], str] | None = None,
                 form: FormSpec = FORM):
        self.holder = holder
        self.form = form
        self.services = Services(storage, leads, unanswered, funnel, profile, takeovers, staff_channel, admin_link)
        self.form_ttl = form_ttl
        self.resume_after = resume_after
        self.now = now

    def notice(self, incoming: Incoming, effect: str) -> None:
        """A platform notice nobody typed: bookkeeping only. The conversation is not loaded, not
        counted and not changed, and nothing enters the transcript (see bot/web/wxevents.py)."""
        openid = incoming.openid
        if effect == "erase":
            self.services.storage.erase(openid)  # leaving the account takes the conversation with it
        elif effect == "location":
            if incoming.lat is not None and self.services.profile is not None:
                self.services.profile.remember_location(openid, incoming.lat, incoming.lng, self.now(),
                                                        precision=incoming.text)
        elif effect in ("takeover", "release"):
            # WeChat's own customer-service tools opened or closed a session with this user: a person
            # answers there (the bot stays quiet) until the close event hands back. Nothing is sent:
            # WeChat's tools speak for themselves.
            if self.services.takeovers is not None:
                if effect == "takeover":
                    self.services.takeovers.move(openid, "taken", by="kf")
                else:
                    self.services.takeovers.move(openid, "released", by="kf", only_from=("taken", "waiting"))
        else:
            raise ValueError(f"unknown platform effect {effect!r}")

    def handle(self, incoming: Incoming, claim: Claim | None = None, started: float | None = None) -> Reply:
        """The reply to ``incoming``; with a ``claim``, made once however often the channel delivers it
        (a repeat raises ``AlreadyClaimed``, carrying the first reply once there is one). ``started``:
        when the message arrived, which bounds how long its lock can outlive it."""
        storage = self.services.storage
        if incoming.kind == "event" and incoming.event == "unsubscribe":
            self.notice(incoming, "erase")
            return Reply()
        kb, derived = self.holder.snapshot()
        takeovers = self.services.takeovers
        # whether a person holds the conversation is read on the round trip that opens the turn
        ahead = None if takeovers is None else lambda pipe: takeovers.queue_seen(pipe, incoming.openid)
        with storage.turn(incoming.openid, claim, started, ahead=ahead) as session:
            handed_back = self._held_by_a_person(incoming, kb, session.ahead)
            if handed_back is None and incoming.kind in ("text", "voice") \
                    and derived["nlu"].commands.is_("forget_me", incoming.text):
                handed_back = ""  # 「删除我的信息」 is honoured at once, a person or not (it ends the takeover too)
            if handed_back is None:  # a person answers this user: keep what they said, say nothing
                said = [] if incoming.kind == "event" else [("user", self._said(incoming))]
                session.finish(session.state, said, {})
                return Reply()
            before = asked_field(session.state)
            t = Turn(kb, derived["nlu"], derived["nlu"].commands, incoming, session.state, self.now(), self.services,
                     spec=self.form, form_ttl=self.form_ttl, resume_after=self.resume_after)
            if not t.data.turn:
                t.hit("conversations")  # a user's first message, or the first after the session expired
                t.data.since = round(time.time())  # the transcript's clock; a lead keeps the conversation from here
            t.data.turn += 1
            next_state = step(t)  # the table, with the form's timeout and resume offer
            if t.erased:
                reply = t.reply()
                storage.erase(incoming.openid)
                session.finish(None, reply=reply.to_dict(), counts=t.counts)  # nothing kept but the reply for retries
                return reply
            data = t.data  # a handler may have started the document afresh
            data.state = next_state.value
            if not next_state.in_form and incoming.kind in ("text", "voice"):
                data.seen.update(heard(t.entities))
            data.last_seen = t.now
            if handed_back:
                t.parts.insert(0, handed_back)
            count_progress(t, before, asked_field(data))
            reply = t.reply()
            session.finish(data, [("user", self._said(incoming)),
                                  ("bot", reply.text or (reply.article.title if reply.article else ""))],
                           reply.to_dict(), t.counts)
        return reply

    @staticmethod
    def _said(incoming: Incoming) -> str:
        return incoming.text or f"[{incoming.kind}:{incoming.event or incoming.msg_type}]"

    def _held_by_a_person(self, incoming: Incoming, kb, seen: list) -> str | None:
        """None while a person holds the conversation; otherwise '' or, when the person has been
        silent past the knowledge's limit, the line that tells the user the bot is back.
        ``seen``: the results of the takeover store's commands on the turn's opening round trip."""
        takeovers = self.services.takeovers
        if takeovers is None:
            return ""
        record = takeovers.seen_record(incoming.openid, seen)
        if record["state"] != "taken":
            return ""
        if record["by"] == "kf":
            return None  # WeChat's customer-service tools hold it until their close event
        quiet = self.now() - (record["staff_at"] or record["since"] or self.now())
        if quiet <= kb.park.takeover.idle_minutes * 60:
            return None
        if takeovers.move(incoming.openid, "released", by="idle", only_from=("taken",)) is None:
            return ""  # released a moment ago by someone else, who said so
        return kb.messages.render("takeover_idle_released")
