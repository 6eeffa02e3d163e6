"""Questions the bot could not answer, counted for admins (text, count, last seen, open or covered).

A question stays in the log after the admin adds an answer for it; once a reload's knowledge
answers it, it is marked covered (with the entry that answers it), so the admin sees which
questions are still open. Asked again and unanswered again, it is open again.
"""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from typing import Callable

import redis

from .keys import Keys


STATES = ("open", "resolved", "dismissed")
DAY_TTL = 31 * 24 * 3600
_SHANGHAI = timezone(timedelta(hours=8))
# KEYS: counts, texts, last seen, today's counts, covered   ARGV: key, text, now, day TTL (all in the {unanswered} slot)
_RECORD = """
redis.call('ZINCRBY', KEYS[1], 1, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('HINCRBY', KEYS[4], ARGV[1], 1)
redis.call('EXPIRE', KEYS[4], ARGV[4])
redis.call('HDEL', KEYS[5], ARGV[1])
return 1
"""


class UnansweredLog:
    def __init__(self, client: redis.Redis, keys: Keys, *, now=time.time):
        self.r, self.keys, self.now = client, keys, now
        self._record = client.register_script(_RECORD)

    def record(self, text: str, normalized: str) -> None:
        key = (normalized or text).strip()[:200]
        if not key:
            return
        k = self.keys
        # per day too, for the 7- and 30-day counts; asked and unanswered again, it is open again
        self._record(keys=[k.unanswered("counts"), k.unanswered("text"), k.unanswered("last"), self._day_key(self.now()),
                           k.unanswered("covered")],
                     args=[key, text.strip()[:200], int(self.now()), DAY_TTL])

    def queue_record(self, pipe, text: str, normalized: str) -> None:
        """:meth:`record` as commands on ``pipe``, to ride on a message's closing write."""
        key = (normalized or text).strip()[:200]
        if not key:
            return
        k, now = self.keys, self.now()
        day = self._day_key(now)
        pipe.zincrby(k.unanswered("counts"), 1, key)
        pipe.hset(k.unanswered("text"), key, text.strip()[:200])
        pipe.hset(k.unanswered("last"), key, int(now))
        pipe.hincrby(day, key, 1)
        pipe.expire(day, DAY_TTL)
        pipe.hdel(k.unanswered("covered"), key)

    def mark_covered(self, answers: Callable[[str], str | None], limit: int = 2000, *,
                     version: str | None = None) -> int | None:
        """Mark each logged question the knowledge now answers (``answers(text)`` -> entry id or None).

        Questions it no longer answers (an entry was removed) are open again. Returns how many
        are covered. With ``version`` (the knowledge version and the code that reads it), done once
        per version: a restart or another worker on the version the marks were made with finds
        nothing to change (a question logged since was logged because that version did not answer
        it) and returns None without matching up to ``limit`` questions again.
        """
        done = self.keys.unanswered("covered_for")
        if version is not None and self.r.get(done) == version:
            return None
        rows = self.r.zrevrange(self.keys.unanswered("counts"), 0, limit - 1)
        texts = self.r.hmget(self.keys.unanswered("text"), rows) if rows else []
        covered, reopened = {}, []
        for key, text in zip(rows, texts):
            entry = answers(text or key)
            if entry:
                covered[key] = entry
            else:
                reopened.append(key)
        pipe = self.r.pipeline(transaction=False)  # one hash, two commands: either order is right
        if covered:
            pipe.hset(self.keys.unanswered("covered"), mapping=covered)
        if reopened:
            pipe.hdel(self.keys.unanswered("covered"), *reopened)
        if version is not None:  # after the marks, in the same round trip
            pipe.set(done, version)
        pipe.execute()
        return len(covered)

    def top(self, limit: int = 100) -> list[dict]:
        rows = self.r.zrevrange(self.keys.unanswered("counts"), 0, limit - 1, withscores=True)
        if not rows:
            return []
        keys = [k for k, _ in rows]
        pipe = self.r.pipeline(transaction=False)
        pipe.hmget(self.keys.unanswered("text"), keys)
        pipe.hmget(self.keys.unanswered("last"), keys)
        pipe.hmget(self.keys.unanswered("covered"), keys)
        texts, lasts, covered = pipe.execute()
        return [
            {"text": text or key, "normalized": key, "count": int(count), "last_seen": int(last or 0),
             "state": "covered" if entry else "open", "answered_by": entry}
            for (key, count), text, last, entry in zip(rows, texts, lasts, covered)
        ]

    # --- the admin's work on them: resolved (with the FAQ entry that answers), dismissed ------
    def _day_key(self, ts: float) -> str:
        return self.keys.unanswered(f"day:{datetime.fromtimestamp(ts, _SHANGHAI):%Y%m%d}")

    def _states_key(self) -> str:
        return self.keys.unanswered("state")

    def set_state(self, key: str, state: str, *, who: str, faq: str | None = None) -> bool:
        """Mark the question ``key`` (its normalised text) resolved by ``faq``, dismissed, or open again.

        False when no such question was recorded; nothing is written then.
        """
        if state not in STATES:
            raise ValueError(f"unknown state {state!r}; use one of {', '.join(STATES)}")
        if state == "resolved" and not faq:
            raise ValueError("a resolved question names the FAQ entry that answers it")
        if self.r.zscore(self.keys.unanswered("counts"), key) is None:
            return False
        if state == "open":
            self.r.hdel(self._states_key(), key)
        else:
            record = {"state": state, "faq": faq or "", "by": who, "at": int(self.now())}
            self.r.hset(self._states_key(), key, json.dumps(record, ensure_ascii=False))
        return True

    def states(self, keys: list[str]) -> list[dict]:
        if not keys:
            return []
        out = []
        for raw in self.r.hmget(self._states_key(), keys):
            try:
                value = json.loads(raw) if raw else {}
            except ValueError:
                value = {}
            out.append(value if isinstance(value, dict) else {})
        return out

    def recent_counts(self, keys: list[str], days: int) -> list[int]:
        """How often each question was asked in the last ``days`` days (today included)."""
        if not keys:
            return []
        pipe = self.r.pipeline(transaction=False)
        for i in range(days):
            pipe.hmget(self._day_key(self.now() - i * 86400), keys)
        totals = [0] * len(keys)
        for values in pipe.execute():
            for j, value in enumerate(values):
                totals[j] += int(value or 0)
        return totals

    def items(self, limit: int = 100, state: str | None = None) -> list[dict]:
        """``top`` with each question's state, FAQ, who set it, and its 7- and 30-day counts."""
        rows = self.top(limit if state is None else max(limit, 1000))
        keys = [row["normalized"] for row in rows]
        week, month = self.recent_counts(keys, 7), self.recent_counts(keys, 30)
        out = []
        for row, record, n7, n30 in zip(rows, self.states(keys), week, month):
            # an admin's resolve / dismiss wins; otherwise covered when a reload's knowledge answers it
            item = {**row, "state": record.get("state", row["state"]), "faq": record.get("faq") or row["answered_by"] or "",
                    "by": record.get("by", ""), "at": record.get("at", 0), "count_7d": n7, "count_30d": n30}
            if state is None or item["state"] == state:
                out.append(item)
        return out[:limit]
