"""Repeat inquiries (防撞单): the newest lead of the last 90 days with the same phone or company.

Looking one up must not grow with the account: scanning every lead of 90 days made each
submitted form read hundreds of leads by the end of a busy quarter. Instead each lead is filed
under its phone and its company in two small sorted sets (number → created), written by the
submit script with the lead itself and trimmed to 90 days there, so a lookup reads the newest
few entries of at most two sets and the fields of those few leads, in one command.

The sets are named by a digest of the normalised phone or company, not the value itself: a key
name is seen by anyone listing keys and is not erased with the lead's fields. Erasing a user's
leads takes their numbers out of the sets too; a candidate is still checked against the lead's
current fields, so an entry left behind (an erasure cut short, a digest collision) never links
two leads that do not match.

Leads written before the sets existed are filed the first time a lookup finds the sets' marker
missing: that one lookup scans the 90 days as before. A restore files each lead it writes.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import TYPE_CHECKING

from .lead_search import field_text, fold

if TYPE_CHECKING:
    from .keys import Keys
    from .leads import LeadStore

REPEAT_DAYS = 90
REPEAT_TTL = (REPEAT_DAYS + 1) * 86400  # a set nobody adds to for 90 days holds nothing worth keeping
CANDIDATES = 5  # newest entries read per set: enough to step over one erased or mismatched entry
_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团公司", "集团", "公司")
_NOT_DIGIT = re.compile(r"\D")
_ROW_FIELDS = ("number", "created", "f:phone", "f:company")  # what the candidates script reads too

# KEYS[1] the sets' marker, KEYS[2..] the same-phone / same-company sets   ARGV: oldest created
# kept, the lead key prefix, how many per set. Returns false when the sets were never filled.
CANDIDATES_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local out = {}
for i = 2, #KEYS do
  local numbers = redis.call('ZREVRANGEBYSCORE', KEYS[i], '+inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
  for _, number in ipairs(numbers) do
    local row = redis.call('HMGET', ARGV[2] .. number, 'number', 'created', 'f:phone', 'f:company')
    out[#out + 1] = row
  end
end
return out
"""

# KEYS: leads (one hash slot, the {leads} tag)   ARGV: field names. Each lead's fields in one
# command: only for filling the sets once, from the leads of the last 90 days.
FIELDS_OF = """
local out = {}
for i, key in ipairs(KEYS) do out[i] = redis.call('HMGET', key, unpack(ARGV)) end
return out
"""


def company_key(text: str) -> str:
    """海智源有限公司 and 海智源公司 are one company; an empty key matches nothing."""
    key = fold(text)
    for suffix in _SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix) + 1:
            key = key[: -len(suffix)]
            break
    return key if len(key) >= 2 and key not in _SUFFIXES else ""


def phone_key(text: str) -> str:
    digits = _NOT_DIGIT.sub("", unicodedata.normalize("NFKC", text or ""))
    return digits[-11:] if len(digits) >= 7 else ""


def _set_name(keys: Keys, kind: str, value: str) -> str:
    return keys.lead_same(hashlib.blake2b(f"{kind}:{value}".encode(), digest_size=12).hexdigest())


def same_sets(keys: Keys, phone: str, company: str) -> list[str]:
    """The sets a lead with this phone and company is filed under (none for blank values)."""
    want_phone, want_company = phone_key(phone), company_key(company)
    return ([_set_name(keys, "phone", want_phone)] if want_phone else []) + (
        [_set_name(keys, "company", want_company)] if want_company else [])


def _matches(row, want_phone: str, want_company: str) -> bool:
    _number, _created, phone, company = row
    return bool((want_phone and phone_key(field_text(phone)) == want_phone)
                or (want_company and company_key(field_text(company)) == want_company))


def find_repeat(store: LeadStore, phone: str, company: str, now: float, days: int = REPEAT_DAYS) -> str | None:
    """The newest lead of the last ``days`` days with the same phone or the same company."""
    want_phone, want_company = phone_key(phone), company_key(company)
    if not want_phone and not want_company:
        return None
    oldest = now - days * 86400
    rows = store.repeat_candidates(keys=[store.keys.lead_same_marker(), *same_sets(store.keys, phone, company)],
                                   args=[repr(oldest), store.keys.lead_prefix(), CANDIDATES])
    if rows is None:
        rows = _file_recent(store, now)
    best: tuple[float, str] | None = None
    for row in rows:
        if not row[0] or not _matches(row, want_phone, want_company):
            continue
        created = float(row[1] or 0)
        if created >= oldest and (best is None or created > best[0]):
            best = (created, row[0])
    return best[1] if best else None


def _file_recent(store: LeadStore, now: float) -> list:
    """File the leads of the last 90 days under their sets and set the marker; returns their rows.

    Idempotent: several workers doing it at once add the same entries."""
    keys = store.keys
    numbers = store.r.zrevrangebyscore(keys.lead_index(), "+inf", repr(now - REPEAT_DAYS * 86400))
    rows = store.fields_of(keys=[keys.lead(n) for n in numbers], args=_ROW_FIELDS) if numbers else []
    pipe = store.r.pipeline(transaction=False)
    for number, created, phone, company in rows:
        if number:
            file_lead(pipe, keys, number, float(created or 0), field_text(phone), field_text(company))
    pipe.set(keys.lead_same_marker(), "1")
    pipe.execute()
    return rows


def file_lead(pipe, keys: Keys, number: str, created: float, phone: str, company: str) -> None:
    """File one lead under its sets (a restored lead; the submit script does this for new ones)."""
    for name in same_sets(keys, phone, company):
        pipe.zadd(name, {number: created})
        pipe.expire(name, REPEAT_TTL)
