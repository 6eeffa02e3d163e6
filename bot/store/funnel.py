"""Conversation funnel counters for the admin page: how many chats become searches, forms, leads.

One hash of all-time totals plus one hash per Asia/Shanghai day (kept ``DAY_TTL``), both in
the ``{leads}`` hash slot. Counting is best effort: a Redis hiccup while counting must never
cost a user their reply, so :meth:`Funnel.hit` swallows Redis errors (and logs them).
"""
from __future__ import annotations

import logging
import time
from typing import Callable

import redis

from .connection import atomic
from .keys import Keys
from .lead_terms import STAGES
from .leads import shanghai_day

log = logging.getLogger(__name__)

DAY_TTL = 90 * 24 * 3600


# KEYS: total, today   ARGV: stage, count, day ttl. A script, not MULTI: one slot, legal on a Cluster.
_HIT = """
redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[2], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1
"""


class Funnel:
    def __init__(self, client: redis.Redis, keys: Keys, *, now: Callable[[], float] = time.time):
        self.r, self.keys, self.now = client, keys, now
        self._hit = client.register_script(_HIT)

    def _total_key(self) -> str:
        return self.keys.funnel("total")

    def _day_key(self, day: str) -> str:
        return self.keys.funnel(f"day:{day}")

    def hit(self, stage: str, count: int = 1) -> None:
        """Count one (or ``count``) of ``stage``; an unknown stage is a programming error."""
        if stage not in STAGES:
            raise ValueError(f"unknown funnel stage {stage!r}; use one of {', '.join(STAGES)}")
        day = self._day_key(shanghai_day(self.now()))
        try:
            self._hit(keys=[self._total_key(), day], args=[stage, count, DAY_TTL])
        except redis.RedisError as exc:
            log.warning("funnel counter %s not counted: %s", stage, exc)

    def queue_hit(self, pipe, stage: str) -> None:
        """:meth:`hit` as commands on ``pipe``, to ride on a message's closing write."""
        if stage not in STAGES:
            raise ValueError(f"unknown funnel stage {stage!r}; use one of {', '.join(STAGES)}")
        day = self._day_key(shanghai_day(self.now()))
        pipe.hincrby(self._total_key(), stage, 1)
        pipe.hincrby(day, stage, 1)
        pipe.expire(day, DAY_TTL)

    def counts(self, days: int = 7) -> dict:
        """``{"total": {stage: n}, "today": {stage: n}, "days": {stage: n}}`` (``days`` includes today)."""
        now = self.now()
        day_keys = [self._day_key(shanghai_day(now - i * 86400)) for i in range(max(days, 1))]
        pipe = self.r.pipeline(transaction=False)
        pipe.hmget(self._total_key(), STAGES)
        for key in day_keys:
            pipe.hmget(key, STAGES)
        total, *per_day = pipe.execute()

        def as_counts(values) -> dict[str, int]:
            return {stage: int(v or 0) for stage, v in zip(STAGES, values)}

        recent = {stage: 0 for stage in STAGES}
        for values in per_day:
            for stage, n in as_counts(values).items():
                recent[stage] += n
        return {"total": as_counts(total), "today": as_counts(per_day[0]), "days": recent, "window": len(day_keys)}

    # --- the form, question by question -------------------------------------------------
    FIELD_KINDS = ("reached", "left")

    def field_hit(self, kind: str, name: str) -> None:
        """A prospect reached the form question ``name`` (once per form), or left the form at it."""
        if kind not in self.FIELD_KINDS or not name:
            raise ValueError(f"unknown form funnel count {kind!r} for {name!r}")
        day = self.keys.funnel(f"fields:day:{shanghai_day(self.now())}")
        try:
            pipe = atomic(self.r)
            pipe.hincrby(self.keys.funnel("fields:total"), f"{kind}:{name}", 1)
            pipe.hincrby(day, f"{kind}:{name}", 1)
            pipe.expire(day, DAY_TTL)
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("form funnel %s %s not counted: %s", kind, name, exc)

    def queue_field_hit(self, pipe, kind: str, name: str) -> None:
        """:meth:`field_hit` as commands on ``pipe``, to ride on a message's closing write."""
        if kind not in self.FIELD_KINDS or not name:
            raise ValueError(f"unknown form funnel count {kind!r} for {name!r}")
        day = self.keys.funnel(f"fields:day:{shanghai_day(self.now())}")
        pipe.hincrby(self.keys.funnel("fields:total"), f"{kind}:{name}", 1)
        pipe.hincrby(day, f"{kind}:{name}", 1)
        pipe.expire(day, DAY_TTL)

    def fields(self, names: tuple[str, ...], days: int | None = None) -> list[dict]:
        """Per question in ``names`` order: reached, left, and the share of those who reached it who left."""
        if days is None:
            hashes = [self.r.hgetall(self.keys.funnel("fields:total"))]
        else:
            pipe = self.r.pipeline(transaction=False)
            for i in range(max(days, 1)):
                pipe.hgetall(self.keys.funnel(f"fields:day:{shanghai_day(self.now() - i * 86400)}"))
            hashes = pipe.execute()
        rows = []
        for name in names:
            reached = sum(int(h.get(f"reached:{name}") or 0) for h in hashes)
            left = sum(int(h.get(f"left:{name}") or 0) for h in hashes)
            rows.append({"field": name, "reached": reached, "left": left,
                         "left_share": round(100 * left / reached) if reached else 0})
        return rows
