"""The store: the only code that talks to Redis. Callers catch :data:`StoreUnavailable`."""
from __future__ import annotations

from .errors import StoreUnavailable

__all__ = ["StoreUnavailable"]
