"""An access token shared by every process through Redis, with one refresher at a time.

WeChat invalidates the previous token whenever a new one is fetched, so processes that each
refreshed on their own would keep knocking each other's token out: a refresher holds a Redis
lock, the others wait for it and read what it stored.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import redis

from .keys import Keys
from .scripts import DROP_IF_SAME


class TokenBusy(Exception):
    """Another process held the refresh lock for longer than we may wait."""


class SharedToken:
    def __init__(self, client: redis.Redis, keys: Keys, name: str, *, lock_wait: float):
        self.r, self.lock_wait = client, lock_wait
        self.key = keys.wechat(f"token:{name}")
        self.lock_key = keys.wechat(f"token-lock:{name}")
        self._drop_if_same = client.register_script(DROP_IF_SAME)

    def get(self) -> str | None:
        return self.r.get(self.key) or None

    def put(self, token: str, ttl: int) -> None:
        self.r.set(self.key, token, ex=ttl)

    def forget(self, token: str) -> None:
        """Drop ``token`` if it is still the shared one (not one another process stored since)."""
        self._drop_if_same(keys=[self.key], args=[token])

    @contextmanager
    def refreshing(self) -> Iterator[str | None]:
        """Hold the refresh lock; yields the token a refresher before us may have stored meanwhile."""
        lock = self.r.lock(self.lock_key, timeout=self.lock_wait, blocking_timeout=self.lock_wait, sleep=0.02)
        if not lock.acquire():
            raise TokenBusy(self.lock_wait)
        try:
            yield self.get()
        finally:
            try:
                lock.release()
            except redis.exceptions.LockError:
                pass  # it expired while the request ran; nothing to undo
