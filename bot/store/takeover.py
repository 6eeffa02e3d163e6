"""Who holds a conversation — the bot, or a person — and the staff channel's health.

A user's takeover record is one hash in the user's own slot (``{openid}``): ``state`` is
``waiting`` (asked for 人工), ``taken`` (a person answers; the bot stays silent) or
``released`` (handed back). It lives in Redis, so every worker on every host sees a takeover
the moment it happens. Two shared sorted sets in the ``{handoffs}`` slot list the
conversations for the admin page: ``index`` (handoff requests and takeovers, by last activity)
and ``recent`` (every user's last message, capped), so staff can open any conversation.

The record is the truth; the sets only find records. A set entry whose record is gone (the
user was erased, or it expired) is dropped when it is next read.

Staff channel health: the notification worker writes, per channel, when it last delivered and
since when it has been failing; :meth:`ChannelHealth.state` turns that into "can a person be
told right now", which the handoff reply and the admin page must answer truthfully.
"""
from __future__ import annotations

import time
from typing import Callable, Iterable

import redis

from .connection import atomic
from .keys import Keys

STATES = ("waiting", "taken", "released")
RECORD_TTL = 14 * 24 * 3600  # a released conversation stays listed this long
RECENT_LIMIT = 500  # conversations the admin page can pick from without knowing an OpenID
FAILING_FOR = 300  # a channel whose last attempt failed and that delivered nothing for this long is down

# KEYS: record   ARGV: new state, now, ttl, by, channel, only-from states (comma list, '' = any)
# Returns the previous state ('' for none), or false when the transition is not allowed.
_MOVE = """
local old = redis.call('HGET', KEYS[1], 'state') or ''
if ARGV[6] ~= '' then
  local allowed = false
  for s in string.gmatch(ARGV[6], '[^,]+') do
    if s == old or (s == 'none' and old == '') then allowed = true end
  end
  if not allowed then return false end
end
if old ~= ARGV[1] then redis.call('HSET', KEYS[1], 'state', ARGV[1], 'since', ARGV[2]) end
if ARGV[1] == 'waiting' then redis.call('HSET', KEYS[1], 'asked', ARGV[2]) end
if ARGV[1] == 'taken' and old ~= 'taken' then redis.call('HSET', KEYS[1], 'staff_at', ARGV[2]) end
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'by', ARGV[4]) end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'channel', ARGV[5]) end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return old
"""

# KEYS: record   ARGV: now   -- a staff reply restarts the idle clock, only while taken
_STAFF = """
if redis.call('HGET', KEYS[1], 'state') ~= 'taken' then return 0 end
redis.call('HSET', KEYS[1], 'staff_at', ARGV[1])
return 1
"""


def _float(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class TakeoverStore:
    def __init__(self, client: redis.Redis, keys: Keys, *, now: Callable[[], float] = time.time,
                 record_ttl: int = RECORD_TTL):
        self.r, self.keys, self.now = client, keys, now
        self.record_ttl = record_ttl
        self._move = client.register_script(_MOVE)
        self._staff = client.register_script(_STAFF)

    # reading -----------------------------------------------------------------------
    def get(self, openid: str) -> dict:
        """The record: ``state`` ('' when the bot has never handed this user over) and its times."""
        return self._decode(openid, self.r.hgetall(self.keys.takeover(openid)))

    @staticmethod
    def _decode(openid: str, raw: dict) -> dict:
        return {"openid": openid, "state": raw.get("state", ""), "since": _float(raw.get("since")),
                "asked": _float(raw.get("asked")), "staff_at": _float(raw.get("staff_at")),
                "by": raw.get("by", ""), "channel": raw.get("channel", ""), "last": _float(raw.get("last"))}

    def seen_and_get(self, openid: str, channel: str) -> dict:
        """A user message arrived: note it for the admin page's lists, and return the record (one round trip)."""
        pipe = self.r.pipeline(transaction=False)
        self.queue_seen(pipe, openid)
        return self.seen_record(openid, pipe.execute())

    def queue_seen(self, pipe, openid: str) -> None:
        """:meth:`seen_and_get`'s commands on ``pipe`` (riding on a message's opening round trip);
        :meth:`seen_record` reads their results."""
        pipe.hgetall(self.keys.takeover(openid))
        pipe.zadd(self.keys.handoffs("recent"), {openid: self.now()})
        pipe.zremrangebyrank(self.keys.handoffs("recent"), 0, -RECENT_LIMIT - 1)

    def seen_record(self, openid: str, results: list) -> dict:
        raw, now = results[0], self.now()
        if raw.get("state") in ("waiting", "taken"):
            pipe = self.r.pipeline(transaction=False)
            pipe.hset(self.keys.takeover(openid), "last", repr(now))
            pipe.zadd(self.keys.handoffs("index"), {openid: now})
            pipe.execute()
            raw["last"] = repr(now)
        return self._decode(openid, raw)

    def listing(self, limit: int = 200) -> list[dict]:
        """Handoff requests and takeovers, waiting ones first, then taken, then released; newest first within."""
        index = self.keys.handoffs("index")
        openids = self.r.zrevrange(index, 0, max(limit, 1) - 1)
        return self._records(index, openids)

    def recent(self, limit: int = 100) -> list[dict]:
        """Users who wrote lately, newest first (their records, state '' for most)."""
        key = self.keys.handoffs("recent")
        rows = self.r.zrevrange(key, 0, max(limit, 1) - 1, withscores=True)
        pipe = self.r.pipeline(transaction=False)
        for openid, _ in rows:
            pipe.hgetall(self.keys.takeover(openid))
        return [{**self._decode(openid, raw), "last": score} for (openid, score), raw in zip(rows, pipe.execute())]

    def _records(self, index: str, openids: list[str]) -> list[dict]:
        if not openids:
            return []
        pipe = self.r.pipeline(transaction=False)
        for openid in openids:
            pipe.hgetall(self.keys.takeover(openid))
        out, gone = [], []
        for openid, raw in zip(openids, pipe.execute()):
            if raw.get("state") in STATES:
                out.append(self._decode(openid, raw))
            else:
                gone.append(openid)
        if gone:
            self.r.zrem(index, *gone)
        order = {s: i for i, s in enumerate(STATES)}
        return sorted(out, key=lambda rec: (order[rec["state"]], -(rec["last"] or rec["since"] or 0)))

    def count(self, state: str) -> int:
        return sum(1 for rec in self.listing() if rec["state"] == state)

    def idle_taken(self, idle: float) -> list[dict]:
        """Taken conversations without a staff reply for longer than ``idle`` seconds."""
        now = self.now()
        # a session opened in WeChat's own customer-service tools ends with their close event
        return [rec for rec in self.listing(1000) if rec["state"] == "taken" and rec["by"] != "kf"
                and now - (rec["staff_at"] or rec["since"] or now) > idle]

    # writing -----------------------------------------------------------------------
    def move(self, openid: str, state: str, *, by: str = "", channel: str = "",
             only_from: Iterable[str] = ()) -> str | None:
        """Set ``state``; returns the previous one ('' for none), or None when ``only_from`` forbids it."""
        if state not in STATES:
            raise ValueError(f"unknown takeover state {state!r}")
        now = self.now()
        old = self._move(keys=[self.keys.takeover(openid)],
                         args=[state, repr(now), self.record_ttl, by, channel, ",".join(only_from)])
        if old is None:
            return None
        self.r.zadd(self.keys.handoffs("index"), {openid: now})
        return old

    def staff_replied(self, openid: str) -> bool:
        return bool(self._staff(keys=[self.keys.takeover(openid)], args=[repr(self.now())]))

    def drop(self, openid: str) -> None:
        """No record, as before a takeover that did not happen (erasing a user is the session's job)."""
        pipe = self.r.pipeline(transaction=False)
        pipe.delete(self.keys.takeover(openid))
        pipe.zrem(self.keys.handoffs("index"), openid)
        pipe.execute()


class ChannelHealth:
    """Per staff channel: when it last delivered, since when it has been failing, its last error."""

    def __init__(self, client: redis.Redis, keys: Keys, *, now: Callable[[], float] = time.time):
        self.r, self.keys, self.now = client, keys, now

    def delivered(self, channel: str) -> None:
        key = self.keys.channel_health(channel)
        pipe = atomic(self.r)
        pipe.hset(key, "ok_at", repr(self.now()))
        pipe.hdel(key, "failing_since", "error")
        pipe.execute()

    def failed(self, channel: str, error: str) -> None:
        key = self.keys.channel_health(channel)
        pipe = atomic(self.r)
        pipe.hsetnx(key, "failing_since", repr(self.now()))
        pipe.hset(key, mapping={"fail_at": repr(self.now()), "error": error[:300]})
        pipe.execute()

    def state(self, channels: Iterable[str]) -> dict:
        """``{"state": "ok" | "failing" | "none", "channels": {name: {...}}}``.

        "none": no channel is configured. "failing": every configured channel's last attempt
        failed and none delivered anything for ``FAILING_FOR`` seconds — nobody will hear of a
        handoff soon, so the user must not be told that someone was notified.
        """
        names = list(channels)
        if not names:
            return {"state": "none", "channels": {}}
        now = self.now()
        pipe = self.r.pipeline(transaction=False)
        for name in names:
            pipe.hgetall(self.keys.channel_health(name))
        out, down = {}, 0
        for name, raw in zip(names, pipe.execute()):
            ok_at, failing_since = _float(raw.get("ok_at")), _float(raw.get("failing_since"))
            failing = failing_since is not None and (ok_at is None or now - ok_at > FAILING_FOR)
            down += failing
            out[name] = {"state": "failing" if failing else "ok", "ok_at": ok_at, "failing_since": failing_since,
                         "error": raw.get("error", "")}
        return {"state": "failing" if down == len(names) else "ok", "channels": out}


def configured_channels(config) -> list[str]:
    """The staff channels the settings turn on (the names the notification worker reports under)."""
    names = []
    if config.get("NOTIFY_WECOM_WEBHOOK"):
        names.append("wecom")
    if config.get("NOTIFY_EMAIL_TO") and config.get("SMTP_URL"):
        names.append("email")
    return names
