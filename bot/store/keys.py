"""The one place Redis key names are made.

Per-user keys carry the OpenID as a hash tag (``parkbot:{openid}:field``) so that every key
of one user lives in one Redis Cluster slot and a MULTI/Lua over them stays legal. Keys shared
by all users (leads, outbox, counters) share the ``{leads}`` tag for the same reason.
"""
from __future__ import annotations

PREFIX = "parkbot"


class Keys:
    def __init__(self, prefix: str = PREFIX):
        self.prefix = prefix

    # per user -----------------------------------------------------------------
    def user(self, openid: str, field: str) -> str:
        return f"{self.prefix}:{{{openid}}}:{field}"

    def state(self, openid: str) -> str:
        return self.user(openid, "state")

    def lock(self, openid: str) -> str:
        return self.user(openid, "lock")

    def transcript(self, openid: str) -> str:
        return self.user(openid, "transcript")

    def dedup(self, openid: str, message_key: str) -> str:
        return self.user(openid, f"dedup:{message_key}")

    def user_keys_pattern(self, openid: str) -> str:
        return f"{self.prefix}:{{{openid}}}:*"

    # shared: leads and their delivery ------------------------------------------
    def shared(self, field: str) -> str:
        return f"{self.prefix}:{{leads}}:{field}"

    # understanding: questions the bot could not answer -------------------------
    def unanswered(self, field: str) -> str:
        return f"{self.prefix}:{{unanswered}}:{field}"

    # WeChat API access token shared by every worker -----------------------------
    def wechat(self, field: str) -> str:
        return f"{self.prefix}:{{wechat}}:{field}"
