"""The knowledge check runs once per knowledge version: its verdict is kept in Redis by the files'
content (and the code that reads them), so a second worker or a restart on the same version reads
it; a changed version is checked again and a bad one still refused; ``kb check`` always checks;
and the check says the same whatever the process's string hashing."""
from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from bot import create_app
from bot.knowledge.loader import KnowledgeError, load_knowledge
from bot.knowledge.problems import Problem
from bot.store.knowledge_checks import CheckVerdicts
from bot.tools.kb_check import check, verdict_key
from tests.conftest import KNOWLEDGE, ROOT
from tests.test_knowledge import kdir  # noqa: F401  (fixture)
from tests.test_reload_check import steal


def _start(app_config, kdir, **extra):
    return create_app({**app_config, "KNOWLEDGE_DIR": str(kdir), "KNOWLEDGE_CHECK_INTERVAL": 0, **extra})


def test_the_first_start_records_the_verdict_and_a_restart_reads_it(kdir, app_config, redis_client, keys):
    verdicts = CheckVerdicts(redis_client, keys)
    version = verdict_key(load_knowledge(kdir))
    assert verdicts.get(version) is None
    _start(app_config, kdir)
    assert verdicts.get(version) == []  # checked, and it passed
    # a recorded verdict is what a later start goes by: one that says "refused" (as if the check had
    # found a steal) stops a worker, as its last good copy is this same version
    verdicts.put(version, [Problem("faq.yaml", 3, "recorded refusal")])
    with pytest.raises(KnowledgeError, match="recorded refusal"):
        _start(app_config, kdir)


def test_a_changed_version_is_checked_and_a_bad_one_refused(kdir, app_config, redis_client, keys):
    app = _start(app_config, kdir)
    holder = app.extensions["parkbot.knowledge"]
    good = holder.current().version
    victim, thief = steal(kdir)
    assert holder.current().version == good  # the stealing edit is refused …
    assert victim.id in holder.last_error and thief.id in holder.last_error
    bad = verdict_key(load_knowledge(kdir))
    recorded = CheckVerdicts(redis_client, keys).get(bad)
    # … and its verdict recorded, so the other workers refuse it without checking again
    assert recorded and any(victim.id in p.message and thief.id in p.message for p in recorded)
    restarted = _start(app_config, kdir)
    assert restarted.extensions["parkbot.knowledge"].current().version == good
    assert victim.id in restarted.extensions["parkbot.knowledge"].last_error


def test_kb_check_always_checks(kdir, app_config, redis_client, keys):
    victim, thief = steal(kdir)
    # even with a verdict in Redis saying this version passed
    CheckVerdicts(redis_client, keys).put(verdict_key(load_knowledge(kdir)), [])
    app = create_app(app_config)
    result = app.test_cli_runner().invoke(args=["kb", "check", str(kdir)])
    assert result.exit_code == 1 and victim.id in result.output and thief.id in result.output
    assert any(victim.id in p.message for p in check(kdir))


def test_workers_starting_together_check_once_and_agree(kdir, app_config, redis_client, keys):
    with ThreadPoolExecutor(3) as pool:
        apps = list(pool.map(lambda _: _start(app_config, kdir), range(3)))
    versions = {a.extensions["parkbot.knowledge"].current().version for a in apps}
    assert versions == {load_knowledge(kdir).version}
    verdicts = CheckVerdicts(redis_client, keys)
    assert verdicts.get(verdict_key(load_knowledge(kdir))) == []
    assert not redis_client.exists(keys.knowledge(f"checking:{verdict_key(load_knowledge(kdir))}"))


def test_the_verdict_names_the_code_as_well_as_the_files(kdir):
    kb = load_knowledge(kdir)
    assert verdict_key(kb) == verdict_key(load_knowledge(kdir))
    (kdir / "faq.yaml").write_text((kdir / "faq.yaml").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert verdict_key(load_knowledge(kdir)) != verdict_key(kb)


def test_the_check_says_the_same_whatever_the_string_hashing(tmp_path):
    """Many entries sharing words: which paraphrases tie for the last candidate places used to
    follow the order of a set of strings, so two workers could disagree about one version."""
    from benchmarks.bench_matching import synthesise

    kb = load_knowledge(KNOWLEDGE)
    target = tmp_path / "knowledge"
    target.mkdir()
    for path in KNOWLEDGE.glob("*.yaml"):
        (target / path.name).write_bytes(path.read_bytes())
    faqs = [f.model_dump(exclude_none=True, exclude_defaults=True) for f in synthesise(kb.faqs, 400)]
    (target / "faq.yaml").write_text(yaml.safe_dump({"faqs": faqs}, allow_unicode=True, sort_keys=False),
                                     encoding="utf-8")

    def run(seed: str) -> str:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-m", "bot", "kb", "check", str(target)], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=600)
        assert out.returncode == 1, out.stderr[-2000:]
        return out.stdout + out.stderr

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(run, ["1", "2"])
    assert "is matched to" in first
    assert first == second
