"""The notification worker: takes jobs from the outbox stream and delivers them on every channel.

Guarantees, and how:

- *Nothing lost.* A job leaves the stream only when every channel has either delivered it or
  given up into the dead-letter stream. Until then it stays pending in the consumer group;
  a failed channel gets a next-due time (exponential backoff, in Redis, on the injected
  clock) and the job sits in a retry schedule (sorted set) that any worker serves. A worker
  that dies mid-job leaves the entry pending: ``XAUTOCLAIM`` hands it to a live worker once
  it has been idle for ``claim_idle_ms``.
- *Nothing doubled.* Right after a channel accepts a job, a per-(job, channel) key is set;
  every worker checks it before sending, so a worker killed between send and acknowledge
  does not send again through the one that takes over. A short lease per job keeps two
  live workers from sending it at the same moment. (The one window left is a crash between
  the far end accepting and that key being written: at-least-once, as every outbox is.)
- *Channels apart.* Attempts, due times and the delivered mark are per channel, so e-mail
  failing never re-sends the WeCom message.
- *Rate limits are not failures.* Over a channel's shared limit the job is just due later;
  no attempt is counted.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import redis

from bot.store.keys import Keys
from bot.store.leads import GROUP, LeadStore  # noqa: F401  (GROUP: also named from here)
from bot.store.takeover import ChannelHealth

from .channels import Channel
from .ratelimit import SharedRateLimit
from .render import Notice, mask_phone

log = logging.getLogger(__name__)

DELIVERED_TTL = 30 * 24 * 3600  # outlives any retry schedule and any requeued dead letter
PRUNE_EVERY = 600.0  # seconds between looks for consumers of workers long gone
CONSUMER_IDLE_MS = 24 * 3600 * 1000

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS: outbox, retry schedule[, job state]   ARGV: entry id, group
# One script (not MULTI, which redis-py's cluster client lacks): the keys share the {leads} slot.
_FINISH = """
redis.call('XACK', KEYS[1], ARGV[2], ARGV[1])
redis.call('XDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if KEYS[3] then redis.call('DEL', KEYS[3]) end
return 1
"""


def default_consumer() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Worker:
    def __init__(self, client: redis.Redis, keys: Keys, channels: Sequence[Channel], *,
                 now: Callable[[], float] = time.time, consumer: str | None = None,
                 max_attempts: int = 30, backoff_base: float = 2.0, backoff_cap: float = 300.0,
                 claim_idle_ms: int = 60_000, lease_ms: int = 60_000, batch: int = 50,
                 after_send: Callable[[str, str], None] | None = None,
                 periodic: Callable[[], Any] | None = None, periodic_every: float = 60.0):
        if max_attempts < 1 or backoff_base <= 0 or backoff_cap < backoff_base:
            raise ValueError("need max_attempts >= 1 and 0 < backoff_base <= backoff_cap")
        names = [c.name for c in channels]
        if len(set(names)) != len(names):
            raise ValueError(f"channel names must be unique, got {names}")
        self.r = client
        self.keys = keys
        self.channels = list(channels)
        self.now = now
        self.consumer = consumer or default_consumer()
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.claim_idle_ms = claim_idle_ms
        self.lease_ms = lease_ms
        self.batch = batch
        # called right after a channel's delivered mark is written (metrics; tests stop here)
        self.after_send = after_send
        # the follow-up reminders (bot/leads/followup.py), looked for every ``periodic_every`` seconds
        self.periodic, self.periodic_every, self._next_periodic = periodic, periodic_every, 0.0
        self.store = LeadStore(client, keys, now=now)
        self.limiter = SharedRateLimit(client)
        self.health = ChannelHealth(client, keys, now=now)  # read by the handoff reply and /healthz
        self._release = client.register_script(_RELEASE)
        self._finish_job = client.register_script(_FINISH)
        self._group_ready = False
        self._claim_cursor = "0-0"
        self._next_prune = time.monotonic() + PRUNE_EVERY

    # scheduling ----------------------------------------------------------------------
    def backoff(self, attempts: int) -> float:
        return min(self.backoff_cap, self.backoff_base * 2 ** max(attempts - 1, 0))

    def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            self.r.xgroup_create(self.keys.outbox(), GROUP, id="0", mkstream=True)
        except redis.exceptions.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    def _collect(self) -> list[tuple[str, dict | None]]:
        """New jobs, jobs whose retry is due, and jobs a dead worker left behind."""
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

    def run_once(self) -> dict[str, int]:
        """Process every job that is due now; returns counts of what happened."""
        counts = {"sent": 0, "failed": 0, "dead": 0, "deferred": 0, "done": 0}
        if not self.channels:
            return counts  # leave the jobs queued for a worker that has somewhere to send them
        self._ensure_group()
        try:
            entries = self._collect()
        except redis.exceptions.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            self._group_ready = False  # the stream was deleted under us; start again next round
            return counts
        for entry_id, fields in entries:
            self._process(entry_id, fields, counts)
        if time.monotonic() >= self._next_prune:
            self._prune_consumers()
        return counts

    def _prune_consumers(self) -> None:
        """Forget consumers of restarted workers: each run of ``parkbot worker`` has a new name."""
        self._next_prune = time.monotonic() + PRUNE_EVERY
        for info in self.r.xinfo_consumers(self.keys.outbox(), GROUP):
            if info["name"] != self.consumer and not info["pending"] and info["idle"] > CONSUMER_IDLE_MS:
                # a live worker idle that long just comes back on its next read
                self.r.xgroup_delconsumer(self.keys.outbox(), GROUP, info["name"])

    # one job ---------------------------------------------------------------------------
    def _process(self, entry_id: str, fields: dict | None, counts: dict[str, int]) -> None:
        if fields is None:  # deleted from the stream: nothing left to deliver
            self._finish(entry_id, None)
            return
        job = fields.get("job")
        if not job:
            self._dead(entry_id, fields, "-", 0, "malformed job (no job id)")
            counts["dead"] += 1
            self._finish(entry_id, None)
            return
        token = uuid.uuid4().hex
        lease = self.keys.job_lease(job)
        if not self.r.set(lease, token, nx=True, px=self.lease_ms):
            return  # another worker has it right now
        try:
            self._deliver(entry_id, job, fields, counts)
        finally:
            self._release(keys=[lease], args=[token])

    def _deliver(self, entry_id: str, job: str, fields: dict, counts: dict[str, int]) -> None:
        state_key = self.keys.job_state(job)
        state = self.r.hgetall(state_key)
        notice: Notice | None = None
        waiting: list[float] = []
        for channel in self.channels:
            name = channel.name
            if state.get(f"x:{name}") or self.r.exists(self.keys.delivered(job, name)):
                continue
            due = float(state.get(f"d:{name}") or 0)
            if due > self.now():
                waiting.append(due)
                continue
            if channel.rate_limit:
                limit, window = channel.rate_limit
                wait = self.limiter.take(self.keys.rate(channel.rate_key), limit, window, self.now())
                if wait > 0:
                    self.r.hset(state_key, f"d:{name}", repr(self.now() + wait))
                    waiting.append(self.now() + wait)
                    counts["deferred"] += 1
                    continue
            if notice is None:
                notice = self._notice(fields)
                if notice is None:
                    self._dead(entry_id, fields, "*", 0, f"lead {fields.get('number')!r} not found")
                    counts["dead"] += 1
                    waiting.clear()
                    break
            try:
                channel.send(notice)
            except Exception as exc:  # any failure is retried: a bug must not drop a lead
                self.health.failed(name, mask_phone(str(exc) or type(exc).__name__))
                waiting += self._failed(entry_id, job, fields, name, exc, counts)
                continue
            self.r.set(self.keys.delivered(job, name), self.consumer, ex=DELIVERED_TTL)
            self.health.delivered(name)
            counts["sent"] += 1
            log.info("delivered %s via %s", job, name)
            if self.after_send:
                self.after_send(job, name)
        if waiting:
            self.r.zadd(self.keys.retry_schedule(), {entry_id: min(waiting)})
        else:
            self._finish(entry_id, job)
            counts["done"] += 1

    def _failed(self, entry_id: str, job: str, fields: dict, name: str, exc: Exception,
                counts: dict[str, int]) -> list[float]:
        state_key = self.keys.job_state(job)
        error = mask_phone(str(exc) or type(exc).__name__)[:300]
        attempts = int(self.r.hincrby(state_key, f"a:{name}", 1))
        if attempts >= self.max_attempts:
            self.r.hset(state_key, f"x:{name}", "1")
            self._dead(entry_id, fields, name, attempts, error)
            counts["dead"] += 1
            log.error("gave up on %s via %s after %d attempts: %s", job, name, attempts, error)
            return []
        due = self.now() + self.backoff(attempts)
        self.r.hset(state_key, mapping={f"d:{name}": repr(due), f"e:{name}": error})
        counts["failed"] += 1
        log.warning("%s via %s failed (attempt %d, next in %.0f s): %s",
                    job, name, attempts, due - self.now(), error)
        return [due]

    def _notice(self, fields: dict) -> Notice | None:
        if fields.get("kind") == "handoff":
            try:
                transcript = json.loads(fields.get("transcript") or "[]")
                created = float(fields.get("created") or 0)
            except ValueError:
                transcript, created = [], 0.0
            return Notice(kind="handoff", job=fields["job"], transcript=transcript, source=fields.get("source", ""),
                          created=created, openid=fields.get("openid", ""), link=fields.get("link", ""))
        lead = self.store.get(fields.get("number") or "")
        if lead is None:
            return None
        kind = "reminder" if fields.get("kind") == "reminder" else "lead"
        earlier = self.store.get(lead["repeat_of"]) if lead.get("repeat_of") else None
        return Notice(kind=kind, job=fields["job"], number=lead["number"], fields=lead["fields"],
                      listings=lead["listings"], transcript=lead["transcript"] if kind == "lead" else [],
                      source=lead["source"], created=lead["created"], openid=lead["openid"],
                      channel=lead.get("channel", ""), first_source=lead.get("first_source", ""),
                      repeat_of=lead.get("repeat_of", ""), repeat_assignee=earlier["assignee"] if earlier else "",
                      assignee=lead.get("assignee", ""))

    def _dead(self, entry_id: str, fields: dict, channel: str, attempts: int, error: str) -> None:
        self.store.add_dead_letter({
            "job": fields.get("job", ""), "kind": fields.get("kind", ""), "number": fields.get("number", ""),
            "channel": channel, "attempts": str(attempts), "error": error, "at": repr(self.now()),
            "entry": entry_id, "payload": json.dumps([x for kv in fields.items() for x in kv], ensure_ascii=False),
        })

    def _finish(self, entry_id: str, job: str | None) -> None:
        keys = [self.keys.outbox(), self.keys.retry_schedule()] + ([self.keys.job_state(job)] if job else [])
        self._finish_job(keys=keys, args=[entry_id, GROUP])

    # running ---------------------------------------------------------------------------
    def run_forever(self, stop_event: threading.Event, poll_interval: float = 0.5) -> None:
        """Until ``stop_event`` is set; a Redis outage is waited out, never fatal."""
        log.info("notification worker %s started with channels %s",
                 self.consumer, ", ".join(c.name for c in self.channels) or "(none)")
        pause = poll_interval
        while not stop_event.is_set():
            self._run_periodic()
            try:
                counts = self.run_once()
            except redis.exceptions.RedisError as exc:
                log.warning("notification worker: Redis unavailable (%s); retrying", type(exc).__name__)
                self._group_ready = False
                pause = min(max(pause * 2, poll_interval), 10.0)
                stop_event.wait(pause)
                continue
            except Exception:
                log.exception("notification worker: unexpected error; retrying")
                stop_event.wait(max(poll_interval, 1.0))
                continue
            pause = poll_interval
            if not any(counts.values()):
                stop_event.wait(poll_interval)


    def _run_periodic(self) -> None:
        if self.periodic is None or time.monotonic() < self._next_periodic:
            return
        self._next_periodic = time.monotonic() + self.periodic_every
        try:
            self.periodic()
        except Exception:  # a reminder failing must not stop lead delivery
            log.exception("notification worker: follow-up check failed")


@dataclass
class WorkerHandle:
    thread: threading.Thread
    stop_event: threading.Event

    def stop(self, timeout: float = 5.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self.thread.is_alive()


def start_in_thread(client: redis.Redis, keys: Keys, channels: Sequence[Channel], *,
                    poll_interval: float = 0.5, **options: Any) -> WorkerHandle:
    """A worker in a daemon thread (``parkbot serve``); ``.stop()`` ends it."""
    worker = Worker(client, keys, channels, **options)
    stop_event = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(stop_event, poll_interval),
                              name="parkbot-notify", daemon=True)
    thread.start()
    return WorkerHandle(thread, stop_event)
