"""What the platform tells us about a user outside the conversation: where they are, and
which campaign's QR code brought them.

Both are per-user keys (``keys.location`` / ``keys.campaign``), so erasing a user (删除我的信息,
unfollowing) takes them with the rest. Neither touches the conversation state: WeChat's
background location report arrives every few seconds and must not cost a lock or a state read.
"""
from __future__ import annotations

import time
from typing import Any

import redis

from .connection import atomic
from .keys import Keys

LOCATION_TTL = 7 * 24 * 3600  # a week-old position says little about where someone is looking
CAMPAIGN_TTL = 400 * 24 * 3600  # a lead may come a year after the expo that brought the user

# KEYS: campaign hash   ARGV: scene, at, ttl
# The first scene is written once; the latest every time; one step so neither is lost.
_NOTE_SCENE = """
redis.call('HSETNX', KEYS[1], 'first', ARGV[1])
redis.call('HSETNX', KEYS[1], 'first_at', ARGV[2])
redis.call('HSET', KEYS[1], 'latest', ARGV[1], 'latest_at', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""


class ProfileStore:
    def __init__(self, client: redis.Redis, keys: Keys, *, location_ttl: int = LOCATION_TTL,
                 campaign_ttl: int = CAMPAIGN_TTL):
        self.r, self.keys = client, keys
        self.location_ttl, self.campaign_ttl = location_ttl, campaign_ttl
        self._note_scene = client.register_script(_NOTE_SCENE)

    # location ------------------------------------------------------------------------
    def remember_location(self, openid: str, lat: float, lng: float, at: float, precision: str = "") -> None:
        key = self.keys.location(openid)
        pipe = atomic(self.r)
        pipe.hset(key, mapping={"lat": repr(float(lat)), "lng": repr(float(lng)), "at": repr(float(at)),
                                "precision": str(precision or "")[:20]})
        pipe.expire(key, self.location_ttl)
        pipe.execute()

    def last_location(self, openid: str) -> dict[str, Any] | None:
        """``{"lat", "lng", "at"}`` of the last report, or None (never reported, expired, erased)."""
        raw = self.r.hgetall(self.keys.location(openid))
        try:
            return {"lat": float(raw["lat"]), "lng": float(raw["lng"]), "at": float(raw["at"])}
        except (KeyError, ValueError):
            return None

    # campaign sources ---------------------------------------------------------------------
    def note_scene(self, openid: str, scene: str, at: float | None = None) -> None:
        """Keep ``scene`` as the user's latest, and as their first if they have none."""
        if not scene:
            return
        self._note_scene(keys=[self.keys.campaign(openid)],
                         args=[scene[:64], repr(float(time.time() if at is None else at)), self.campaign_ttl])

    def scenes(self, openid: str) -> dict[str, Any]:
        """``{"first", "first_at", "latest", "latest_at"}`` (empty when no QR code brought the user)."""
        raw = self.r.hgetall(self.keys.campaign(openid))
        out: dict[str, Any] = {}
        for name in ("first", "latest"):
            if raw.get(name):
                out[name] = raw[name]
                try:
                    out[f"{name}_at"] = float(raw.get(f"{name}_at") or 0)
                except ValueError:
                    out[f"{name}_at"] = 0.0
        return out
