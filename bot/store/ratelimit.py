"""A sliding-window limit shared by every worker through Redis (WeCom: 20 messages a minute per robot).

Time comes from the caller's clock, so tests can move it; the window is a sorted set of
send times. Asking when over the limit takes nothing and answers how long to wait.
"""
from __future__ import annotations

import uuid

import redis

_TAKE = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('EXPIRE', KEYS[1], math.ceil(window) + 1)
  return '0'
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return tostring(math.max(tonumber(oldest[2]) + window - now, 0.001))
"""


class SharedRateLimit:
    def __init__(self, client: redis.Redis):
        self._take = client.register_script(_TAKE)

    def take(self, key: str, limit: int, window: float, now: float) -> float:
        """0 when a send may go now (and it is counted), else seconds until one may."""
        return float(self._take(keys=[key], args=[repr(float(now)), repr(float(window)), int(limit),
                                                 uuid.uuid4().hex]))
