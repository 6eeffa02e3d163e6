"""Named admin accounts: who wrote a note, who is assigned a lead, who changed a status.

An account is a name and a password hash (werkzeug's scrypt), kept in Redis by
``parkbot admin add NAME``, or given in ``ADMIN_USERS`` (``name:hash,name:hash``) for
deployments that keep such things in their secret store. Plain passwords are never stored.
"""
from __future__ import annotations

import re
from typing import Mapping

import redis
from werkzeug.security import check_password_hash, generate_password_hash

from .keys import Keys

NAME = re.compile(r"[^\s:,/\\<>\"'&]{1,32}")
MIN_PASSWORD = 8
# a hash to compare against when the name is unknown, so a wrong name costs as long as a wrong password;
# written out (werkzeug's generate_password_hash("parkbot-no-such-user"), its default scrypt), not made
# at import, where scrypt cost every worker's start 0.1-0.2 s
_DUMMY = ("scrypt:32768:8:1$AKwPV6IbiTl5l10Q$df4e4d52c87af5e3680ac3e4ae708c49b27cb08a071fa0a1f2770bf38342421d76aaac"
          "8c17fd98fbe6d7179490d2860a2f2bea411d4256a643b32649ae3aa25b")


class AccountError(ValueError):
    """A name or password that cannot be an account; the message says why."""


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not NAME.fullmatch(name):
        raise AccountError("a name is 1 to 32 characters without spaces, quotes, slashes, ':' , ',', '<', '>' or '&'")
    return name


def parse_users(value: str | None) -> dict[str, str]:
    """``ADMIN_USERS``: ``name:hash`` pairs separated by commas (a werkzeug hash has no comma)."""
    users: dict[str, str] = {}
    for part in (value or "").split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, hashed = part.partition(":")
        if not sep or "$" not in hashed:
            raise AccountError(f"{name!r}: expected NAME:HASH with a werkzeug password hash")
        users[check_name(name)] = hashed
    return users


class Accounts:
    def __init__(self, client: redis.Redis, keys: Keys, fixed: Mapping[str, str] | None = None):
        self.r, self.keys = client, keys
        self.fixed = dict(fixed or {})

    def _key(self) -> str:
        return self.keys.shared("admin-users")

    def add(self, name: str, password: str) -> bool:
        """Create or change an account; True when it is new."""
        name = check_name(name)
        if len(password or "") < MIN_PASSWORD:
            raise AccountError(f"a password has at least {MIN_PASSWORD} characters")
        return bool(self.r.hset(self._key(), name, generate_password_hash(password)))

    def remove(self, name: str) -> bool:
        return bool(self.r.hdel(self._key(), name))

    def names(self) -> list[str]:
        return sorted(set(self.r.hkeys(self._key())) | set(self.fixed))

    def exists(self, name: str) -> bool:
        return name in self.fixed or bool(self.r.hexists(self._key(), name))

    def verify(self, name: str, password: str) -> bool:
        hashed = self.fixed.get(name) or (self.r.hget(self._key(), name) if NAME.fullmatch(name or "") else None)
        if not hashed:
            check_password_hash(_DUMMY, password or "")
            return False
        try:
            return check_password_hash(hashed, password or "")
        except ValueError:  # a mangled hash in ADMIN_USERS or Redis
            return False
