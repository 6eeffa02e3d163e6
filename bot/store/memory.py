"""The engine's storage in memory: for ``kb test`` and engine-logic tests, never for serving.

It keeps the same contracts as the Redis store (bot/store/session.py, leads.py, unanswered.py) as far
as one process needs them: one message of a user at a time, the state saved only by ``finish``, an
empty state deleted, the transcript trimmed. It has no claims (WeChat retries never reach it), no
expiry and nothing shared between processes. Importing it loads no Redis client.
"""
from __future__ import annotations

import itertools
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Callable, Iterable, Iterator

from .conversation_state import ConversationState, from_document, from_json
from .lead_terms import SHANGHAI


class MemorySession:
    def __init__(self, storage: "MemoryStateStorage", openid: str, state: ConversationState):
        self.storage, self.openid, self.state = storage, openid, state
        self.ahead: list = []  # what rode on the opening round trip (nothing does, in memory)

    def finish(self, state: ConversationState | dict[str, Any] | None, turns: Iterable[tuple[str, str]] = (),
               reply: dict[str, Any] | None = None, counts: Iterable[Callable[[Any], None]] = ()) -> None:
        self.storage.save(self.openid, state)
        for who, text in turns:
            if text:  # as the Redis store keeps a turn's lines: none empty, each cut to 500 characters
                self.storage.append(self.openid, who, text[:500])
        for count in counts:  # in memory there is no batch: each counter writes at once
            count(None)


class MemoryStateStorage:
    def __init__(self, *, transcript_len: int = 500, now: Callable[[], float] = time.time):
        self.transcript_len, self.now = transcript_len, now
        self._states: dict[str, str] = {}  # the stored JSON, as Redis keeps it
        self._transcripts: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._locks: dict[str, threading.Lock] = defaultdict(threading.Lock)
        self._guard = threading.Lock()

    @contextmanager
    def turn(self, openid: str, claim: Any = None, started: float | None = None,
             ahead: Callable[[Any], None] | None = None) -> Iterator[MemorySession]:
        if claim is not None:
            raise ValueError("the in-memory storage keeps no claims: it never sees a channel's retries")
        if ahead is not None:
            raise ValueError("the in-memory storage has no batch to carry reads on: run it without a takeover book")
        with self._guard:
            lock = self._locks[openid]
        with lock:
            yield MemorySession(self, openid, self.load(openid))

    def load(self, openid: str) -> ConversationState:
        return from_json(self._states.get(openid))

    def save(self, openid: str, state: ConversationState | dict[str, Any] | None) -> None:
        raw = from_document(state).to_json()
        if raw:
            self._states[openid] = raw
        else:
            self._states.pop(openid, None)

    def erase(self, openid: str) -> None:
        self._states.pop(openid, None)
        self._transcripts.pop(openid, None)

    def append(self, openid: str, who: str, text: str, *, push: bool = False) -> dict[str, Any]:
        entry: dict[str, Any] = {"t": self.now(), "who": who, "text": text[:2000]}
        if push:
            entry["push"] = 1
        lines = self._transcripts[openid]
        lines.append(entry)
        del lines[:-self.transcript_len]
        return entry

    def transcript(self, openid: str, limit: int = 20) -> list[dict[str, Any]]:
        return [dict(e) for e in self._transcripts.get(openid, [])[-limit:]]


class MemoryLeads:
    """Leads and handoff alerts kept in a list; numbers as the Redis store makes them (day + sequence)."""

    def __init__(self, *, now: Callable[[], float] = time.time):
        self.now = now
        self.leads: list[dict[str, Any]] = []
        self.handoffs: list[dict[str, Any]] = []
        self._by_form: dict[str, str] = {}
        self._seq = itertools.count(1)

    def submit(self, *, form_id: str, openid: str, fields: dict, listings: list[str], transcript: list[dict],
               source: str, channel: str = "", first_source: str = "") -> str:
        if not isinstance(form_id, str) or not form_id.strip():
            raise ValueError("form_id must be a non-empty string")
        if form_id in self._by_form:
            return self._by_form[form_id]
        created = self.now()
        number = "L" + datetime.fromtimestamp(created, SHANGHAI).strftime("%Y%m%d") + f"-{next(self._seq):04d}"
        self.leads.append({"number": number, "openid": openid, "fields": dict(fields), "listings": list(listings),
                           "transcript": list(transcript), "source": source, "channel": channel,
                           "first_source": first_source, "created": created})
        self._by_form[form_id] = number
        return number

    def alert_handoff(self, *, openid: str, transcript: list[dict], source: str, dedup_key: str | None = None,
                      link: str = "") -> str:
        job = dedup_key or f"{openid}:{len(self.handoffs)}"
        if all(h["job"] != job for h in self.handoffs):
            self.handoffs.append({"job": job, "openid": openid, "transcript": list(transcript), "source": source,
                                  "link": link})
        return job

    def erase_personal(self, openid: str) -> int:
        mine = [lead for lead in self.leads if lead["openid"] == openid]
        for lead in mine:
            lead["fields"], lead["transcript"], lead["openid"] = {}, [], ""
        self.handoffs = [h for h in self.handoffs if h["openid"] != openid]
        return len(mine)


class MemoryUnanswered:
    def __init__(self):
        self.questions: list[tuple[str, str]] = []

    def record(self, text: str, normalized: str) -> None:
        self.questions.append((text, normalized))

    def queue_record(self, batch: Any, text: str, normalized: str) -> None:
        self.record(text, normalized)
