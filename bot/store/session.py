"""Per-user conversation storage (the aiogram-style storage interface, one Redis implementation).

State is one JSON document per user (bot/store/conversation_state.py) with an idle TTL; nothing is kept in process memory, so
any worker on any host can serve the next message. One user's messages are serialised by a
lock with a timeout (a crashed worker cannot block a user for longer), so two arriving at the
same moment run one after the other and neither update is lost.

A message costs two round trips: ``turn`` claims it against WeChat's retries, takes the lock
and reads the state in one script; ``Session.finish`` saves the state, appends the transcript,
stores the reply for retries and lets go of the lock in another. All the keys involved carry
the user's ``{openid}`` hash tag, so both scripts stay legal on a Redis Cluster.
"""
from __future__ import annotations

import json
import logging
import os
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Protocol

import redis

from .connection import LeanScript, atomic, plain_client
from .conversation_state import ConversationState, from_document, from_json
from .dedup import PENDING, AlreadyClaimed, Claim, decode
from .keys import Keys
from .turn_counts import ahead_of, counting, tally

log = logging.getLogger(__name__)

# json.dumps(..., ensure_ascii=False) builds an encoder on every call; a turn writes three objects
_to_json = json.JSONEncoder(ensure_ascii=False).encode
_json_string = json.encoder.encode_basestring  # a str as _to_json writes it (C), quotes included

# KEYS: lock, state[, claim]   ARGV: token, expiry (unix ms), pending marker, 'at' | 'px', lock ms
# The lock and the pending claim expire at an absolute time counted from the message's own
# start ('at'): a script Redis runs late (it was stalled, then resumed) after that time writes
# nothing, so a request that gave up long ago leaves no lock behind to turn the user's next
# message away, and no claim to swallow WeChat's retry. 'px' (relative) is the fallback for a
# host whose clock disagrees with Redis's.
# A key of the wrong type reads as no value: a mangled state is a fresh start (like corrupt
# JSON) instead of failing every message of that user until it expires.
_BEGIN = """
local function text(key)
  local value = redis.pcall('GET', key)
  if type(value) == 'table' then return false end
  return value
end
local expiry = {'PX', ARGV[5]}
if ARGV[4] == 'at' then
  local now = redis.call('TIME')
  if tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) >= tonumber(ARGV[2]) then
    return {'late'}
  end
  expiry = {'PXAT', ARGV[2]}
end
if KEYS[3] and not redis.call('SET', KEYS[3], ARGV[3], 'NX', unpack(expiry)) then
  return {'dup', text(KEYS[3])}
end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', unpack(expiry)) then
  return {'busy'}
end
return {'ok', text(KEYS[2])}
"""

# KEYS: lock, state, transcript[, claim]
# ARGV: token, state JSON ('' deletes), state ttl, transcript length, transcript ttl,
#       reply JSON, claim ttl, pending marker, transcript entries...
# Nothing is written unless the lock is still ours: after it expired another message may have
# read and saved the state, and writing ours would silently undo that one. No command below
# can fail once the transcript is known to be a list, so the script writes all or nothing
# (Redis does not roll a failed script back).
_FINISH = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  if KEYS[4] and redis.call('GET', KEYS[4]) == ARGV[8] then redis.call('DEL', KEYS[4]) end
  return 0
end
if #ARGV > 8 then
  local kind = redis.call('TYPE', KEYS[3]).ok
  if kind ~= 'list' and kind ~= 'none' then redis.call('DEL', KEYS[3]) end
  redis.call('RPUSH', KEYS[3], unpack(ARGV, 9))
  redis.call('LTRIM', KEYS[3], -tonumber(ARGV[4]), -1)
  redis.call('EXPIRE', KEYS[3], ARGV[5])
end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[2])
else
  redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
end
if KEYS[4] then redis.call('SET', KEYS[4], ARGV[6], 'EX', ARGV[7]) end
redis.call('DEL', KEYS[1])
return 1
"""

# KEYS: lock[, claim]   ARGV: token, pending marker
# A message that failed lets go of the lock and of its claim, so WeChat's next retry is processed.
_ABANDON = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
if KEYS[2] and redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
return 0
"""


class UserBusy(Exception):
    """Another message of the same user held the lock for longer than we may wait."""


class LockLost(UserBusy):
    """The lock expired while this message was being handled; nothing of it was saved."""


class StateStorage(Protocol):
    def turn(self, openid: str, claim: Claim | None = None, started: float | None = None,
             ahead: Callable[[Any], None] | None = None) -> Any: ...
    def load(self, openid: str) -> ConversationState: ...
    def save(self, openid: str, state: ConversationState | dict[str, Any] | None) -> None: ...
    def erase(self, openid: str) -> None: ...
    def append(self, openid: str, who: str, text: str, *, push: bool = False) -> dict[str, Any]: ...
    def transcript(self, openid: str, limit: int = 20) -> list[dict[str, Any]]: ...


class Session:
    """One message's hold on a user: the state read under the lock, and the write that ends it."""

    def __init__(self, storage: "RedisStateStorage", openid: str, token: str, claim: Claim | None,
                 state: ConversationState):
        self.storage, self.openid, self.token, self.claim = storage, openid, token, claim
        self.state = state
        self.done = False
        self.ahead: list = []  # results of the commands that rode on the opening round trip

    def finish(self, state: ConversationState | dict[str, Any] | None, turns: Iterable[tuple[str, str]] = (),
               reply: dict[str, Any] | None = None, counts: Iterable[Callable[[Any], None]] = ()) -> None:
        """Save ``state`` (all at its defaults deletes it), append ``turns``, keep ``reply`` for retries, unlock.

        ``counts`` queue the turn's counters (the admin page's funnel, unanswered questions) on
        the same round trip; best effort, as counting must never cost a user their reply.
        """
        s, k = self.storage, self.storage.keys
        keys = [k.lock(self.openid), k.state(self.openid), k.transcript(self.openid)]
        if self.claim is not None:
            keys.append(self.claim.key)
        args = [self.token, from_document(state).to_json(), s.state_ttl,
                s.transcript_len, s.transcript_ttl, _to_json(reply or {}),
                self.claim.ttl if self.claim else 0, PENDING, *s.entries(turns)]
        counts = list(counts)
        if not counts:
            written = s._finish(keys=keys, args=args)
        else:
            written = self._finish_with(counts, keys, args)
        self.done = True
        if not written:
            raise LockLost(self.openid)

    def _finish_with(self, counts: list[Callable[[Any], None]], keys: list[str], args: list[Any]) -> Any:
        s = self.storage
        if not s.one_server():  # a Redis Cluster: its pipelines run no scripts, the counters go next
            pipe = s.r.pipeline(transaction=False)
            for count in counts:  # queued first: a broken counter raises before anything is written
                count(pipe)
            results = [s._finish(keys=keys, args=args)]
            try:
                results += pipe.execute(raise_on_error=False)
            except redis.RedisError as exc:
                results.append(exc)
        else:
            # one server (or a Sentinel's master): one command, the closing script runs the counters itself
            recorded = tally(counts)
            written, failed, first = s._finish_counting(keys=[*recorded.keys, *keys],
                                                        args=[len(recorded.keys), *recorded.args, *args])
            if failed:
                log.warning("%d counter(s) not counted: %s", failed, first.split(" ", 1)[0])
            return written
        written = results[0]
        if isinstance(written, redis.exceptions.NoScriptError):
            written = s._finish(keys=keys, args=args)  # a restarted Redis: loads the script and runs it
        elif isinstance(written, Exception):
            raise written
        failed = [r for r in results[1:] if isinstance(r, Exception)]
        if failed:
            log.warning("%d counter(s) not counted: %s", len(failed), type(failed[0]).__name__)
        return written

    def abandon(self) -> None:
        self.done = True
        k = self.storage.keys
        keys = [k.lock(self.openid)] + ([self.claim.key] if self.claim else [])
        self.storage._abandon(keys=keys, args=[self.token, PENDING])


class RedisStateStorage:
    def __init__(self, client: redis.Redis, keys: Keys, *, state_ttl: int, transcript_ttl: int,
                 transcript_len: int = 500, lock_timeout: float = 5.0, lock_wait: float = 4.0):
        self.r = client
        self.keys = keys
        self.state_ttl = state_ttl
        self.transcript_ttl = transcript_ttl
        self.transcript_len = transcript_len
        self.lock_timeout = lock_timeout
        self.lock_wait = lock_wait
        self._begin = LeanScript(client, _BEGIN)
        self._begin_ahead = LeanScript(client, ahead_of(_BEGIN))  # with the takeover's commands inside it
        self._finish = LeanScript(client, _FINISH)
        self._finish_counting = LeanScript(client, counting(_FINISH))  # the turn's counters inside it
        self._abandon = LeanScript(client, _ABANDON)
        self._one_server: bool | None = None  # not a Redis Cluster: known once Redis has answered

    def one_server(self) -> bool:
        """Whether Redis is one server (or a Sentinel's master), whose scripts may touch every key,
        rather than a Redis Cluster (asked once: a client made while Redis was down raises until it answers)."""
        if self._one_server is None:
            self._one_server = plain_client(self.r)
        return self._one_server

    @contextmanager
    def turn(self, openid: str, claim: Claim | None = None, started: float | None = None,
             ahead: Callable[[Any], None] | None = None) -> Iterator[Session]:
        """Handle one message of ``openid``: claimed (if ``claim``), locked, state loaded.

        ``started`` is when the message arrived (unix seconds; default now): its lock and claim
        expire ``lock_timeout`` after it, however late Redis gets to run the command.
        Raises ``AlreadyClaimed`` for a retry of a claimed message and ``UserBusy`` when the
        lock stays taken past ``lock_wait``. Leaving the block without ``finish`` (an error, or
        nothing to save) lets go of the lock and the claim.
        """
        session = self._open(openid, claim, time.time() if started is None else started, ahead)
        try:
            yield session
        except BaseException:
            if not session.done:
                try:
                    session.abandon()
                except redis.RedisError:
                    pass  # the lock and the claim expire by themselves; the first error is the story
            raise
        if not session.done:
            session.abandon()

    def _open(self, openid: str, claim: Claim | None, started: float,
              ahead: Callable[[Any], None] | None = None) -> Session:
        token = os.urandom(16).hex()
        keys = [self.keys.lock(openid), self.keys.state(openid)]
        lock_ms = max(1, int(self.lock_timeout * 1000))
        args: list[Any] = [token, int(started * 1000) + lock_ms, PENDING, "at", lock_ms]
        first_keys = keys + [claim.key] if claim is not None else keys
        if ahead is None:
            status, before = self._begin(keys=first_keys, args=args), []
        else:
            status, before = self._begin_after(ahead, first_keys, args)
            failed = next((r for r in before if isinstance(r, Exception)), None)
            if failed is not None:
                if status[0] == "ok":
                    Session(self, openid, token, claim, ConversationState()).abandon()
                raise failed
        if status[0] == "late":
            if time.time() - started < self.lock_timeout:
                # Redis answered in time yet says the deadline has passed: its clock runs ahead of
                # ours. Relative expiry keeps users served; the clocks want fixing (NTP).
                log.warning("Redis's clock is ahead of this host's by seconds; locks fall back to relative expiry")
                args[3] = "px"
                status = self._begin(keys=first_keys, args=args)
            else:
                raise UserBusy(openid)  # this message outlived its own deadline before it began
        if status[0] == "dup":
            raise AlreadyClaimed(decode(status[1]))
        deadline = time.monotonic() + self.lock_wait
        while status[0] == "busy":
            if time.monotonic() >= deadline:
                Session(self, openid, token, claim, ConversationState()).abandon()
                raise UserBusy(openid)
            time.sleep(0.01)
            status = self._begin(keys=keys, args=args)  # the claim is ours already
            if status[0] == "late":
                raise UserBusy(openid)
        session = Session(self, openid, token, claim, from_json(status[1]))
        session.ahead = before
        return session

    def _begin_after(self, ahead: Callable[[Any], None], keys: list[str], args: list[Any]) -> tuple[Any, list]:
        """``ahead``'s commands and the opening script in one round trip: the script's status, their results."""
        if not self.one_server():  # a Redis Cluster: its scripts may not touch other slots, its pipelines run none
            pipe = self.r.pipeline(transaction=False)
            ahead(pipe)
            # their errors come back as results: the caller lets go of the lock and the claim
            return self._begin(keys=keys, args=args), pipe.execute(raise_on_error=False)
        # one server (or a Sentinel's master): one command, the opening script runs them first
        recorded = tally([ahead])
        seen, status = self._begin_ahead(keys=[*recorded.keys, *keys], args=[len(recorded.keys), *recorded.args, *args])
        return status, recorded.results(seen)

    def entries(self, turns: Iterable[tuple[str, str]]) -> list[str]:
        # the JSON _to_json makes of {"t": now, "who": who, "text": text}, without walking a dict twice a message
        now = round(time.time())
        return [f'{{"t": {now}, "who": {_json_string(who)}, "text": {_json_string(text[:500])}}}'
                for who, text in turns if text]

    # single operations, for code outside a message's turn --------------------------------
    def load(self, openid: str) -> ConversationState:
        return from_json(self.r.get(self.keys.state(openid)))

    def save(self, openid: str, state: ConversationState | dict[str, Any] | None) -> None:
        key = self.keys.state(openid)
        raw = from_document(state).to_json()
        if raw:
            self.r.set(key, raw, ex=self.state_ttl)
        else:
            self.r.delete(key)

    def erase(self, openid: str) -> None:
        """Everything kept about this user's conversation, deleted by name (see ``Keys.user_keys``),
        and the user's place in the admin page's conversation lists.

        The replies kept for WeChat's retries expire by themselves within ``DEDUP_TTL``; the one
        of the message asking to be forgotten must stay until its reply is stored.
        """
        self.r.delete(*self.keys.user_keys(openid))
        self.r.zrem(self.keys.handoffs("index"), openid)
        self.r.zrem(self.keys.handoffs("recent"), openid)

    def append(self, openid: str, who: str, text: str, *, push: bool = False) -> dict[str, Any]:
        """A line said outside a message's turn (a person's reply, the takeover's notices).

        ``push`` marks lines the user's channel must fetch by itself (the web chat polls for them).
        """
        entry: dict[str, Any] = {"t": time.time(), "who": who, "text": text[:2000]}
        if push:
            entry["push"] = 1
        key = self.keys.transcript(openid)
        pipe = atomic(self.r)
        pipe.rpush(key, json.dumps(entry, ensure_ascii=False))
        pipe.ltrim(key, -self.transcript_len, -1)
        pipe.expire(key, self.transcript_ttl)
        pipe.execute()
        return entry

    def transcript(self, openid: str, limit: int = 20) -> list[dict[str, Any]]:
        out = []
        for raw in self.r.lrange(self.keys.transcript(openid), -limit, -1):
            try:
                out.append(json.loads(raw))
            except ValueError:
                continue
        return out

    def has_transcript(self, openid: str) -> bool:
        return bool(self.r.exists(self.keys.transcript(openid)))

    def last_lines(self, openids: list[str]) -> list[dict[str, Any] | None]:
        """Each user's newest transcript line (time, who, text), or None, in one round trip."""
        pipe = self.r.pipeline(transaction=False)
        for openid in openids:
            pipe.lindex(self.keys.transcript(openid), -1)
        return [_line(raw) for raw in pipe.execute()] if openids else []


def _line(raw: str | None) -> dict[str, Any] | None:
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return {"t": value.get("t"), "who": value.get("who", ""), "text": value.get("text", "")} \
        if isinstance(value, dict) else None
