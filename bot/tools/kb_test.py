"""``parkbot kb test``: the conversations in ``knowledge/tests.yaml`` through the real engine.

Each case runs as a fresh user against a throwaway embedded Redis, so an admin can check an
edit before deploying it without touching the live data.
"""
from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from ..dialogue.replies import Incoming
from ..knowledge.loader import KnowledgeError


@dataclass
class CaseResult:
    name: str
    ok: bool
    failures: list[str]


def run_cases(app, cases) -> list[CaseResult]:
    engine = app.extensions["parkbot.engine"]
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


def main(knowledge_dir: str | Path, make_app, echo=print) -> int:
    """``make_app(config)`` makes the app the cases run through (the command line passes its own)."""
    with tempfile.TemporaryDirectory(prefix="parkbot-kbtest-") as data_dir:
        try:
            app = make_app({"DEV": True, "KNOWLEDGE_DIR": str(knowledge_dir), "BOT_DATA_DIR": data_dir,
                            "REDIS_URL": None, "REDIS_PREFIX": "kbtest"})
            cases = app.extensions["parkbot.knowledge"].current().tests.cases
            results = run_cases(app, cases)
        except KnowledgeError as exc:
            for problem in exc.problems:
                echo(str(problem))
            echo("the knowledge does not load: run `parkbot kb check`")
            return 1
        finally:
            from ..store import embedded

            embedded.stop(data_dir)
    failed = [r for r in results if not r.ok]
    for r in results:
        echo(f"{'PASS' if r.ok else 'FAIL'}  {r.name}")
        for failure in r.failures:
            echo(f"      {failure}")
    echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed or not results else 0
