"""Other stores' commands carried inside a turn's two scripts: the counters in the closing one, the
takeover's look at the user in the opening one.

The counters a message's turn queues (the admin page's funnel stages, form questions reached and
left, unanswered questions) are written with the conversation's closing write. Queued on a
pipeline each funnel stage cost three commands (two HINCRBY and an EXPIRE), each unanswered
question six: every one packed by redis-py, parsed back and dispatched by Redis. Here the same
commands, with the same arguments, are recorded and run by the closing script itself (best
effort, as before: a counter that fails is logged, never the user's reply).

The opening round trip carried the takeover store's commands (is a person holding this user; the
user wrote just now) on a pipeline beside the opening script; they are recorded the same way and run
by that script, their results handed back as the pipeline gave them.

Only on one Redis server (or a Sentinel's master): these keys are in other hash slots than the
user's, which a script on a Redis Cluster may not touch; there they still go as a pipeline.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

import redis


class Tally:
    """Stands in for a pipeline while the turn's counters, or the takeover's look at the user, queue
    their commands (the few they use)."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.args: list[Any] = []
        self.commands: list[str] = []

    def _add(self, command: str, key: str, *args: Any) -> None:
        self.keys.append(key)
        self.commands.append(command)
        self.args += [command, len(args), *args]

    def hgetall(self, name: str) -> None:
        self._add("HGETALL", name)

    def zadd(self, name: str, mapping: dict[str, float]) -> None:
        self._add("ZADD", name, *(x for member, score in mapping.items() for x in (score, member)))

    def zremrangebyrank(self, name: str, min: int, max: int) -> None:
        self._add("ZREMRANGEBYRANK", name, min, max)

    def results(self, replies: list) -> list:
        """Each command's reply as a pipeline would give it (a hash as a dict, an error as an exception)."""
        out: list = []
        for command, (ok, value) in zip(self.commands, replies):
            if not ok:
                out.append(redis.ResponseError(value))
            elif command == "HGETALL":
                out.append(dict(zip(value[::2], value[1::2])))
            else:
                out.append(value)
        return out

    def hincrby(self, name: str, key: str, amount: int = 1) -> None:
        self._add("HINCRBY", name, key, amount)

    def expire(self, name: str, time: int) -> None:
        self._add("EXPIRE", name, time)

    def zincrby(self, name: str, amount: float, value: str) -> None:
        self._add("ZINCRBY", name, amount, value)

    def hset(self, name: str, key: str, value: Any) -> None:
        self._add("HSET", name, key, value)

    def hdel(self, name: str, *keys: str) -> None:
        self._add("HDEL", name, *keys)


def tally(counts: Iterable[Callable[[Any], None]]) -> Tally:
    """The counters' commands, recorded. A counter that fails here (a command the tally does not
    carry, a wrong argument) is a bug and raises: whether the counters go inside the script or as a
    pipeline is decided by the client (see ``Session.finish``), never by a counter failing."""
    out = Tally()
    for count in counts:
        count(out)
    return out


def counting(finish: str) -> str:
    """``finish`` (a script over KEYS / ARGV) run after the counters, which come first in both:
    KEYS: one per counter command, then ``finish``'s.  ARGV: the number of counter commands, each
    as its name, its number of arguments and the arguments, then ``finish``'s.
    Returns ``{finish's result, counters that failed, the first failure}``.
    """
    body = finish.replace("KEYS", "K").replace("ARGV", "A")
    return """
local n, at, failed, first = tonumber(ARGV[1]), 2, 0, ''
for i = 1, n do
  local argc = tonumber(ARGV[at + 1])
  local done = redis.pcall(ARGV[at], KEYS[i], unpack(ARGV, at + 2, at + 1 + argc))
  if type(done) == 'table' and done.err then
    failed = failed + 1
    if first == '' then first = done.err end
  end
  at = at + 2 + argc
end
local K, A = {}, {}
for i = n + 1, #KEYS do K[#K + 1] = KEYS[i] end
for i = at, #ARGV do A[#A + 1] = ARGV[i] end
local function finish()
""" + body + """
end
return {finish(), failed, first}
"""


def ahead_of(begin: str) -> str:
    """``begin`` (a script over KEYS / ARGV) run after the commands riding on it, laid out as for
    :func:`counting`. Returns ``{each command's {1, reply} or {0, error}, begin's result}``: the
    commands' replies whatever they are, as a pipeline would have them beside the script."""
    body = begin.replace("KEYS", "K").replace("ARGV", "A")
    return """
local n, at, seen = tonumber(ARGV[1]), 2, {}
for i = 1, n do
  local argc = tonumber(ARGV[at + 1])
  local done = redis.pcall(ARGV[at], KEYS[i], unpack(ARGV, at + 2, at + 1 + argc))
  if type(done) == 'table' and done.err then seen[i] = {0, done.err} else seen[i] = {1, done} end
  at = at + 2 + argc
end
local K, A = {}, {}
for i = n + 1, #KEYS do K[#K + 1] = KEYS[i] end
for i = at, #ARGV do A[#A + 1] = ARGV[i] end
local function begin()
""" + body + """
end
return {seen, begin()}
"""
