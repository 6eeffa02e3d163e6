"""Questions the bot could not answer, counted for admins (text, count, last seen)."""
from __future__ import annotations

import time

import redis

from .keys import Keys


# KEYS: counts, texts, last seen   ARGV: key, text, now (all in the {unanswered} slot)
_RECORD = """
redis.call('ZINCRBY', KEYS[1], 1, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
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
        self._record(keys=[k.unanswered("counts"), k.unanswered("text"), k.unanswered("last")],
                     args=[key, text.strip()[:200], int(self.now())])

    def top(self, limit: int = 100) -> list[dict]:
        rows = self.r.zrevrange(self.keys.unanswered("counts"), 0, limit - 1, withscores=True)
        if not rows:
            return []
        keys = [k for k, _ in rows]
        pipe = self.r.pipeline(transaction=False)
        pipe.hmget(self.keys.unanswered("text"), keys)
        pipe.hmget(self.keys.unanswered("last"), keys)
        texts, lasts = pipe.execute()
        return [
            {"text": text or key, "normalized": key, "count": int(count), "last_seen": int(last or 0)}
            for (key, count), text, last in zip(rows, texts, lasts)
        ]
