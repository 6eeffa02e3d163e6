"""The office's work on a lead: status, assignee and notes, each change kept with who and when.

One Lua script makes a change, so the lead, its status index, its history and its notes never
disagree; everything stays in the ``{leads}`` hash slot. The follow-up reminder is claimed by
the same kind of script: a lead is reminded about once, however many workers look.
"""
from __future__ import annotations

import json
import time
from typing import Callable

import redis

from .keys import Keys
from .leads import STATUSES

NOTE_LIMIT = 2000  # characters per note
NAME_LIMIT = 32
HISTORY_KEEP = 500
NOTES_KEEP = 500

# KEYS: lead, notes, history, status:new, status:contacted, status:closed
# ARGV: now, who, number, status ('' = unchanged), status position (1-based), assignee flag ('1' = change),
#       assignee, note ('' = none)
_CHANGE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('NOLEAD') end
local now = tonumber(ARGV[1])
local changed = 0
if ARGV[4] ~= '' then
  local old = redis.call('HGET', KEYS[1], 'status') or 'new'
  if old ~= ARGV[4] then
    local created = tonumber(redis.call('HGET', KEYS[1], 'created')) or 0
    redis.call('HSET', KEYS[1], 'status', ARGV[4], 'status_at', ARGV[1])
    for i = 4, 6 do redis.call('ZREM', KEYS[i], ARGV[3]) end
    redis.call('ZADD', KEYS[3 + tonumber(ARGV[5])], created, ARGV[3])
    redis.call('RPUSH', KEYS[3], cjson.encode({t = now, who = ARGV[2], what = 'status', from = old, to = ARGV[4]}))
    changed = changed + 1
  end
end
if ARGV[6] == '1' then
  local old = redis.call('HGET', KEYS[1], 'assignee') or ''
  if old ~= ARGV[7] then
    redis.call('HSET', KEYS[1], 'assignee', ARGV[7])
    redis.call('RPUSH', KEYS[3], cjson.encode({t = now, who = ARGV[2], what = 'assignee', from = old, to = ARGV[7]}))
    changed = changed + 1
  end
end
if ARGV[8] ~= '' then
  redis.call('RPUSH', KEYS[2], cjson.encode({t = now, who = ARGV[2], text = ARGV[8]}))
  redis.call('LTRIM', KEYS[2], -tonumber(ARGV[9]), -1)
  changed = changed + 1
end
redis.call('LTRIM', KEYS[3], -tonumber(ARGV[9]), -1)
return changed
"""

# KEYS: lead, outbox   ARGV: now, number
_REMIND = """
if redis.call('HGET', KEYS[1], 'status') ~= 'new' then return 0 end
if redis.call('HEXISTS', KEYS[1], 'reminded_at') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'reminded_at', ARGV[1])
redis.call('XADD', KEYS[2], '*', 'kind', 'reminder', 'job', 'reminder:' .. ARGV[2], 'number', ARGV[2])
return 1
"""


class ChangeError(ValueError):
    """A change that was refused; nothing was written."""


def _list(raw: list[str]) -> list[dict]:
    out = []
    for item in raw:
        try:
            value = json.loads(item)
        except ValueError:
            continue
        if isinstance(value, dict):
            out.append(value)
    return out


class LeadDesk:
    def __init__(self, client: redis.Redis, keys: Keys, *, now: Callable[[], float] = time.time):
        self.r, self.keys, self.now = client, keys, now
        self._change = client.register_script(_CHANGE)
        self._remind = client.register_script(_REMIND)

    def notes_key(self, number: str) -> str:
        return self.keys.lead_notes(number)

    def history_key(self, number: str) -> str:
        return self.keys.lead_history(number)

    def change(self, number: str, *, who: str, status: str | None = None, assignee: str | None = None,
               note: str | None = None) -> int:
        """Apply any of status, assignee ('' unassigns) and a note at once; returns how many changed.

        Raises ``ChangeError`` for a bad value and ``LookupError`` for a lead that does not exist.
        """
        if status is not None and status not in STATUSES:
            raise ChangeError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
        if assignee is not None:
            assignee = assignee.strip()
            if len(assignee) > NAME_LIMIT or any(c in assignee for c in "\r\n\t"):
                raise ChangeError(f"an assignee is at most {NAME_LIMIT} characters on one line")
        if note is not None:
            note = note.strip()
            if len(note) > NOTE_LIMIT:
                raise ChangeError(f"a note is at most {NOTE_LIMIT} characters")
        k = self.keys
        try:
            return int(self._change(
                keys=[k.lead(number), self.notes_key(number), self.history_key(number),
                      *(k.lead_status(s) for s in STATUSES)],
                args=[repr(float(self.now())), (who or "")[:NAME_LIMIT], number, status or "",
                      STATUSES.index(status) + 1 if status else 0, "1" if assignee is not None else "0",
                      assignee or "", note or "", max(HISTORY_KEEP, NOTES_KEEP)]))
        except redis.exceptions.ResponseError as exc:
            if "NOLEAD" in str(exc):
                raise LookupError(number) from None
            raise

    def notes(self, number: str) -> list[dict]:
        return _list(self.r.lrange(self.notes_key(number), 0, -1))

    def history(self, number: str) -> list[dict]:
        return _list(self.r.lrange(self.history_key(number), 0, -1))

    def remind(self, number: str) -> bool:
        """Queue the one follow-up reminder of a lead still new; False when it was sent or is not due."""
        return bool(self._remind(keys=[self.keys.lead(number), self.keys.outbox()],
                                 args=[repr(float(self.now())), number]))

    def forget(self, number: str) -> None:
        self.r.delete(self.notes_key(number), self.history_key(number))
