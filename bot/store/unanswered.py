"""Questions the bot could not answer, counted for admins (text, count, last seen)."""
from __future__ import annotations

import time

import redis

from .keys import Keys


class UnansweredLog:
    def __init__(self, client: redis.Redis, keys: Keys, *, now=time.time):
        self.r, self.keys, self.now = client, keys, now

    def record(self, text: str, normalized: str) -> None:
        key = (normalized or text).strip()[:200]
        if not key:
            return
        pipe = self.r.pipeline(transaction=True)
        pipe.zincrby(self.keys.unanswered("counts"), 1, key)
        pipe.hset(self.keys.unanswered("text"), key, text.strip()[:200])
        pipe.hset(self.keys.unanswered("last"), key, int(self.now()))
        pipe.execute()

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
