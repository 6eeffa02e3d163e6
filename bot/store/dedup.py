"""WeChat retries a message up to three times when a reply is slow.

The first delivery claims the message; a retry that arrives while it is still being
processed waits for the stored reply instead of processing it again, and a retry after it
gets the same reply. Claiming and storing ride on the session's scripts (one round trip at
the start of a message, one at the end), so this module names the claim, marks it pending
and reads a stored reply back; ``session.py`` does the writing.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import redis

from .keys import Keys

PENDING = "\x00pending"


@dataclass(frozen=True)
class Claim:
    """One WeChat message's retry key: whoever sets it first processes the message."""

    key: str
    ttl: int


def decode(raw: str | None) -> dict[str, Any] | None:
    """A stored reply, or None while it is still pending (or unreadable: then retrying is moot)."""
    if raw is None or raw == PENDING:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class ReplyCache:
    def __init__(self, client: redis.Redis, keys: Keys, ttl: int = 60):
        self.r, self.keys, self.ttl = client, keys, ttl

    def claim_for(self, openid: str, message_key: str) -> Claim:
        return Claim(self.keys.dedup(openid, message_key), self.ttl)

    def wait(self, openid: str, message_key: str, timeout: float) -> dict[str, Any] | None:
        """The first delivery's reply, waiting up to ``timeout`` while it is being made."""
        key = self.keys.dedup(openid, message_key)
        deadline = time.monotonic() + timeout
        delay = 0.01
        while True:
            raw = self.r.get(key)
            if raw is not None and raw != PENDING:
                return decode(raw)
            if raw is None or time.monotonic() >= deadline:
                return None
            time.sleep(delay)
            delay = min(delay * 2, 0.1)


class AlreadyClaimed(Exception):
    """This delivery is a retry of a message another delivery claimed first."""

    def __init__(self, reply: dict[str, Any] | None):
        super().__init__("already claimed")
        self.reply = reply  # the first delivery's reply when it is done, else None
