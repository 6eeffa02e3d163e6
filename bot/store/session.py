"""Per-user conversation storage (the aiogram-style storage interface, one Redis implementation).

State is one JSON document per user with an idle TTL; nothing is kept in process memory, so
any worker on any host can serve the next message. ``lock`` serialises one user's messages:
two arriving at the same moment run one after the other, and neither update is lost.
"""
from __future__ import annotations

import json
import time
from contextlib import contextmanager
from typing import Any, Iterator, Protocol

import redis

from .keys import Keys


class UserBusy(Exception):
    """Another message of the same user held the lock for longer than we may wait."""


class StateStorage(Protocol):
    def load(self, openid: str) -> dict[str, Any]: ...
    def save(self, openid: str, state: dict[str, Any]) -> None: ...
    def erase(self, openid: str) -> None: ...
    def lock(self, openid: str) -> Any: ...
    def add_turn(self, openid: str, who: str, text: str) -> None: ...
    def add_turns(self, openid: str, turns: list[tuple[str, str]]) -> None: ...
    def transcript(self, openid: str, limit: int = 20) -> list[dict[str, Any]]: ...


class RedisStateStorage:
    def __init__(self, client: redis.Redis, keys: Keys, *, state_ttl: int, transcript_ttl: int,
                 transcript_len: int = 30, lock_timeout: float = 10.0, lock_wait: float = 4.0):
        self.r = client
        self.keys = keys
        self.state_ttl = state_ttl
        self.transcript_ttl = transcript_ttl
        self.transcript_len = transcript_len
        self.lock_timeout = lock_timeout
        self.lock_wait = lock_wait

    def load(self, openid: str) -> dict[str, Any]:
        raw = self.r.get(self.keys.state(openid))
        if not raw:
            return {}
        try:
            value = json.loads(raw)
        except ValueError:
            return {}  # a corrupt document is a fresh start, not a crash loop
        return value if isinstance(value, dict) else {}

    def save(self, openid: str, state: dict[str, Any]) -> None:
        key = self.keys.state(openid)
        if state:
            self.r.set(key, json.dumps(state, ensure_ascii=False), ex=self.state_ttl)
        else:
            self.r.delete(key)

    def erase(self, openid: str) -> None:
        """Everything kept about this user's conversation (state, transcript, retry cache)."""
        keys = list(self.r.scan_iter(match=self.keys.user_keys_pattern(openid), count=500))
        keep = {self.keys.lock(openid)}  # the caller may be holding it
        doomed = [k for k in keys if k not in keep]
        if doomed:
            self.r.delete(*doomed)

    @contextmanager
    def lock(self, openid: str) -> Iterator[None]:
        lock = self.r.lock(self.keys.lock(openid), timeout=self.lock_timeout,
                           blocking_timeout=self.lock_wait, sleep=0.01)
        if not lock.acquire():
            raise UserBusy(openid)
        try:
            yield
        finally:
            try:
                lock.release()
            except redis.exceptions.LockError:
                pass  # expired while we worked; the next message simply proceeds

    def add_turn(self, openid: str, who: str, text: str) -> None:
        self.add_turns(openid, [(who, text)])

    def add_turns(self, openid: str, turns: list[tuple[str, str]]) -> None:
        """Append to the short transcript staff see with a lead or a handoff alert."""
        key = self.keys.transcript(openid)
        now = round(time.time())
        entries = [json.dumps({"t": now, "who": who, "text": text[:500]}, ensure_ascii=False) for who, text in turns if text]
        if not entries:
            return
        pipe = self.r.pipeline(transaction=True)
        pipe.rpush(key, *entries)
        pipe.ltrim(key, -self.transcript_len, -1)
        pipe.expire(key, self.transcript_ttl)
        pipe.execute()

    def transcript(self, openid: str, limit: int = 20) -> list[dict[str, Any]]:
        out = []
        for raw in self.r.lrange(self.keys.transcript(openid), -limit, -1):
            try:
                out.append(json.loads(raw))
            except ValueError:
                continue
        return out
