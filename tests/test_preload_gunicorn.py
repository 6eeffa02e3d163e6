"""Workers forked from a master that loaded the app (gunicorn.conf.py) each still serve an edit.

The master loads the knowledge once and the workers share it; an edit must still reach every worker
by itself, and a worker forked after the edit (one gunicorn replaced) must start with it.
"""
from __future__ import annotations

import gc
import os
import runpy
import shutil
import signal
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

from benchmarks.bench_webhook import children
from tests.conftest import KNOWLEDGE, ROOT
from tests.support.gunicorn import gunicorn
from tests.support.wechat import TOKEN, post_signed

QUESTION = "明天会下雨吗"
NOTE = ("faqs:\n  - id: weather-note\n    questions: [明天会下雨吗, 明天天气怎么样, 明天下不下雨, 天气预报, 会下雨吗]\n"
        "    keywords: [下雨, 天气]\n    answer: 天气请查看气象台预报,园区活动如遇降雨会另行通知。\n")


def _ask(port: int) -> str:
    return post_signed(port, f"preload-{uuid.uuid4().hex[:12]}", QUESTION, token=TOKEN)


def _alone(pid: int, others: list[int], port: int, until: str, within: float = 5.0) -> str:
    """The answer of worker ``pid`` alone (the others stopped cannot accept), asked until it says ``until``."""
    for other in others:
        os.kill(other, signal.SIGSTOP)
    try:
        started, answer = time.monotonic(), ""
        while time.monotonic() - started < within:
            answer = _ask(port)
            if until in answer:
                break
            time.sleep(0.1)
        return answer
    finally:
        for other in others:
            os.kill(other, signal.SIGCONT)


@pytest.fixture
def server(tmp_path, redis_url, prefix, redis_client):
    kdir = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, kdir)
    with gunicorn(tmp_path, kdir, prefix, redis_url, wait=300) as (proc, port):
        for _ in range(100):
            if len(children(proc.pid)) == 2:
                break
            time.sleep(0.1)
        yield proc, port, kdir


def test_each_forked_worker_serves_an_edit_and_a_worker_forked_later_starts_with_it(server):
    proc, port, kdir = server
    # the master loaded the app (the matcher's library is mapped in it), so the workers share its copy
    assert "rapidfuzz" in Path(f"/proc/{proc.pid}/maps").read_text()
    workers = children(proc.pid)
    assert len(workers) == 2
    for pid in workers:
        assert "还不太确定" in _alone(pid, [w for w in workers if w != pid], port, until="还不太确定")

    faq = kdir / "faq.yaml"
    faq.write_text(faq.read_text(encoding="utf-8").replace("faqs:\n", NOTE, 1), encoding="utf-8")
    for pid in workers:  # each worker on its own, not whichever happened to take the requests
        assert "气象台" in _alone(pid, [w for w in workers if w != pid], port, until="气象台")

    # a worker that dies is replaced by a fork of the master, which brought its copy up to date first
    os.kill(workers[0], signal.SIGKILL)
    for _ in range(100):
        now = children(proc.pid)
        if len(now) == 2 and workers[0] not in now:
            break
        time.sleep(0.1)
    (fresh,) = [pid for pid in children(proc.pid) if pid not in workers]
    assert "气象台" in _alone(fresh, [workers[1]], port, until="气象台", within=0.5)


def test_the_master_brings_its_knowledge_up_to_date_before_forking(tmp_path, app_config, redis_client):
    from flask import Flask

    from bot import create_app

    kdir = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, kdir)
    app = create_app({**app_config, "KNOWLEDGE_DIR": str(kdir), "BOT_DATA_DIR": str(tmp_path / "var"),
                      "KNOWLEDGE_CHECK_INTERVAL": 0})
    holder = app.extensions["parkbot.knowledge"]
    before = holder.current().version
    faq = kdir / "faq.yaml"
    faq.write_text(faq.read_text(encoding="utf-8").replace("faqs:\n", NOTE, 1), encoding="utf-8")
    hooks = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert hooks["preload_app"] is True
    try:
        preloaded = SimpleNamespace(preload_app=True)
        hooks["pre_fork"](SimpleNamespace(cfg=preloaded, app=SimpleNamespace(wsgi=lambda: app)), None)
        assert gc.get_freeze_count() > 0
        assert holder._kb.version != before  # read as the hook left it, without a check of its own
        assert any(f.id == "weather-note" for f in holder._kb.faqs)
        # another app under the same settings (the benchmarks' floor) is forked as it is
        hooks["pre_fork"](SimpleNamespace(cfg=preloaded, app=SimpleNamespace(wsgi=lambda: Flask("floor"))), None)
        # with the app not preloaded (settings overridden) the hook loads nothing in the master
        hooks["pre_fork"](SimpleNamespace(cfg=SimpleNamespace(preload_app=False), app=None), None)
    finally:
        gc.unfreeze()
