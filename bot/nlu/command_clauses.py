"""Messages of several clauses read clause by clause: what a clause says besides a negated command
(「不用找人工了,直接交吧」), a command said with thanks (「谢谢啊,先下了」), a command said outright beside a
question about what follows (「就定这间吧,什么时候能看」), and one clause that is wholly a command among others
(「全搞岔了,从第一题重来」).

Functions of a ``Commands`` (commands.py), which applies them; each reads a clause as it reads a message.
"""
from __future__ import annotations

from typing import Any

from .command_rules import ACCEPT, CONTAINS, COURTESY, NEGATIVE
from .command_shapes import CLAUSE_SPLIT
from .normalize import surface


def other_clause(cmds: Any, negated: str, text: str, context: str) -> str | None:
    """「不用找人工了,直接交吧」: what a clause without the negated command's words says, read alone, when it
    is wholly that command (a negation's own reading, 不用, was about the other clause)."""
    parts = [p for p in CLAUSE_SPLIT.split(surface(text)) if p]
    for part in parts if len(parts) > 1 else ():
        if cmds._negations.how(negated, part) != "absent":
            continue
        said = cmds.read(part, context)[0]
        if (said is not None and said != negated and said not in NEGATIVE
                and cmds.scores(cmds.signed(part)).get(said, 0.0) >= CONTAINS):  # wholly that command
            return said
    return None


def past_courtesy(cmds: Any, text: str, context: str) -> str | None:
    """What a message says besides its clauses of courtesy (「谢谢啊」「您好」), read alone, when that is
    wholly a command that is no courtesy itself."""
    parts = [p for p in CLAUSE_SPLIT.split(surface(text)) if p]
    rest = [p for p in parts if max((v for n, v in cmds.scores(p).items() if n not in COURTESY), default=0.0) >= CONTAINS
            or max((v for n, v in cmds.scores(p).items() if n in COURTESY), default=0.0) < CONTAINS]
    if not 0 < len(rest) < len(parts):
        return None
    said = cmds.read("，".join(rest), context)[0]
    if said in COURTESY or said == "interest":  # 「谢谢啦,挺好的」: praise goes with thanks, it picks nothing
        return None
    return said if cmds.scores("，".join(rest)).get(said, 0.0) >= CONTAINS else None


def stated(cmds: Any, name: str, text: str, context: str) -> bool:
    """「就定这间吧,什么时候能看」「第三个挺合适,咋预约」: one clause, asking nothing, says the command
    outright; the question in the other is what follows from it, not instead of it."""
    parts = [p for p in CLAUSE_SPLIT.split(surface(text)) if p]
    return len(parts) > 1 and any(not cmds.asks(p) and cmds.read(p, context)[0] == name for p in parts)


def clause_says(cmds: Any, name: str, text: str) -> bool:
    """「全搞岔了,从第一题重来」 at the confirmation: one clause of several is, by the word lists, the intent
    (the other clauses only dilute its words in the whole message)."""
    parts = [p for p in CLAUSE_SPLIT.split(surface(text)) if p]
    return len(parts) > 1 and any(cmds.scores(p).get(name, 0.0) >= ACCEPT for p in parts)
