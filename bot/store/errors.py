"""The one error a caller of the store catches: the store cannot answer now (down, stalled, read-only).

It is redis-py's own base error, named here so that no layer above the store imports redis to catch it.
"""
from __future__ import annotations

import redis

StoreUnavailable = redis.RedisError

__all__ = ["StoreUnavailable"]
