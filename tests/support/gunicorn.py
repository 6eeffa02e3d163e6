"""``wsgi:app`` under a real gunicorn with two workers, started from the project's directory (so with
``gunicorn.conf.py``, the settings production uses), for the tests of what only several worker
processes show: reloads reaching each worker, a shared takeover, workers forked from the master."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

from tests.conftest import ROOT
from tests.support.net import free_port
from tests.support.wechat import TOKEN


@contextlib.contextmanager
def gunicorn(tmp_path: Path, knowledge: Path, prefix: str, redis_url: str | None, *, env: dict | None = None,
             args: tuple[str, ...] = (), wait: int = 200) -> Iterator[tuple[subprocess.Popen, int]]:
    """Yields the master process and its port once ``/healthz`` answers (up to ``wait`` tenths of a second)."""
    port = free_port()
    full = {**os.environ, "WECHAT_TOKEN": TOKEN, "KNOWLEDGE_DIR": str(knowledge), "BOT_DATA_DIR": str(tmp_path / "var"),
            "PYTHONPATH": str(ROOT), "REDIS_PREFIX": prefix, **(env or {})}
    full.pop("WECHAT_ENCODING_AES_KEY", None)
    if redis_url:
        full["REDIS_URL"] = redis_url
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", *args, "wsgi:app"],
                            cwd=ROOT, env=full, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(wait):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.1)
        yield proc, port
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
        if not redis_url:  # the workers' embedded server outlives them by design; the test owns it
            from bot.store import embedded

            embedded.socket_path(tmp_path / "var")  # attach to it: stop() shuts only servers this process holds
            embedded.stop(tmp_path / "var")
