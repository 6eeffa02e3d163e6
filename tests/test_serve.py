"""What a newcomer runs: ``parkbot serve`` on a fresh data directory, end to end.

The server answers WeChat, and its in-process worker delivers a submitted lead to the staff
robot (a capture server on 127.0.0.1) within seconds.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import ROOT
from tests.support.capture_server import CaptureServer
from tests.support.net import free_port
from tests.support.wechat import post_signed


@pytest.fixture
def robot():
    with CaptureServer() as server:
        yield server


@pytest.fixture
def served(tmp_path, robot, redis_url, prefix, redis_client):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "NOTIFY_", "SMTP_"))}
    env.update(BOT_DATA_DIR=str(tmp_path / "var"), PORT=str(port),
               NOTIFY_WECOM_WEBHOOK=f"{robot.url}/cgi-bin/webhook/send?key=test")
    env.pop("REDIS_URL", None)  # the newcomer's case: embedded Redis
    env["PYTHONFAULTHANDLER"] = "1"  # a serve that will not stop prints where each thread is (SIGABRT below)
    # as from a terminal: a suite started in the background by a shell without job control runs with
    # Ctrl-C ignored, which a child inherits (and Python then never raises KeyboardInterrupt)
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines = []
    token = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        match = re.search(r"development token for this run: (\S+)", line)
        if match:
            token = match.group(1)
        if "WeChat endpoint" in line:
            break
    assert token, "".join(lines)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    try:
        yield port, token, tmp_path / "var"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGABRT)
            try:
                rest = proc.communicate(timeout=10)[0]
            except subprocess.TimeoutExpired:
                proc.kill()
                rest = proc.communicate()[0]
            pytest.fail("parkbot serve did not stop on Ctrl-C; what it printed last:\n" + rest[-6000:])


def test_serve_answers_and_delivers_a_lead_to_staff(served, robot):
    port, token, data_dir = served
    assert "1." in post_signed(port, "newcomer", "你好", token=token)
    post_signed(port, "newcomer", "我是海智源公司的王经理,想租2000平厂房做海洋生物,年税收300万左右,电话13912345678",
                token=token)
    done = post_signed(port, "newcomer", "确认", token=token)
    number = re.search(r"L\d{8}-\d{4}", done).group(0)
    submitted = time.monotonic()
    assert robot.wait_for(1, timeout=5)
    assert time.monotonic() - submitted < 2.5
    body = robot.ok_requests()[0].json
    assert body["msgtype"] == "markdown" and number in body["markdown"]["content"]
    assert "13912345678" in body["markdown"]["content"]
    assert (data_dir / "redis.db").exists() or (data_dir / "redis.aof").exists()
