"""Settings: a missing or malformed value stops start-up with one line naming the variable."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot import ConfigError, create_app
from bot.config import load
from tests.conftest import KNOWLEDGE, ROOT

BASE = {"WECHAT_TOKEN": "tok_123", "KNOWLEDGE_DIR": str(KNOWLEDGE)}


@pytest.mark.parametrize("override, variable", [
    ({"WECHAT_TOKEN": None}, "WECHAT_TOKEN"),
    ({"WECHAT_TOKEN": "has space"}, "WECHAT_TOKEN"),
    ({"WECHAT_ENCODING_AES_KEY": "short", "WECHAT_APP_ID": "wx1"}, "WECHAT_ENCODING_AES_KEY"),
    ({"WECHAT_ENCODING_AES_KEY": "!" * 43, "WECHAT_APP_ID": "wx1"}, "WECHAT_ENCODING_AES_KEY"),
    ({"WECHAT_ENCODING_AES_KEY": "a" * 43}, "WECHAT_APP_ID"),
    ({"WECHAT_APP_SECRET": "s"}, "WECHAT_APP_ID"),
    ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
    ({"NOTIFY_WECOM_WEBHOOK": "ftp://x"}, "NOTIFY_WECOM_WEBHOOK"),
    ({"SMTP_URL": "mail.example.com"}, "SMTP_URL"),
    ({"NOTIFY_EMAIL_TO": "not-an-address", "SMTP_URL": "smtp://127.0.0.1:25"}, "NOTIFY_EMAIL_TO"),
    ({"NOTIFY_EMAIL_TO": "a@example.com"}, "SMTP_URL"),
    ({"ADMIN_TOKEN": "short"}, "ADMIN_TOKEN"),
    ({"PORT": "eighty"}, "PORT"),
    ({"PORT": "70000"}, "PORT"),
    ({"BOT_WEB_CHAT": "maybe"}, "BOT_WEB_CHAT"),
    ({"REDIS_PREFIX": "has space"}, "REDIS_PREFIX"),
    ({"KNOWLEDGE_DIR": "/nonexistent/knowledge"}, "KNOWLEDGE_DIR"),
])
def test_bad_settings_name_the_variable(override, variable):
    with pytest.raises(ConfigError) as err:
        load({**BASE, **override}, environ={})
    message = str(err.value)
    assert message.startswith(variable) and "\n" not in message


def test_environment_is_read_and_overrides_win():
    cfg = load({"PORT": 9001}, environ={"WECHAT_TOKEN": "from_env", "PORT": "8100", "KNOWLEDGE_DIR": str(KNOWLEDGE),
                                        "BOT_WEB_CHAT": "yes", "NOTIFY_EMAIL_TO": "a@x.cn, b@y.cn",
                                        "SMTP_URL": "smtp://127.0.0.1:2525"})
    assert cfg["WECHAT_TOKEN"] == "from_env" and cfg["PORT"] == 9001 and cfg["BOT_WEB_CHAT"] is True
    assert cfg["NOTIFY_EMAIL_TO"] == ["a@x.cn", "b@y.cn"]


def test_dev_mode_makes_a_token():
    cfg = load({"DEV": True, "KNOWLEDGE_DIR": str(KNOWLEDGE)}, environ={})
    assert cfg["WECHAT_TOKEN"].startswith("dev-") and cfg["DEV_TOKEN_GENERATED"]


def test_invalid_knowledge_stops_start_up(tmp_path, app_config):
    (tmp_path / "park.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    from bot.knowledge.loader import KnowledgeError

    with pytest.raises(KnowledgeError):
        # a fresh data directory: no last good copy to fall back on
        create_app({**app_config, "KNOWLEDGE_DIR": str(tmp_path), "BOT_DATA_DIR": str(tmp_path / "var")})


def test_production_entry_point_without_token_prints_one_line():
    env = {k: v for k, v in os.environ.items() if k != "WECHAT_TOKEN"}
    proc = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip() and "Warning" not in line
             and "import pkg_resources" not in line]
    assert lines == ["parkbot: WECHAT_TOKEN is required (the Official Account's server token)"]
