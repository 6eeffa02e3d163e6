"""WeChat retries a message up to three times when a reply is slow.

The first delivery claims the message with ``SET NX``; a retry that arrives while it is
still being processed waits for the stored reply instead of processing it again, and a
retry after it gets the same reply.
"""
from __future__ import annotations

import json
import time
from typing import Any

import redis

from .keys import Keys

PENDING = "\x00pending"


class ReplyCache:
    def __init__(self, client: redis.Redis, keys: Keys, ttl: int = 60):
        self.r, self.keys, self.ttl = client, keys, ttl

    def claim(self, openid: str, message_key: str) -> bool:
        """True when this delivery is the first and must be processed."""
        return bool(self.r.set(self.keys.dedup(openid, message_key), PENDING, nx=True, ex=self.ttl))

    def store(self, openid: str, message_key: str, reply: dict[str, Any]) -> None:
        self.r.set(self.keys.dedup(openid, message_key), json.dumps(reply, ensure_ascii=False), ex=self.ttl)

    def release(self, openid: str, message_key: str) -> None:
        """Processing failed: let WeChat's next retry try again."""
        self.r.delete(self.keys.dedup(openid, message_key))

    def wait(self, openid: str, message_key: str, timeout: float) -> dict[str, Any] | None:
        """The first delivery's reply, waiting up to ``timeout`` while it is being made."""
        key = self.keys.dedup(openid, message_key)
        deadline = time.monotonic() + timeout
        delay = 0.01
        while True:
            raw = self.r.get(key)
            if raw is not None and raw != PENDING:
                try:
                    return json.loads(raw)
                except ValueError:
                    return None
            if raw is None or time.monotonic() >= deadline:
                return None
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
