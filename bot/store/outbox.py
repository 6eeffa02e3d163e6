"""The notification outbox as the worker reads it: the stream's consumer group, the retry schedule,
per-job leases and per-(job, channel) state. The worker (bot/leads/worker.py) decides; this stores.

Keys of one job share the ``{leads}`` slot, so the scripts here run on a Redis Cluster too.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

import redis

from .keys import Keys
from .leads import GROUP
from .scripts import DROP_IF_SAME

DELIVERED_TTL = 30 * 24 * 3600  # outlives any retry schedule and any requeued dead letter
CONSUMER_IDLE_MS = 24 * 3600 * 1000

# KEYS: outbox, retry schedule[, job state]   ARGV: entry id, group
# One script (not MULTI, which redis-py's cluster client lacks): the keys share the {leads} slot.
_FINISH = """
redis.call('XACK', KEYS[1], ARGV[2], ARGV[1])
redis.call('XDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if KEYS[3] then redis.call('DEL', KEYS[3]) end
return 1
"""


class OutboxGone(Exception):
    """The outbox stream (and its consumer group) was deleted under the worker."""


class Outbox:
    def __init__(self, client: redis.Redis, keys: Keys, consumer: str, *, now: Callable[[], float],
                 batch: int, claim_idle_ms: int, lease_ms: int):
        self.r, self.keys, self.consumer, self.now = client, keys, consumer, now
        self.batch, self.claim_idle_ms, self.lease_ms = batch, claim_idle_ms, lease_ms
        self._release = client.register_script(DROP_IF_SAME)
        self._finish_job = client.register_script(_FINISH)
        self._claim_cursor = "0-0"

    def ensure_group(self) -> None:
        try:
            self.r.xgroup_create(self.keys.outbox(), GROUP, id="0", mkstream=True)
        except redis.exceptions.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def collect(self) -> list[tuple[str, dict | None]]:
        """New jobs, jobs whose retry is due, and jobs a dead worker left behind (None: gone from the stream)."""
        try:
            return self._collect()
        except redis.exceptions.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            raise OutboxGone() from None

    def _collect(self) -> list[tuple[str, dict | None]]:
        outbox = self.keys.outbox()
        found: dict[str, dict | None] = {}
        for _stream, entries in self.r.xreadgroup(GROUP, self.consumer, {outbox: ">"}, count=self.batch) or []:
            found.update(entries)
        due = self.r.zrangebyscore(self.keys.retry_schedule(), "-inf", repr(self.now()), start=0, num=self.batch)
        due = [i for i in due if i not in found]
        if due:
            claimed = dict(self.r.xclaim(outbox, GROUP, self.consumer, 0, due))
            for entry_id in due:
                found[entry_id] = claimed.get(entry_id)  # None: gone from the stream
        reply = self.r.xautoclaim(outbox, GROUP, self.consumer, self.claim_idle_ms,
                                  start_id=self._claim_cursor, count=self.batch)
        self._claim_cursor = reply[0] or "0-0"
        for entry_id, fields in reply[1]:
            if entry_id is not None:
                found.setdefault(entry_id, fields)
        for entry_id in reply[2] if len(reply) > 2 else []:
            found.setdefault(entry_id, None)
        return list(found.items())

    def prune_consumers(self) -> None:
        """Forget consumers of restarted workers: each run of ``parkbot worker`` has a new name."""
        for info in self.r.xinfo_consumers(self.keys.outbox(), GROUP):
            if info["name"] != self.consumer and not info["pending"] and info["idle"] > CONSUMER_IDLE_MS:
                # a live worker idle that long just comes back on its next read
                self.r.xgroup_delconsumer(self.keys.outbox(), GROUP, info["name"])

    @contextmanager
    def lease(self, job: str, token: str) -> Iterator[bool]:
        """A short lease on ``job`` (False: another worker has it right now), released afterwards."""
        lease = self.keys.job_lease(job)
        if not self.r.set(lease, token, nx=True, px=self.lease_ms):
            yield False
            return
        try:
            yield True
        finally:
            self._release(keys=[lease], args=[token])

    # one job's state: a:<channel> attempts, d:<channel> next due, e:<channel> last error, x:<channel> given up
    def job_state(self, job: str) -> dict[str, str]:
        return self.r.hgetall(self.keys.job_state(job))

    def was_delivered(self, job: str, channel: str) -> bool:
        return bool(self.r.exists(self.keys.delivered(job, channel)))

    def mark_delivered(self, job: str, channel: str) -> None:
        self.r.set(self.keys.delivered(job, channel), self.consumer, ex=DELIVERED_TTL)

    def defer(self, job: str, channel: str, due: float, error: str | None = None) -> None:
        values = {f"d:{channel}": repr(due)} | ({f"e:{channel}": error} if error is not None else {})
        self.r.hset(self.keys.job_state(job), mapping=values)

    def count_attempt(self, job: str, channel: str) -> int:
        return int(self.r.hincrby(self.keys.job_state(job), f"a:{channel}", 1))

    def give_up(self, job: str, channel: str) -> None:
        self.r.hset(self.keys.job_state(job), f"x:{channel}", "1")

    def schedule_retry(self, entry_id: str, due: float) -> None:
        self.r.zadd(self.keys.retry_schedule(), {entry_id: due})

    def finish(self, entry_id: str, job: str | None) -> None:
        keys = [self.keys.outbox(), self.keys.retry_schedule()] + ([self.keys.job_state(job)] if job else [])
        self._finish_job(keys=keys, args=[entry_id, GROUP])
