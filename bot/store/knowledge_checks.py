"""What the knowledge check said about one knowledge version, shared by every worker.

The check (every FAQ paraphrase against all the others) takes seconds to minutes on a large
knowledge base and its verdict depends only on the files and the code that reads them, so the
first worker that checks a version records the verdict and every other worker, and every
restart on the same version, reads it. While one worker checks, the others wait for its
verdict instead of doing the same work beside it.
"""
from __future__ import annotations

import json
import time
import uuid

import redis

from bot.knowledge.problems import Problem

from .keys import Keys
from .scripts import DROP_IF_SAME

KEEP = 90 * 24 * 3600  # a verdict outlives any deploy that could still load its version


class CheckVerdicts:
    def __init__(self, client: redis.Redis, keys: Keys, *, ttl: int = KEEP):
        self.r, self.keys, self.ttl = client, keys, ttl
        self._drop_if_same = client.register_script(DROP_IF_SAME)

    def get(self, version: str) -> list[Problem] | None:
        """The problems recorded for ``version`` (empty: it passed), or None when never checked."""
        raw = self.r.get(self.keys.knowledge(f"check:{version}"))
        if raw is None:
            return None
        return [Problem(file, line, message) for file, line, message in json.loads(raw)]

    def put(self, version: str, problems: list[Problem]) -> None:
        data = json.dumps([[p.file, p.line, p.message] for p in problems], ensure_ascii=False)
        self.r.set(self.keys.knowledge(f"check:{version}"), data, ex=self.ttl)

    def claim(self, version: str, seconds: int) -> str | None:
        """A token when this process is now the one checking ``version``; None when another is."""
        token = uuid.uuid4().hex
        if self.r.set(self.keys.knowledge(f"checking:{version}"), token, nx=True, ex=seconds):
            return token
        return None

    def release(self, version: str, token: str) -> None:
        self._drop_if_same(keys=[self.keys.knowledge(f"checking:{version}")], args=[token])

    def wait(self, version: str, timeout: float, poll: float = 0.1) -> list[Problem] | None:
        """The verdict another process is working out, once it is recorded; None when that process
        stopped without one (it died, or Redis lost its claim) or ``timeout`` passed."""
        deadline = time.monotonic() + timeout
        checking = self.keys.knowledge(f"checking:{version}")
        while True:
            verdict = self.get(version)
            if verdict is not None:
                return verdict
            if not self.r.exists(checking) or time.monotonic() >= deadline:
                return self.get(version)
            time.sleep(poll)
