"""The sentences each part of the bot says are checked the same way at start-up, at a reload and by kb check."""
from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys

from tests.conftest import KNOWLEDGE, ROOT

_START = """
import json, sys
from bot.app import create_app
from bot.knowledge.loader import KnowledgeError
from bot.store import embedded
config = json.loads(sys.argv[1])
try:
    create_app(config)
    print("started")
except KnowledgeError as exc:
    print("refused: " + str(exc))
finally:
    if not config["REDIS_URL"]:
        embedded.stop(config["BOT_DATA_DIR"])
"""


def _without(kdir, key):
    path = kdir / "messages.yaml"
    kept = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith(f"{key}:")]
    assert len(kept) < len(path.read_text(encoding="utf-8").splitlines())
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")


def test_a_fresh_process_refuses_to_start_without_a_sentence_only_the_admin_page_says(tmp_path, redis_url, prefix):
    # before, the admin page's module declared its keys only when imported, after the knowledge had loaded:
    # a deleted key passed at start-up and was refused at the next reload
    kdir = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, kdir)
    _without(kdir, "admin_title")
    config = {"DEV": True, "KNOWLEDGE_DIR": str(kdir), "BOT_DATA_DIR": str(tmp_path / "var"), "REDIS_URL": redis_url,
              "REDIS_PREFIX": prefix, "NOTIFY_WECOM_WEBHOOK": None, "NOTIFY_EMAIL_TO": None}
    proc = subprocess.run([sys.executable, "-c", _START, json.dumps(config)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.stdout.startswith("refused:") and "'admin_title'" in proc.stdout, proc.stdout + proc.stderr


def test_a_fresh_process_starts_with_the_sentences_as_shipped(tmp_path, redis_url, prefix):
    config = {"DEV": True, "KNOWLEDGE_DIR": str(KNOWLEDGE), "BOT_DATA_DIR": str(tmp_path / "var"),
              "REDIS_URL": redis_url, "REDIS_PREFIX": prefix, "NOTIFY_WECOM_WEBHOOK": None, "NOTIFY_EMAIL_TO": None}
    proc = subprocess.run([sys.executable, "-c", _START, json.dumps(config)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.stdout.strip() == "started", proc.stdout + proc.stderr


def _declaring_modules() -> list[str]:
    found = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "declare"]
        if calls:
            parts = path.relative_to(ROOT).with_suffix("").parts
            found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def test_the_list_of_sentence_users_names_every_module_that_declares_a_sentence():
    declaring = _declaring_modules()
    assert "bot.web.admin.common" in declaring and "bot.dialogue.menu" in declaring
    code = ("import json, sys\nfrom bot.sentences import import_sentence_users\nimport_sentence_users()\n"
            "print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert [m for m in declaring if m not in loaded] == []
