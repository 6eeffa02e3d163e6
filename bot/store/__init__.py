"""The store: the only code that talks to Redis. Callers catch :data:`StoreUnavailable`.

Importing the package loads no Redis client: the in-memory store (``bot.store.memory``) runs without one.
"""
from __future__ import annotations

__all__ = ["StoreUnavailable"]


def __getattr__(name: str):
    if name == "StoreUnavailable":
        from .errors import StoreUnavailable

        return StoreUnavailable
    raise AttributeError(f"module 'bot.store' has no attribute {name!r}")
