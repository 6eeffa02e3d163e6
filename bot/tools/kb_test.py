"""``parkbot kb test``: the conversations in ``knowledge/tests.yaml`` through the real engine.

Each case runs as a fresh user on storage kept in memory (bot/store/memory.py): no Redis and no web
app, so an admin can check an edit before deploying it without touching the live data. The knowledge is
checked first as ``kb check`` and a running bot check it, sentences of every part included
(bot/sentences.py, plain lists: no Flask, wechatpy or Redis is loaded): an edit ``kb test`` passes is one
the bot would load.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from ..config import DEFAULTS
from ..dialogue.engine import Engine
from ..dialogue.replies import Incoming
from ..knowledge.holder import KnowledgeHolder
from ..knowledge.loader import KnowledgeError
from ..nlu import Understanding
from ..sentences import declare_every_part
from ..store.memory import MemoryLeads, MemoryStateStorage, MemoryUnanswered
from .kb_check import problems_beyond_loading


@dataclass
class CaseResult:
    name: str
    ok: bool
    failures: list[str]


def checked_knowledge(knowledge_dir: str | Path) -> KnowledgeHolder:
    """``knowledge_dir`` loaded and checked as the running bot checks it (raises ``KnowledgeError``).

    The sentences checked are every part's (bot/sentences.py: plain lists, so no Flask, wechatpy or Redis
    is loaded for them).
    """
    declare_every_part()
    return KnowledgeHolder(knowledge_dir, builders={"nlu": Understanding},
                           validate=lambda kb, derived: problems_beyond_loading(kb, derived["nlu"]))


def engine_in_memory(holder: KnowledgeHolder) -> Engine:
    """The engine over ``holder``'s knowledge on fresh storage kept in memory.

    No staff channel is set up here, so a handoff says what it says when none is (call the hotline).
    """
    return Engine(holder, MemoryStateStorage(transcript_len=DEFAULTS["TRANSCRIPT_LEN"]), MemoryLeads(),
                  MemoryUnanswered(), form_ttl=DEFAULTS["FORM_TTL"], resume_after=DEFAULTS["RESUME_AFTER"],
                  staff_channel=lambda: "none")


def in_memory_engine(knowledge_dir: str | Path) -> Engine:
    """The engine over ``knowledge_dir``, checked as the running bot checks it, on storage in memory."""
    return engine_in_memory(checked_knowledge(knowledge_dir))


def run_cases(engine: Engine, cases) -> list[CaseResult]:
    results = []
    for case in cases:
        openid = case.user or f"kbtest-{uuid.uuid4().hex[:12]}"
        failures = []
        for n, turn in enumerate(case.turns, 1):
            if turn.event:
                incoming = Incoming(openid, "event", event=turn.event, channel="cli")
            else:
                incoming = Incoming(openid, "text", text=turn.say, channel="cli")
            reply = engine.handle(incoming)
            shown = reply.text or (reply.article.description if reply.article else "")
            missing = [want for want in turn.expect if want not in shown]
            if missing:
                failures.append(f"turn {n} «{turn.say}»: missing {missing}\n    reply: {shown!r}")
        results.append(CaseResult(case.name, not failures, failures))
    return results


def main(knowledge_dir: str | Path, echo=print) -> int:
    try:
        engine = in_memory_engine(knowledge_dir)
    except KnowledgeError as exc:
        for problem in exc.problems:
            echo(str(problem))
        echo("the knowledge does not load: run `parkbot kb check`")
        return 1
    results = run_cases(engine, engine.holder.current().tests.cases)
    failed = [r for r in results if not r.ok]
    for r in results:
        echo(f"{'PASS' if r.ok else 'FAIL'}  {r.name}")
        for failure in r.failures:
            echo(f"      {failure}")
    echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed or not results else 0
