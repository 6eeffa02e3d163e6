"""Questions the bot could not answer, counted for admins (text, count, last seen, open or covered).

A question stays in the log after the admin adds an answer for it; once a reload's knowledge
answers it, it is marked covered (with the entry that answers it), so the admin sees which
questions are still open. Asked again and unanswered again, it is open again.
"""
from __future__ import annotations

import time
from typing import Callable

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
        pipe.hdel(self.keys.unanswered("covered"), key)
        pipe.execute()

    def mark_covered(self, answers: Callable[[str], str | None], limit: int = 2000) -> int:
        """Mark each logged question the knowledge now answers (``answers(text)`` -> entry id or None).

        Questions it no longer answers (an entry was removed) are open again. Returns how many
        are covered.
        """
        rows = self.r.zrevrange(self.keys.unanswered("counts"), 0, limit - 1)
        if not rows:
            return 0
        texts = self.r.hmget(self.keys.unanswered("text"), rows)
        covered, reopened = {}, []
        for key, text in zip(rows, texts):
            entry = answers(text or key)
            if entry:
                covered[key] = entry
            else:
                reopened.append(key)
        pipe = self.r.pipeline(transaction=True)
        if covered:
            pipe.hset(self.keys.unanswered("covered"), mapping=covered)
        if reopened:
            pipe.hdel(self.keys.unanswered("covered"), *reopened)
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
