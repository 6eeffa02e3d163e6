"""Lead records and their notification outbox.

A submitted lead and the job that tells staff about it are written by one Lua script, so a
crash can never leave a lead nobody hears about, nor a notification for a lead that does not
exist. Every key lives in the ``{leads}`` hash slot, which keeps the scripts legal on a
Redis Cluster (the submit script builds the lead key from the new number; it is in the same
slot as the keys it declares).

Slot values are stored JSON-encoded, one hash field each (``f:<slot>``), so a number given
as a number comes back as a number, and erasing one field needs no JSON parsing in Lua.
"""
from __future__ import annotations

import json
import re
import time
import uuid
from datetime import datetime
from functools import lru_cache
from typing import Any, Callable

import redis

from ..form_spec import FORM
from .keys import Keys
from .lead_repeat import CANDIDATES_SCRIPT, FIELDS_OF, REPEAT_DAYS, REPEAT_TTL, find_repeat, same_sets
from .lead_search import field_text
from .lead_terms import SHANGHAI, STATUSES

# the lead's fields and the personal ones among them come from the form's specification
SLOTS = FORM.lead_fields
PERSONAL_SLOTS = FORM.personal
GROUP = "notify"  # the outbox's consumer group

FORM_TTL = 30 * 24 * 3600  # a form id is remembered long after any WeChat retry or double tap
SEQ_TTL = 3 * 24 * 3600
HANDOFF_DEDUP_TTL = 24 * 3600
TRANSCRIPT_LIMIT = 300  # the whole conversation before a lead, within reason
TEXT_LIMIT = 500
VALUE_LIMIT = 500
_SLOT_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")

_SUBMIT = """
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
local seq = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
local number = ARGV[1] .. string.format('%04d', seq)
-- a sequence key lost in a restart must not overwrite yesterday's lead with the same number
while redis.call('EXISTS', ARGV[2] .. number) == 1 do
  seq = redis.call('INCR', KEYS[2])
  number = ARGV[1] .. string.format('%04d', seq)
end
local lead = ARGV[2] .. number
redis.call('HSET', lead, 'number', number, unpack(cjson.decode(ARGV[3])))
local created = tonumber(ARGV[5])
redis.call('ZADD', KEYS[3], created, number)
redis.call('ZADD', KEYS[4], created, number)
if ARGV[6] ~= '' then redis.call('SADD', KEYS[5], number) end
redis.call('XADD', KEYS[6], '*', 'kind', 'lead', 'job', 'lead:' .. number, 'number', number)
redis.call('SET', KEYS[1], number, 'EX', tonumber(ARGV[7]))
redis.call('ZADD', KEYS[7], created, number)
redis.call('HINCRBY', KEYS[8], ARGV[8], 1)
-- the same-phone / same-company sets (lead_repeat), trimmed to the days a repeat is looked for
for i = 9, #KEYS do
  redis.call('ZADD', KEYS[i], created, number)
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', '(' .. ARGV[9])
  redis.call('EXPIRE', KEYS[i], tonumber(ARGV[10]))
end
return number
"""

_HANDOFF = """
if KEYS[2] ~= KEYS[1] then
  local existing = redis.call('GET', KEYS[2])
  if existing then return existing end
  redis.call('SET', KEYS[2], ARGV[1], 'EX', tonumber(ARGV[2]))
end
redis.call('XADD', KEYS[1], '*', unpack(cjson.decode(ARGV[3])))
return ARGV[1]
"""

_SET_STATUS = """
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('NOLEAD') end
local old = redis.call('HGET', KEYS[1], 'status')
local created = tonumber(redis.call('HGET', KEYS[1], 'created')) or 0
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'status_at', ARGV[2])
for i = 2, #KEYS do redis.call('ZREM', KEYS[i], ARGV[3]) end
redis.call('ZADD', KEYS[1 + tonumber(ARGV[4])], created, ARGV[3])
return old
"""

# KEYS[1] the user's lead set, KEYS[2..n+1] the leads, then the same-phone/company sets they are
# filed under; ARGV: now, n, then the numbers.
_ERASE = """
local count = 0
local n = tonumber(ARGV[2])
for i = n + 2, #KEYS do redis.call('ZREM', KEYS[i], unpack(ARGV, 3, n + 2)) end
for i = 2, n + 1 do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    for _, slot in ipairs({PERSONAL}) do
      if redis.call('HEXISTS', KEYS[i], slot) == 1 then redis.call('HSET', KEYS[i], slot, '""') end
    end
    redis.call('HSET', KEYS[i], 'transcript', '[]', 'openid', '', 'erased_at', ARGV[1])
    count = count + 1
  end
  redis.call('SREM', KEYS[1], ARGV[i + 1])
end
return count
""".replace("PERSONAL", ", ".join(f"'f:{slot}'" for slot in PERSONAL_SLOTS))

# Put a dead letter's job back on the outbox: one step, so it is never in both or neither.
_REQUEUE = """
local entry = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #entry == 0 then return false end
local fields = entry[1][2]
local payload
for i = 1, #fields, 2 do if fields[i] == 'payload' then payload = fields[i + 1] end end
if not payload then return false end
local id = redis.call('XADD', KEYS[2], '*', unpack(cjson.decode(payload)))
redis.call('XDEL', KEYS[1], ARGV[1])
return id
"""


# KEYS: outbox, dead letters   ARGV: how many outbox ids, then the outbox ids, then the dead ids
_WITHDRAW = """
local n = tonumber(ARGV[1])
if n > 0 then redis.call('XDEL', KEYS[1], unpack(ARGV, 2, n + 1)) end
if #ARGV > n + 1 then redis.call('XDEL', KEYS[2], unpack(ARGV, n + 2)) end
return 1
"""


def shanghai_day(ts: float) -> str:
    # asked several times a message (lead numbers, the funnel's day counters); Shanghai's offset
    # is whole hours, so every moment of one hour falls on the same day there
    return _shanghai_day_of_hour(int(ts // 3600))


@lru_cache(maxsize=64)
def _shanghai_day_of_hour(hour: int) -> str:
    return datetime.fromtimestamp(hour * 3600, SHANGHAI).strftime("%Y%m%d")


def _clean_value(name: str, value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        return value[:VALUE_LIMIT]
    raise ValueError(f"lead field {name!r} must be text or a number, not {type(value).__name__}")


def clean_transcript(transcript: list[dict] | None) -> list[dict]:
    """The last turns, each reduced to ``{t, who, text}`` so nothing else rides along."""
    out = []
    for turn in list(transcript or [])[-TRANSCRIPT_LIMIT:]:
        if not isinstance(turn, dict):
            raise ValueError("each transcript turn must be a mapping with t, who and text")
        t = turn.get("t")
        out.append({
            "t": t if isinstance(t, (int, float)) and not isinstance(t, bool) else None,
            "who": str(turn.get("who") or "")[:20],
            "text": str(turn.get("text") or "")[:TEXT_LIMIT],
        })
    return out


def _loads(raw: str | None, default: Any) -> Any:
    if raw is None:
        return default
    try:
        return json.loads(raw)
    except ValueError:
        return default


class LeadStore:
    def __init__(self, client: redis.Redis, keys: Keys, *, now: Callable[[], float] = time.time):
        self.r = client
        self.keys = keys
        self.now = now
        self._submit = client.register_script(_SUBMIT)
        self._handoff = client.register_script(_HANDOFF)
        self._set_status = client.register_script(_SET_STATUS)
        self._erase = client.register_script(_ERASE)
        self._requeue = client.register_script(_REQUEUE)
        self._withdraw = client.register_script(_WITHDRAW)
        # lead_repeat's: a repeat's few candidates in one command; many leads' fields, once
        self.repeat_candidates = client.register_script(CANDIDATES_SCRIPT)
        self.fields_of = client.register_script(FIELDS_OF)

    # writing -----------------------------------------------------------------------
    def submit(self, *, form_id: str, openid: str, fields: dict, listings: list[str],
               transcript: list[dict], source: str, channel: str = "", first_source: str = "") -> str:
        """Store a lead and queue its notification; the same ``form_id`` again returns the same number.

        ``source`` is the campaign that brought the user (or the channel when none did), ``channel``
        where they talked (wechat, web, cli), ``first_source`` the campaign that brought them first.
        """
        if not isinstance(form_id, str) or not form_id.strip():
            raise ValueError("form_id must be a non-empty string")
        if not isinstance(fields, dict) or len(fields) > 40:
            raise ValueError("fields must be a mapping of at most 40 slot names to values")
        created = self.now()
        repeat_of = find_repeat(self, str(fields.get("phone") or ""), str(fields.get("company") or ""), created)
        values: list[str] = [
            "openid", openid or "",
            "status", "new",
            "source", (source or "")[:VALUE_LIMIT],
            "channel", (channel or "")[:40],
            "first_source", (first_source or "")[:VALUE_LIMIT],
            "created", repr(float(created)),
            "form_id", form_id,
            "listings", json.dumps([str(x) for x in (listings or [])][:50], ensure_ascii=False),
            "transcript", json.dumps(clean_transcript(transcript), ensure_ascii=False),
        ]
        if repeat_of:
            values += ["repeat_of", repeat_of]
        for name, value in fields.items():
            if not isinstance(name, str) or not _SLOT_NAME.fullmatch(name):
                raise ValueError(f"lead field name {name!r} must be lower-case ascii")
            values += [f"f:{name}", json.dumps(_clean_value(name, value), ensure_ascii=False)]
        k = self.keys
        return self._submit(
            keys=[k.lead_form(form_id), k.lead_seq(shanghai_day(created)), k.lead_index(),
                  k.lead_status("new"), k.user_leads(openid or "-"), k.outbox(),
                  k.lead_source((source or "")[:VALUE_LIMIT]), k.lead_sources(),
                  *same_sets(k, str(fields.get("phone") or ""), str(fields.get("company") or ""))],
            args=["L" + shanghai_day(created) + "-", k.lead_prefix(), json.dumps(values, ensure_ascii=False),
                  SEQ_TTL, repr(float(created)), openid or "", FORM_TTL, (source or "")[:VALUE_LIMIT],
                  repr(float(created) - REPEAT_DAYS * 86400), REPEAT_TTL],
        )

    def alert_handoff(self, *, openid: str, transcript: list[dict], source: str,
                      dedup_key: str | None = None, link: str = "") -> str:
        """Queue a "wants a human" alert; returns its job id (the earlier one for a repeated ``dedup_key``).
        ``link``: the conversation on the admin page, for staff to open."""
        job = f"handoff:{uuid.uuid4().hex}"
        payload = [
            "kind", "handoff", "job", job, "openid", openid or "", "source", source or "",
            "created", repr(float(self.now())),
            "transcript", json.dumps(clean_transcript(transcript), ensure_ascii=False),
        ]
        if link:
            payload += ["link", link]
        outbox = self.keys.outbox()
        dedup = self.keys.handoff_dedup(dedup_key) if dedup_key else outbox
        return self._handoff(keys=[outbox, dedup],
                             args=[job, HANDOFF_DEDUP_TTL, json.dumps(payload, ensure_ascii=False)])

    def set_status(self, number: str, status: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
        try:
            self._set_status(
                keys=[self.keys.lead(number), *(self.keys.lead_status(s) for s in STATUSES)],
                args=[status, repr(float(self.now())), number, STATUSES.index(status) + 1],
            )
        except redis.exceptions.ResponseError as exc:
            if "NOLEAD" in str(exc):
                raise ValueError(f"unknown lead {number!r}") from None
            raise

    def erase_personal(self, openid: str) -> int:
        """Blank the personal fields of every lead of ``openid``; returns how many leads.

        A "wants a human" alert not yet delivered carries the user's transcript in the outbox
        itself; it is withdrawn (and its dead letters dropped) rather than sent after the user
        asked to be forgotten.
        """
        if not openid:
            return 0
        self._withdraw_handoffs(openid)
        numbers = sorted(self.r.smembers(self.keys.user_leads(openid)))
        if not numbers:
            return 0
        # the sets they are filed under, from their phone and company read in one command
        filed = self.fields_of(keys=[self.keys.lead(n) for n in numbers], args=("f:phone", "f:company"))
        sets = sorted({name for phone, company in filed
                       for name in same_sets(self.keys, field_text(phone), field_text(company))})
        return int(self._erase(keys=[self.keys.user_leads(openid), *(self.keys.lead(n) for n in numbers), *sets],
                               args=[repr(float(self.now())), len(numbers), *numbers]))

    def _withdraw_handoffs(self, openid: str) -> None:
        outbox, dead = self.keys.outbox(), self.keys.dead_letters()
        doomed = [entry_id for entry_id, fields in self.r.xrange(outbox)
                  if fields.get("kind") == "handoff" and fields.get("openid") == openid]
        dead_doomed = [entry_id for entry_id, fields in self.r.xrange(dead)
                       if openid in (fields.get("payload") or "") and "handoff" in (fields.get("payload") or "")]
        if doomed or dead_doomed:
            self._withdraw(keys=[outbox, dead], args=[len(doomed), *doomed, *dead_doomed])
        if doomed:
            try:
                self.r.xack(outbox, GROUP, *doomed)
            except redis.exceptions.ResponseError:
                pass  # no worker has created the group yet: nothing is pending

    def add_dead_letter(self, fields: dict[str, str]) -> str:
        return self.r.xadd(self.keys.dead_letters(), fields)

    def requeue_dead_letter(self, entry_id: str) -> str | None:
        """Put a dead letter back on the outbox; channels that already delivered it stay silent."""
        return self._requeue(keys=[self.keys.dead_letters(), self.keys.outbox()], args=[entry_id])

    # reading -----------------------------------------------------------------------
    def get(self, number: str) -> dict | None:
        return self._decode(self.r.hgetall(self.keys.lead(number)))

    def list(self, status: str | None = None, limit: int = 200, source: str | None = None) -> list[dict]:
        """Newest first; only ``status`` and/or only ``source`` (a campaign's name, or a channel) when given."""
        if status is not None and status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
        limit = max(limit, 1)
        if source is not None:
            numbers = self.r.zrevrange(self.keys.lead_source(source), 0, -1 if status else limit - 1)
        else:
            index = self.keys.lead_status(status) if status else self.keys.lead_index()
            numbers = self.r.zrevrange(index, 0, limit - 1)
        pipe = self.r.pipeline(transaction=False)
        for number in numbers:
            pipe.hgetall(self.keys.lead(number))
        leads = [lead for lead in map(self._decode, pipe.execute()) if lead]
        if source is not None and status:
            leads = [lead for lead in leads if lead["status"] == status][:limit]
        return leads

    def new_created_before(self, newest: float) -> list[tuple[str, float]]:
        """(number, created) of every lead still ``new`` that came in by ``newest``, oldest first."""
        return self.r.zrangebyscore(self.keys.lead_status("new"), "-inf", repr(newest), withscores=True)

    def count_by_source(self) -> dict[str, int]:
        """How many leads each source brought, most first (for the admin page's filter and counts)."""
        counts = {name: int(n) for name, n in self.r.hgetall(self.keys.lead_sources()).items() if int(n) > 0}
        return dict(sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])))

    def dead_letters(self, limit: int = 100) -> list[dict]:
        """Newest first; each with its stream ``id`` and the failing ``channel`` and ``error``."""
        out = []
        for entry_id, fields in self.r.xrevrange(self.keys.dead_letters(), count=limit):
            item = {k: v for k, v in fields.items() if k != "payload"}
            item["id"] = entry_id
            out.append(item)
        return out

    def stats(self) -> dict:
        pipe = self.r.pipeline(transaction=False)
        for status in STATUSES:
            pipe.zcard(self.keys.lead_status(status))
        pipe.zcard(self.keys.lead_index())
        pipe.xlen(self.keys.outbox())
        pipe.xlen(self.keys.dead_letters())
        *per_status, total, pending, dead = pipe.execute()
        return {"leads": total, "by_status": dict(zip(STATUSES, per_status)),
                "outbox_pending": pending, "dead_letters": dead}

    @staticmethod
    def _decode(raw: dict[str, str]) -> dict | None:
        if not raw:
            return None
        fields = {name[2:]: _loads(value, value) for name, value in raw.items() if name.startswith("f:")}
        try:
            created = float(raw.get("created") or 0)
        except ValueError:
            created = 0.0
        return {
            "number": raw.get("number", ""),
            "status": raw.get("status", "new"),
            "source": raw.get("source", ""),
            "channel": raw.get("channel", ""),
            "first_source": raw.get("first_source", ""),
            "openid": raw.get("openid", ""),
            "created": created,
            "fields": fields,
            "listings": _loads(raw.get("listings"), []),
            "transcript": _loads(raw.get("transcript"), []),
            "erased": bool(raw.get("erased_at")),
            "assignee": raw.get("assignee", ""),
            "repeat_of": raw.get("repeat_of", ""),
            "reminded_at": float(raw.get("reminded_at") or 0) or None,
        }
