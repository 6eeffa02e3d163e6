"""Lua shared by several stores: written once here."""
from __future__ import annotations

# delete a key only while it still holds our value (a lease, a lock, a token): one round trip, one key,
# so it runs on a Redis Cluster too
DROP_IF_SAME = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
