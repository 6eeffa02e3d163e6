"""``parkbot eval --follow-ups``: elliptical follow-up questions (「它在哪」 after 「国际客厅是干嘛的」).

Each case is a fresh user on the real engine with storage kept in memory (as ``kb test``): the first
question is asked, then the follow-up, and the follow-up's reply is read for which entry it
answers. A case labelled ``oos`` must get no entry's answer.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..dialogue.replies import Incoming
from ..knowledge.loader import KnowledgeError
from .kb_test import in_memory_engine

OOS = "oos"


@dataclass
class FollowUpResult:
    right: int = 0
    total: int = 0
    wrong: int = 0  # answered with another entry (or, for oos, answered at all)
    misses: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 1.0


def load(path: str | Path) -> dict[str, list[tuple[str, str, str]]]:
    """The labelled parts of a follow-up set: part name -> [(first question, follow-up, entry id)]."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected parts (dev:, unseen:) of [question, follow-up, entry]")
    parts = {}
    for part, cases in data.items():
        if not isinstance(cases, list) or not all(isinstance(c, list) and len(c) == 3 for c in cases):
            raise ValueError(f"{path}: part {part!r} must be a list of [question, follow-up, entry]")
        parts[str(part)] = [(str(a), str(b), str(c)) for a, b, c in cases]
    return parts


def answered_entry(reply_text: str, answers: dict[str, str]) -> str | None:
    """Which entry a reply answers: the one whose answer it begins with."""
    for faq_id, answer in answers.items():
        if reply_text.startswith(answer[:40]):
            return faq_id
    return None


def evaluate(engine, cases: list[tuple[str, str, str]]) -> FollowUpResult:
    kb = engine.holder.current()
    answers = {f.id: f.answer.strip() for f in kb.faqs}
    result = FollowUpResult()
    for first, follow_up, want in cases:
        openid = f"followup-{uuid.uuid4().hex[:12]}"
        engine.handle(Incoming(openid, "text", text=first, channel="cli"))
        reply = engine.handle(Incoming(openid, "text", text=follow_up, channel="cli"))
        got = answered_entry(reply.text or "", answers)
        result.total += 1
        if got == (None if want == OOS else want):
            result.right += 1
        else:
            result.wrong += got is not None
            result.misses.append(f"{first} → {follow_up}: want {want}, got {got or '(no answer)'}")
    return result


def main(knowledge_dir: str, data: str, *, quiet: bool = False, echo=print) -> int:
    try:
        parts = load(data)
        engine = in_memory_engine(knowledge_dir)
    except (OSError, ValueError, KnowledgeError) as exc:
        echo(f"parkbot eval --follow-ups: {exc}")
        return 1
    for part, cases in parts.items():
        r = evaluate(engine, cases)
        echo(f"{part}: follow-ups answered right {r.right}/{r.total} = {r.accuracy:6.1%}; "
             f"answered wrong {r.wrong}/{r.total}")
        if not quiet:
            for miss in r.misses:
                echo(f"    {miss}")
    return 0
